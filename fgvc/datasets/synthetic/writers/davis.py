"""DAVIS layouts.

DAVIS-2017 (multi-object):
    JPEGImages/480p/<seq>/%05d.jpg
    Annotations/480p/<seq>/%05d.png   palette PNG: 0 background, k object k, 255 void
    ImageSets/2017/val.txt            one sequence name per line
DAVIS-2016 (single object, used with BADJA):
    JPEGImages/480p/<seq>/%05d.jpg
    Annotations/480p/<seq>/%05d.png   grey 0 / 255
    ImageSets/480p/val.txt            '/JPEGImages/... /Annotations/... ' per frame
"""

import os
from typing import List, Sequence

import cv2
import numpy as np

from fgvc.fileio import VOID, write_grey_png, write_palette_png, write_rgb

RESOLUTION = '480p'
# Width in pixels of the void band drawn along object boundaries.
VOID_BAND = 1
# A foreground layer is an object when it shows at least this many pixels in frame 0.
MIN_OBJECT_PIXELS = 16


def object_labels(ids: np.ndarray) -> np.ndarray:
    """Object-id maps uint8 [T, H, W] from layer ids: layers seen in frame 0 become
    objects 1..K (back to front), everything else is background 0."""
    counts = np.bincount(ids[0].ravel(), minlength=int(ids.max()) + 1)
    lut = np.zeros(max(int(ids.max()) + 1, 1), np.uint8)
    objects = [k for k in range(1, len(counts)) if counts[k] >= MIN_OBJECT_PIXELS]
    lut[objects] = np.arange(1, len(objects) + 1)
    return lut[ids]


def with_void_band(labels: np.ndarray, band: int = VOID_BAND) -> np.ndarray:
    """Mark pixels within ``band`` pixels of a boundary between two labels as void."""
    kernel = np.ones((2 * band + 1,) * 2, np.uint8)
    edge = cv2.dilate(labels, kernel) != cv2.erode(labels, kernel)
    out = labels.copy()
    out[edge] = VOID
    return out


def frames_dir(root: str, seq: str) -> str:
    return os.path.join(root, 'JPEGImages', RESOLUTION, seq)


def annotations_dir(root: str, seq: str) -> str:
    return os.path.join(root, 'Annotations', RESOLUTION, seq)


def write_frames(root: str, seq: str, frames: np.ndarray) -> None:
    for t, frame in enumerate(frames):
        write_rgb(os.path.join(frames_dir(root, seq), f'{t:05d}.jpg'), frame)


def write_davis2017_sequence(root: str, seq: str, frames: np.ndarray, ids: np.ndarray) -> None:
    """Frames and palette annotations (objects, void band) of one sequence."""
    write_frames(root, seq, frames)
    for t, labels in enumerate(object_labels(ids)):
        write_palette_png(
            os.path.join(annotations_dir(root, seq), f'{t:05d}.png'), with_void_band(labels)
        )


def write_davis2017_list(root: str, sequences: Sequence[str]) -> None:
    path = os.path.join(root, 'ImageSets', '2017', 'val.txt')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(f'{seq}\n' for seq in sequences)


def write_davis2016_sequence(root: str, seq: str, frames: np.ndarray, masks: np.ndarray) -> None:
    """Frames and grey 0/255 single-object masks [T, H, W] of one sequence."""
    write_frames(root, seq, frames)
    for t, mask in enumerate(masks):
        write_grey_png(os.path.join(annotations_dir(root, seq), f'{t:05d}.png'), mask)


def write_davis2016_list(root: str, sequences: Sequence[str], num_frames: List[int]) -> None:
    path = os.path.join(root, 'ImageSets', RESOLUTION, 'val.txt')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for seq, n in zip(sequences, num_frames):
            f.writelines(
                f'/JPEGImages/{RESOLUTION}/{seq}/{t:05d}.jpg '
                f'/Annotations/{RESOLUTION}/{seq}/{t:05d}.png \n'
                for t in range(n)
            )
