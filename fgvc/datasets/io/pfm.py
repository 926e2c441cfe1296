"""Portable Float Map (PFM) reading and writing.

Layout: a text header of four whitespace-separated tokens, then raw float32
samples. The tokens are ``PF`` (3 channels) or ``Pf`` (1 channel), width,
height and a scale whose sign gives the byte order (negative = little-endian,
positive = big-endian); a single whitespace character separates the header
from the samples. Rows are stored bottom-to-top. FlyingThings3D stores
optical flow as ``PF`` with channels (u, v, 0).
"""

import os
from typing import Tuple

import numpy as np

_CHANNELS = {b'PF': 3, b'Pf': 1}
_HEADER_TOKENS = 4
_MAX_HEADER_BYTES = 256


def _header(data: bytes, path: str) -> Tuple[list, int]:
    """The four header tokens and the offset where the samples start."""
    tokens, pos = [], 0
    while len(tokens) < _HEADER_TOKENS:
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        start = pos
        while pos < len(data) and not data[pos : pos + 1].isspace():
            pos += 1
        if pos == start or pos >= len(data) or pos > _MAX_HEADER_BYTES:
            raise ValueError(f'{path}: truncated or corrupt PFM header')
        tokens.append(data[start:pos])
    return tokens, pos + 1


def read_pfm(path: str) -> np.ndarray:
    """Read a PFM file as float32 [H, W, C] (C = 3 for 'PF', 1 for 'Pf'), rows top-to-bottom.

    Raises:
        ValueError: naming the file, when the header is corrupt or the data
            is truncated.
    """
    with open(path, 'rb') as f:
        data = f.read()
    tokens, offset = _header(data, path)
    if tokens[0] not in _CHANNELS:
        raise ValueError(f'{path}: not a PFM file (magic {tokens[0][:8]!r}, expected PF or Pf)')
    channels = _CHANNELS[tokens[0]]
    try:
        width, height, scale = int(tokens[1]), int(tokens[2]), float(tokens[3])
    except ValueError as err:
        raise ValueError(f'{path}: corrupt PFM header {b" ".join(tokens)!r}') from err
    if width <= 0 or height <= 0 or scale == 0 or not np.isfinite(scale):
        raise ValueError(f'{path}: corrupt PFM header {b" ".join(tokens)!r}')
    count = width * height * channels
    if len(data) - offset < 4 * count:
        raise ValueError(
            f'{path}: truncated PFM data ({len(data) - offset} bytes, '
            f'expected {4 * count} for {width}x{height}x{channels})'
        )
    dtype = np.dtype('<f4' if scale < 0 else '>f4')
    samples = np.frombuffer(data, dtype, count, offset).reshape(height, width, channels)
    return np.ascontiguousarray(samples[::-1]).astype(np.float32)


def write_pfm(path: str, array: np.ndarray, little_endian: bool = True) -> None:
    """Write [H, W], [H, W, 1], [H, W, 2] or [H, W, 3] as PFM (rows top-to-bottom in memory).

    Two channels (a flow field u, v) are padded with a zero third channel, as
    in FlyingThings3D. The scale written is -1 (little-endian) or 1.
    """
    arr = np.asarray(array, np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3):
        raise ValueError(f'{path}: cannot write shape {arr.shape} as PFM')
    if arr.shape[2] == 2:
        arr = np.concatenate([arr, np.zeros_like(arr[..., :1])], axis=-1)
    magic = 'PF' if arr.shape[2] == 3 else 'Pf'
    height, width = arr.shape[:2]
    header = f'{magic}\n{width} {height}\n{-1.0 if little_endian else 1.0}\n'.encode()
    body = arr[::-1].astype('<f4' if little_endian else '>f4').tobytes()
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'wb') as f:
        f.write(header + body)
