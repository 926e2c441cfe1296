"""Image encoding helpers shared by the writers (RGB arrays in, files out)."""

import os

import cv2
import numpy as np

JPEG_QUALITY = 95
# OpenCV writes lossless WebP for quality > 100.
WEBP_LOSSLESS_QUALITY = 101


def encode_jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of an RGB uint8 image."""
    ok, buf = cv2.imencode('.jpg', rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return buf.tobytes()


def write_rgb(path: str, rgb: np.ndarray) -> None:
    """Write an RGB uint8 image; the format follows the extension (jpg, png, webp)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ext = os.path.splitext(path)[1].lower()
    params = {
        '.jpg': [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY],
        '.webp': [cv2.IMWRITE_WEBP_QUALITY, WEBP_LOSSLESS_QUALITY],
    }.get(ext, [])
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]), params):
        raise OSError(f'could not write {path}')
