"""Drawing predictions over video frames (uint8 RGB ``[T, H, W, 3]``)."""

from typing import Optional, Tuple

import cv2
import numpy as np

from fgvc.fileio import davis_palette

HUE_RANGE = 180  # OpenCV's hue scale
FULL = 255
CV_SHIFT = 4  # fractional bits of OpenCV drawing coordinates
CV_SCALE = 1 << CV_SHIFT


def track_colours(num: int) -> np.ndarray:
    """``num`` distinct RGB colours, uint8 ``[num, 3]``, evenly spaced in hue."""
    hues = (np.arange(num) * HUE_RANGE / max(num, 1)).astype(np.uint8)
    hsv = np.stack([hues, np.full(num, FULL, np.uint8), np.full(num, FULL, np.uint8)], 1)
    return cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0]


def _cv_point(xy: np.ndarray) -> Tuple[int, int]:
    """A continuous (x, y) (pixel centres at i + 0.5) as OpenCV's fixed-point
    coordinates (pixel centres at integers, ``CV_SHIFT`` fractional bits)."""
    return tuple(int(round((v - 0.5) * CV_SCALE)) for v in xy)


def draw_track_frame(
    frame: np.ndarray,
    tracks: np.ndarray,
    occluded: Optional[np.ndarray],
    t: int,
    colours: np.ndarray,
    radius: int = 3,
    trail: int = 0,
    trail_width: int = 1,
) -> np.ndarray:
    """Frame ``t`` of a video with every track drawn: a filled disc where
    visible, a ring where predicted occluded, and a line through its visible
    positions of the previous ``trail`` frames that fades out with age.

    Args:
        frame: uint8 ``[H, W, 3]`` RGB, frame ``t`` (not modified).
        tracks: ``[N, T, 2]`` (x, y) of the whole video (pixel centres at i + 0.5).
        occluded: optional bool ``[N, T]``.
        t: the frame's index in ``tracks``.
        colours: uint8 ``[N, 3]`` RGB, e.g. :func:`track_colours`.
        radius: disc radius in pixels.
        trail: frames of history drawn (0: none).
        trail_width: trail line width in pixels.
    """
    out = np.ascontiguousarray(frame.copy())
    shown = np.isfinite(tracks).all(-1)
    if occluded is not None:
        shown &= ~occluded
    if trail > 0 and t > 0:
        lines = np.zeros_like(out)
        alpha = np.zeros(out.shape[:2], np.uint8)
        for age in range(min(trail, t), 0, -1):  # oldest first, newer segments on top
            start, stop = t - age, t - age + 1
            strength = int(round(FULL * (trail - age + 1) / trail))
            for n in np.flatnonzero(shown[:, start] & shown[:, stop]):
                a, b = _cv_point(tracks[n, start]), _cv_point(tracks[n, stop])
                cv2.line(lines, a, b, colours[n].tolist(), trail_width, cv2.LINE_AA, CV_SHIFT)
                cv2.line(alpha, a, b, strength, trail_width, cv2.LINE_AA, CV_SHIFT)
        weight = alpha[..., None].astype(np.float32) / FULL
        out = (out * (1 - weight) + lines * weight).round().astype(np.uint8)
    for n, (x, y) in enumerate(tracks[:, t]):
        if not np.isfinite([x, y]).all():
            continue
        hidden = occluded is not None and occluded[n, t]
        cv2.circle(
            out,
            _cv_point((x, y)),
            radius * CV_SCALE,
            colours[n].tolist(),
            thickness=1 if hidden else -1,
            lineType=cv2.LINE_AA,
            shift=CV_SHIFT,
        )
    return out


def draw_tracks(
    video: np.ndarray,
    tracks: np.ndarray,
    occluded: Optional[np.ndarray] = None,
    radius: int = 3,
    trail: int = 0,
) -> np.ndarray:
    """Frames with every track's position drawn: a filled disc where visible, a
    ring where predicted occluded (see :func:`draw_track_frame`).

    Args:
        video: uint8 ``[T, H, W, 3]`` RGB.
        tracks: ``[N, T, 2]`` (x, y) in the frames' raster (pixel centres at i + 0.5).
        occluded: optional bool ``[N, T]``.
        radius: disc radius in pixels.
        trail: frames of fading history drawn behind each point.
    """
    colours = track_colours(tracks.shape[0])
    return np.stack(
        [
            draw_track_frame(frame, tracks, occluded, t, colours, radius, trail)
            for t, frame in enumerate(video)
        ]
    )


def overlay_masks(video: np.ndarray, masks: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Frames blended with the DAVIS palette colour of each pixel's label
    (label 0, background, left unchanged)."""
    colours = davis_palette()[masks].astype(np.float32)
    blend = (1 - alpha) * video.astype(np.float32) + alpha * colours
    return np.where(masks[..., None] > 0, blend, video).round().astype(np.uint8)
