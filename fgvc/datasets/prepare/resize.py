"""Smaller copies of frame and mask folders (the ``240p`` layouts).

Frames: area averaging, JPEG at :data:`JPEG_QUALITY`. Masks of object ids
(palette): nearest neighbour, so that ids stay ids. Binary grey masks (0/255,
DAVIS-2016): area averaging thresholded at half, i.e. each pixel takes the
majority of the pixels it covers. This reproduces the 240p development set
(DAVIS-2016 train at 427x240) bit for bit from the 480p release.
"""

import os.path as osp
from typing import Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from fgvc.fileio import (
    atomic_write,
    encode_jpeg,
    read_index_png,
    read_rgb,
    write_grey_png,
    write_palette_png,
    write_rgb,
)
from fgvc.fileio.images import GREY_FOREGROUND

#: JPEG quality of downscaled frames (the 240p development set's).
JPEG_QUALITY = 90


def short_side_size(height: int, width: int, short_side: int) -> Tuple[int, int]:
    """(h, w) with the short side ``short_side`` and the aspect ratio kept
    (the long side rounded); frames are never enlarged."""
    scale = min(1.0, short_side / min(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def resolution_name(short_side: int) -> str:
    """The resolution folder of a short side, e.g. ``240p``."""
    return f'{short_side}p'


def resize_frames(names: Sequence[str], src: str, dst: str, short_side: int) -> None:
    """Each frame ``src/name`` written to ``dst/name`` with its short side
    ``short_side`` (area averaging; JPEG at :data:`JPEG_QUALITY`)."""
    for name in names:
        rgb = read_rgb(osp.join(src, name))
        height, width = short_side_size(*rgb.shape[:2], short_side)
        small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
        path = osp.join(dst, name)
        if osp.splitext(name)[1].lower() in ('.jpg', '.jpeg'):
            atomic_write(path, encode_jpeg(small, JPEG_QUALITY))
        else:
            write_rgb(path, small)


def resize_masks(names: Sequence[str], src: str, dst: str, short_side: int) -> None:
    """Each mask PNG ``src/name`` written to ``dst/name`` with its short side
    ``short_side`` (see the module's docstring), palette masks as palette,
    grey as grey."""
    for name in names:
        path = osp.join(src, name)
        labels = read_index_png(path)
        height, width = short_side_size(*labels.shape, short_side)
        with Image.open(path) as image:
            palette = image.mode == 'P'
        if not palette and set(np.unique(labels).tolist()) <= {0, GREY_FOREGROUND}:
            mean = cv2.resize(labels, (width, height), interpolation=cv2.INTER_AREA)
            small = np.where(mean > GREY_FOREGROUND // 2, GREY_FOREGROUND, 0).astype(np.uint8)
        else:
            small = cv2.resize(labels, (width, height), interpolation=cv2.INTER_NEAREST)
        (write_palette_png if palette else write_grey_png)(osp.join(dst, name), small)
