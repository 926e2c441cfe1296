"""Smaller copies of frame and mask folders (the ``240p`` layouts): frames
with area averaging, masks with nearest neighbour so that object ids stay ids."""

import os.path as osp
from typing import Sequence, Tuple

import cv2
from PIL import Image

from fgvc.fileio import read_index_png, read_rgb, write_grey_png, write_palette_png, write_rgb


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
    ``short_side`` (area averaging)."""
    for name in names:
        rgb = read_rgb(osp.join(src, name))
        height, width = short_side_size(*rgb.shape[:2], short_side)
        small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
        write_rgb(osp.join(dst, name), small)


def resize_masks(names: Sequence[str], src: str, dst: str, short_side: int) -> None:
    """Each mask PNG ``src/name`` written to ``dst/name`` with its short side
    ``short_side`` (nearest neighbour), palette masks as palette, grey as grey."""
    for name in names:
        path = osp.join(src, name)
        labels = read_index_png(path)
        height, width = short_side_size(*labels.shape, short_side)
        small = cv2.resize(labels, (width, height), interpolation=cv2.INTER_NEAREST)
        with Image.open(path) as image:
            palette = image.mode == 'P'
        (write_palette_png if palette else write_grey_png)(osp.join(dst, name), small)
