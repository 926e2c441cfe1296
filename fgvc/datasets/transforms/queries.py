"""TAP-Vid query sampling: which (frame, position) each track is queried at.

Conventions follow the official TAP-Vid evaluation (tapnet): 'first' queries
each track at its first visible frame, 'strided' at every visible frame of a
regular stride.
"""

from typing import Dict

import numpy as np

__all__ = ['sample_queries_first', 'sample_queries_strided']


def sample_queries_first(
    target_occluded: np.ndarray, target_points: np.ndarray
) -> Dict[str, np.ndarray]:
    """TAP-Vid 'query first' sampling: one query per track.

    Each track is queried at its first visible frame; tracks that are never
    visible are dropped. Track order is preserved.

    Args:
        target_occluded: [N, T] bool, True where occluded.
        target_points: [N, T, 2] positions as (x, y), any scale.

    Returns:
        dict with ``query_points`` [n, 3] float64 as (t, y, x) in the input's
        scale, ``target_points`` [n, T, 2] (input dtype) and ``occluded``
        [n, T] bool, n = number of tracks with at least one visible frame.
    """
    occluded = np.asarray(target_occluded, dtype=bool)
    points = np.asarray(target_points)
    valid = np.any(~occluded, axis=1)
    occluded, points = occluded[valid], points[valid]
    first = np.argmax(~occluded, axis=1)  # index of the first visible frame
    xy = points[np.arange(points.shape[0]), first].astype(np.float64)
    query_points = np.stack([first.astype(np.float64), xy[:, 1], xy[:, 0]], axis=-1)
    return {
        'query_points': query_points.reshape(-1, 3),
        'target_points': points,
        'occluded': occluded,
    }


def sample_queries_strided(
    target_occluded: np.ndarray, target_points: np.ndarray, query_stride: int = 5
) -> Dict[str, np.ndarray]:
    """TAP-Vid 'query strided' sampling: queries every ``query_stride`` frames.

    For each frame t = 0, query_stride, 2 * query_stride, ... every track
    visible at t yields one query (t, y, x); queries are ordered by frame,
    then by track. A track therefore appears once per stride frame at which
    it is visible.

    Args:
        target_occluded: [N, T] bool, True where occluded.
        target_points: [N, T, 2] positions as (x, y), any scale.
        query_stride: distance in frames between query frames.

    Returns:
        dict with ``query_points`` [n, 3] float64 as (t, y, x) in the input's
        scale, ``target_points`` [n, T, 2] (input dtype), ``occluded`` [n, T]
        bool and ``trackgroup`` [n] int64 (index of the source track).
    """
    occluded = np.asarray(target_occluded, dtype=bool)
    points = np.asarray(target_points)
    num_frames = occluded.shape[1]
    # Visible (frame, track) pairs in frame-major order.
    frames = np.arange(0, num_frames, query_stride)
    frame_idx, track_idx = np.nonzero(~occluded[:, frames].T)
    frame_idx = frames[frame_idx]
    xy = points[track_idx, frame_idx].astype(np.float64)
    query_points = np.stack([frame_idx.astype(np.float64), xy[:, 1], xy[:, 0]], axis=-1)
    return {
        'query_points': query_points.reshape(-1, 3),
        'target_points': points[track_idx],
        'occluded': occluded[track_idx],
        'trackgroup': track_idx.astype(np.int64),
    }
