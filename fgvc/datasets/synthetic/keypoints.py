"""Keypoints on one "actor" layer (JHMDB joints, BADJA animal joints).

The actor is the foreground layer whose centre is inside the frame in the
most frames (ties: the nearest layer). Keypoints are canonical pixel centres
drawn inside its mask, away from its edge, and follow its affine motion; their
occlusion follows the track rule of :mod:`.tracks`.
"""

from typing import Tuple

import cv2
import numpy as np

from . import geometry
from .scene import Scene
from .tracks import follow

# Keypoints keep this distance (pixels of the canonical mask) from the edge.
EDGE_MARGIN = 2


def actor_layer(scene: Scene) -> int:
    """Id of the foreground layer that stays in the frame longest."""
    best, best_count = 1, -1
    for k, layer in enumerate(scene.layers[1:], start=1):
        h, w = layer.mask.shape
        centre = layer.motion[:, :, :2] @ np.array([w / 2.0, h / 2.0]) + layer.motion[:, :, 2]
        inside = ((centre >= 0) & (centre < [scene.width, scene.height])).all(-1).sum()
        if inside >= best_count:
            best, best_count = k, int(inside)
    return best


def layer_keypoints(
    scene: Scene, layer_id: int, count: int, rng: np.random.Generator
) -> Tuple[np.ndarray, np.ndarray]:
    """Positions float64 [count, T, 2] and occlusion bool [count, T] of keypoints on a layer."""
    layer = scene.layers[layer_id]
    kernel = np.ones((2 * EDGE_MARGIN + 1,) * 2, np.uint8)
    interior = cv2.erode((layer.mask >= 0.5).astype(np.uint8), kernel)
    rows, cols = np.nonzero(interior if interior.any() else layer.mask >= 0.5)
    pick = rng.choice(len(rows), count, replace=len(rows) < count)
    canon = np.stack([cols[pick], rows[pick]], -1) + 0.5
    at_zero = geometry.apply(layer.motion[0], canon)
    return follow(scene, np.zeros(count, np.int64), at_zero, np.full(count, layer_id, np.int64))
