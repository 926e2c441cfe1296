"""Drawing predictions over video frames (uint8 RGB ``[T, H, W, 3]``)."""
from typing import Optional

import cv2
import numpy as np

from fgvc.evaluation.metrics.davis_io import davis_palette

HUE_RANGE = 180  # OpenCV's hue scale
FULL = 255


def track_colours(num: int) -> np.ndarray:
    """``num`` distinct RGB colours, uint8 ``[num, 3]``, evenly spaced in hue."""
    hues = (np.arange(num) * HUE_RANGE / max(num, 1)).astype(np.uint8)
    hsv = np.stack([hues, np.full(num, FULL, np.uint8), np.full(num, FULL, np.uint8)], 1)
    return cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0]


def draw_tracks(video: np.ndarray, tracks: np.ndarray, occluded: Optional[np.ndarray] = None,
                radius: int = 3) -> np.ndarray:
    """Frames with every track's position drawn: a filled disc where visible, a
    ring where predicted occluded.

    Args:
        video: uint8 ``[T, H, W, 3]`` RGB.
        tracks: ``[N, T, 2]`` (x, y) in the frames' raster (pixel centres at i + 0.5).
        occluded: optional bool ``[N, T]``.
        radius: disc radius in pixels.
    """
    out = np.ascontiguousarray(video.copy())
    colours = track_colours(tracks.shape[0])
    for t in range(video.shape[0]):
        for n, (x, y) in enumerate(tracks[:, t]):
            if not np.isfinite([x, y]).all():
                continue
            hidden = occluded is not None and occluded[n, t]
            cv2.circle(out[t], (int(x), int(y)), radius, colours[n].tolist(),
                       thickness=1 if hidden else -1, lineType=cv2.LINE_AA)
    return out


def overlay_masks(video: np.ndarray, masks: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Frames blended with the DAVIS palette colour of each pixel's label
    (label 0, background, left unchanged)."""
    colours = davis_palette()[masks].astype(np.float32)
    blend = (1 - alpha) * video.astype(np.float32) + alpha * colours
    return np.where(masks[..., None] > 0, blend, video).round().astype(np.uint8)
