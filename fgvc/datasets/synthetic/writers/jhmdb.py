"""JHMDB layout.

    Rename_Images/<class>/<video>/%05d.png            frames numbered from 1
    joint_positions/<class>/<video>/joint_positions.mat
    (list file) '<mat path> <frames dir>' lines relative to the data root's parent

``pos_img`` is float64 [2, 15, T] in MATLAB 1-based pixels: MATLAB pixel k
covers [k - 0.5, k + 0.5], so a pixel-centre-convention coordinate x (pixel
i's centre at i + 0.5) is x + 0.5 there. ``pos_world`` is
(pos_img - image centre) / (WORLD_SCALE * height), like the real files.
"""

import io
import os
from typing import Dict, Iterable

import numpy as np
import scipy.io

from fgvc.fileio import write_rgb

MATLAB_OFFSET = 0.5
# MAT-file v5 headers start with 116 bytes of free text; scipy puts the
# creation time there, so a fixed text keeps the files byte-identical by seed.
MAT_HEADER_TEXT_BYTES = 116
MAT_HEADER_TEXT = b'MATLAB 5.0 MAT-file, written by fgvc.datasets.synthetic'
WORLD_SCALE = 0.45
NUM_JOINTS = 15


def to_matlab(points: np.ndarray) -> np.ndarray:
    """Points [J, T, 2] (x, y), pixel-centre convention -> pos_img [2, J, T]."""
    return np.transpose(points + MATLAB_OFFSET, (2, 0, 1)).astype(np.float64)


def save_mat(path: str, arrays: Dict[str, np.ndarray]) -> None:
    """``scipy.io.savemat`` with a fixed (time-free) header text."""
    buf = io.BytesIO()
    scipy.io.savemat(buf, arrays)
    data = buf.getvalue()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(MAT_HEADER_TEXT.ljust(MAT_HEADER_TEXT_BYTES) + data[MAT_HEADER_TEXT_BYTES:])


def write_video(root: str, cls: str, name: str, frames: np.ndarray, points: np.ndarray) -> str:
    """Write frames and joints [15, T, 2] of one video; returns its list-file line."""
    frames_dir = os.path.join(root, 'Rename_Images', cls, name)
    for t, frame in enumerate(frames):
        write_rgb(os.path.join(frames_dir, f'{t + 1:05d}.png'), frame)
    mat_path = os.path.join(root, 'joint_positions', cls, name, 'joint_positions.mat')
    h, w = frames.shape[1:3]
    pos_img = to_matlab(points)
    centre = np.array([w / 2.0, h / 2.0])[:, None, None]
    save_mat(mat_path, {'pos_img': pos_img, 'pos_world': (pos_img - centre) / (WORLD_SCALE * h)})
    parent = os.path.dirname(os.path.normpath(root))
    return f'{os.path.relpath(mat_path, parent)} {os.path.relpath(frames_dir, parent)}'


def write_list(root: str, name: str, lines: Iterable[str]) -> None:
    with open(os.path.join(root, name), 'w') as f:
        f.writelines(f'{line}\n' for line in lines)
