"""Exact optical flow of a rendered scene.

The flow of frame t towards frame s at pixel p (pixel-centre convention) is
the displacement of the surface point shown at p, i.e. of the front-most
layer k = ids[t, p]:  flow(p) = A_s^k (A_t^k)^-1 p - p.

* into_future of frame t: s = t + 1. Sampling frame t + 1 at p + flow(p)
  reproduces frame t wherever the point is not occluded in frame t + 1
  (backward warping of frame t + 1 into frame t).
* into_past of frame t: s = t - 1.

The flow is defined everywhere, also where the point becomes occluded or
leaves the frame, as in FlyingThings3D.
"""

import numpy as np

from . import geometry
from .scene import Scene


def flow_between(scene: Scene, ids: np.ndarray, t: int, s: int) -> np.ndarray:
    """Flow float32 [H, W, 2] (u, v) of frame t towards frame s; ``ids`` [T, H, W]."""
    grid = geometry.pixel_centres(scene.height, scene.width)
    flow = np.zeros_like(grid)
    for k in np.unique(ids[t]):
        motion = scene.layers[k].motion
        m = geometry.compose(motion[s], geometry.invert(motion[t]))
        sel = ids[t] == k
        flow[sel] = geometry.apply(m, grid[sel]) - grid[sel]
    return flow.astype(np.float32)


def future_flows(scene: Scene, ids: np.ndarray) -> np.ndarray:
    """[T-1, H, W, 2]: entry t is frame t's flow into the future (towards t + 1)."""
    return np.stack([flow_between(scene, ids, t, t + 1) for t in range(scene.num_frames - 1)])


def past_flows(scene: Scene, ids: np.ndarray) -> np.ndarray:
    """[T-1, H, W, 2]: entry t is frame t + 1's flow into the past (towards t)."""
    return np.stack([flow_between(scene, ids, t + 1, t) for t in range(scene.num_frames - 1)])
