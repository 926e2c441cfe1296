"""DAVIS palette PNGs: the colour table and writing label maps with it."""

import os
import os.path as osp

import numpy as np
from PIL import Image

PALETTE_SIZE = 256
BITS_PER_CHANNEL = 8


def davis_palette() -> np.ndarray:
    """The DAVIS / PASCAL VOC palette, uint8 ``[256, 3]``: label i's colour
    spreads i's bits (r, g, b, r, g, b, ...) from the most significant bit down."""
    palette = np.zeros((PALETTE_SIZE, 3), np.uint8)
    for label in range(PALETTE_SIZE):
        code = label
        for bit in range(BITS_PER_CHANNEL):
            for channel in range(3):
                palette[label, channel] |= ((code >> channel) & 1) << (BITS_PER_CHANNEL - 1 - bit)
            code >>= 3
    return palette


def write_palette_png(path: str, labels: np.ndarray) -> None:
    """Write uint8 label map ``[H, W]`` as a palette PNG (values kept as indices)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    image = Image.fromarray(np.asarray(labels, np.uint8), mode='P')
    image.putpalette(davis_palette().ravel().tolist())
    image.save(path)
