"""Reading and writing frame images and label PNGs, with one error style.

Every failure names the file: a missing file raises ``FileNotFoundError``, a
file that cannot be decoded completely (corrupt or truncated) ``ValueError``.
Label maps are uint8 object ids (0 background, :data:`VOID` not scored),
stored as palette PNGs in the DAVIS colours.
"""

import io
import os
import os.path as osp
from typing import List, Sequence

import cv2
import numpy as np
from PIL import Image

#: Label of pixels that are not scored (DAVIS object boundaries).
VOID = 255
PALETTE_SIZE = 256
BITS_PER_CHANNEL = 8
JPEG_QUALITY = 95
# OpenCV writes lossless WebP for quality > 100.
WEBP_LOSSLESS_QUALITY = 101
JPEG_START = b'\xff\xd8'
JPEG_END = b'\xff\xd9'
# Bytes a JPEG may carry after its end marker (padding written by some encoders).
JPEG_PADDING = b'\x00\r\n '
LABEL_MODES = ('P', 'L', '1')
#: Foreground value of single-object grey masks (DAVIS-2016).
GREY_FOREGROUND = 255


def list_images(folder: str, extensions: Sequence[str], what: str) -> List[str]:
    """Sorted paths of the files in ``folder`` ending with one of ``extensions``."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(tuple(extensions)))
    if not names:
        raise FileNotFoundError(f'No {what} ({", ".join(extensions)}) in {folder}')
    return [osp.join(folder, n) for n in names]


def _read_bytes(path: str, what: str) -> bytes:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    with open(path, 'rb') as f:
        return f.read()


def _check_jpeg_complete(data: bytes, path: str) -> None:
    """libjpeg decodes a truncated JPEG with only a warning; a file that does
    not end with the end-of-image marker is decoded strictly by PIL, which
    raises on truncation (some valid files carry extra bytes after the marker)."""
    if not data.startswith(JPEG_START) or data.rstrip(JPEG_PADDING).endswith(JPEG_END):
        return
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, SyntaxError) as err:
        raise ValueError(f'Cannot decode image {path}: {err}') from err


def read_rgb(path: str) -> np.ndarray:
    """uint8 ``[H, W, 3]`` RGB image."""
    data = _read_bytes(path, 'Image')
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'Cannot decode image {path}: corrupt, truncated or not an image')
    _check_jpeg_complete(data, path)
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
    data = _read_bytes(path, 'Mask')
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.mode not in LABEL_MODES:
                raise ValueError(
                    f'Mask {path} is a {image.mode} image; expected a palette or grey PNG'
                )
            return np.array(image, dtype=np.uint8)
    except (OSError, SyntaxError) as err:
        raise ValueError(f'Cannot decode mask {path}: {err}') from err


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


def _makedirs_for(path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)


def write_palette_png(path: str, labels: np.ndarray) -> None:
    """Write uint8 label map ``[H, W]`` as a palette PNG (values kept as indices)."""
    _makedirs_for(path)
    image = Image.fromarray(np.asarray(labels, np.uint8), mode='P')
    image.putpalette(davis_palette().ravel().tolist())
    image.save(path)


def write_grey_png(path: str, mask: np.ndarray) -> None:
    """Write a boolean mask ``[H, W]`` as a grey PNG of 0 and 255."""
    _makedirs_for(path)
    Image.fromarray(np.where(mask, GREY_FOREGROUND, 0).astype(np.uint8), mode='L').save(path)


def encode_jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of an RGB uint8 image."""
    ok, buf = cv2.imencode('.jpg', rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError('JPEG encoding failed')
    return buf.tobytes()


def write_rgb(path: str, rgb: np.ndarray) -> None:
    """Write an RGB uint8 image; the format follows the extension (jpg, png, webp)."""
    _makedirs_for(path)
    ext = osp.splitext(path)[1].lower()
    params = {
        '.jpg': [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY],
        '.webp': [cv2.IMWRITE_WEBP_QUALITY, WEBP_LOSSLESS_QUALITY],
    }.get(ext, [])
    # encoded in memory: OpenCV's own file writing cannot take every file name
    ok, data = cv2.imencode(ext, np.ascontiguousarray(rgb[..., ::-1]), params)
    if not ok:
        raise OSError(f'Cannot write image {path}: no encoder for {ext!r}')
    with open(path, 'wb') as f:
        f.write(data.tobytes())
