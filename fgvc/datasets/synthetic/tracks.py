"""Exact ground-truth point tracks of a scene.

A track starts at the centre of a pixel of its query frame q (pixel-centre
convention: pixel (i, j) has centre (j + 0.5, i + 0.5)), owned by the layer
shown there. Its canonical point is A_q^-1 p and its position at frame t is
A_t (A_q^-1 p), so tracks follow the layer's affine motion exactly. A track
is occluded at frame t when its position lies outside [0, W) x [0, H) or when
a layer in front of its owner covers it (that layer's mask, sampled
bilinearly at the position's canonical point, is >= 0.5, the same rule the
renderer uses at pixel centres).
"""

from dataclasses import dataclass
from typing import Tuple

import numpy as np

from . import geometry
from .scene import Scene

# Candidate points drawn per wanted late-query track: only candidates hidden
# at frame 0 are kept, so a margin is needed.
LATE_CANDIDATES_PER_TRACK = 32


@dataclass
class Tracks:
    """Ground-truth tracks.

    Attributes:
        points: float32 [N, T, 2] (x, y) in pixels, pixel-centre convention.
        occluded: bool [N, T].
        query_frames: int64 [N] frame each point was sampled in (visible there).
        layers: int64 [N] id of the layer the point belongs to.
    """

    points: np.ndarray
    occluded: np.ndarray
    query_frames: np.ndarray
    layers: np.ndarray


def apply_per_frame(motions: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply maps [T, 2, 3] to points [N, T, 2], frame by frame."""
    return np.einsum('tij,ntj->nti', motions[:, :, :2], points) + motions[:, :, 2]


def follow(
    scene: Scene, frames: np.ndarray, xy: np.ndarray, layers: np.ndarray
) -> Tuple[np.ndarray, np.ndarray]:
    """Positions [N, T, 2] and occlusion [N, T] of points ``xy`` [N, 2] in ``frames`` [N]."""
    n, t_all = len(xy), scene.num_frames
    points = np.empty((n, t_all, 2))
    occluded = np.zeros((n, t_all), bool)
    for lid in np.unique(layers):
        sel = layers == lid
        layer = scene.layers[lid]
        inv = geometry.invert(layer.motion[frames[sel]])
        canon = np.einsum('nij,nj->ni', inv[:, :, :2], xy[sel]) + inv[:, :, 2]
        lin, shift = layer.motion[:, :, :2], layer.motion[:, :, 2]
        points[sel] = np.einsum('tij,nj->nti', lin, canon) + shift
        occluded[sel] |= (geometry.bilinear(layer.mask, canon) < 0.5)[:, None]
    for k in range(1, len(scene.layers)):
        behind = layers < k
        if not behind.any():
            continue
        front = scene.layers[k]
        canon = apply_per_frame(geometry.invert(front.motion), points[behind])
        occluded[behind] |= geometry.bilinear(front.mask, canon) >= 0.5
    x, y = points[..., 0], points[..., 1]
    occluded |= (x < 0) | (x >= scene.width) | (y < 0) | (y >= scene.height)
    return points, occluded


def _pick_pixels(
    rng: np.random.Generator, ids: np.ndarray, count: int, foreground_fraction: float
) -> np.ndarray:
    """Flat pixel indices: a fraction on foreground layers, the rest anywhere."""
    flat = ids.ravel()
    fg = np.flatnonzero(flat > 0)
    n_fg = min(int(round(count * foreground_fraction)), len(fg))
    picked = rng.choice(fg, n_fg, replace=False) if n_fg else np.empty(0, np.int64)
    rest = rng.choice(np.setdiff1d(np.arange(flat.size), picked), count - n_fg, replace=False)
    return np.concatenate([picked, rest])


def _candidates(scene: Scene, ids: np.ndarray, frames: np.ndarray, flat: np.ndarray):
    rows, cols = np.divmod(flat, scene.width)
    xy = np.stack([cols, rows], -1) + 0.5
    layers = ids[frames, rows, cols].astype(np.int64)
    points, occluded = follow(scene, frames, xy, layers)
    ok = ~occluded[np.arange(len(frames)), frames]
    return points[ok], occluded[ok], frames[ok], layers[ok]


def sample_tracks(
    scene: Scene,
    ids: np.ndarray,
    rng: np.random.Generator,
    num_points: int,
    late_query_fraction: float,
    foreground_fraction: float,
) -> Tracks:
    """Sample ``num_points`` tracks on visible pixels (see module docstring).

    Most points are sampled in frame 0; ``late_query_fraction`` of them in a
    later frame among points hidden in frame 0, so their first visible frame
    is later than 0 (when the scene has too few such points, the remainder
    come from frame 0).
    """
    n_frames = scene.num_frames
    n_late = int(round(num_points * late_query_fraction)) if n_frames > 1 else 0
    parts = []
    if n_late:
        m = n_late * LATE_CANDIDATES_PER_TRACK
        frames = rng.integers(1, n_frames, m)
        flat = np.concatenate([_pick_pixels(rng, ids[f], 1, foreground_fraction) for f in frames])
        late = _candidates(scene, ids, frames, flat)
        keep = np.flatnonzero(late[1][:, 0])[:n_late]
        parts.append(tuple(a[keep] for a in late))
    n_first = num_points - sum(len(p[0]) for p in parts)
    first = _candidates(
        scene,
        ids,
        np.zeros(2 * n_first, np.int64),
        _pick_pixels(rng, ids[0], 2 * n_first, foreground_fraction),
    )
    parts.insert(0, tuple(a[:n_first] for a in first))
    points, occluded, frames, layers = (np.concatenate(a) for a in zip(*parts))
    return Tracks(points.astype(np.float32), occluded, frames, layers)
