"""Reading frame and mask image files, naming the file on any failure."""

import os
import os.path as osp
from typing import List, Sequence

import cv2
import numpy as np
from PIL import Image


def list_images(folder: str, extensions: Sequence[str], what: str) -> List[str]:
    """Sorted paths of the files in ``folder`` ending with one of ``extensions``."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(tuple(extensions)))
    if not names:
        raise FileNotFoundError(f'No {what} ({", ".join(extensions)}) in {folder}')
    return [osp.join(folder, n) for n in names]


def read_rgb(path: str) -> np.ndarray:
    """uint8 ``[H, W, 3]`` RGB image."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'Cannot read image {path}')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_video(paths: Sequence[str]) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` from frame files that must share one size."""
    frames = [read_rgb(p) for p in paths]
    sizes = {f.shape for f in frames}
    if len(sizes) > 1:
        raise ValueError(f'Frames of {osp.dirname(paths[0])} differ in size: {sorted(sizes)}')
    return np.stack(frames)


def read_index_png(path: str) -> np.ndarray:
    """uint8 ``[H, W]``: the stored values of a palette or grey PNG (no colour mapping)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Mask not found: {path}')
    with Image.open(path) as image:
        if image.mode not in ('P', 'L', '1'):
            raise ValueError(f'Mask {path} is a {image.mode} image; expected a palette or grey PNG')
        return np.array(image, dtype=np.uint8)
