"""Keypoint tracks to tracker queries."""

import numpy as np
from mmcv.transforms import BaseTransform

from fgvc.registry import TRANSFORMS

from .queries import sample_queries_first

#: Where each joint is queried (see :class:`SampleKeypointQueries`).
SEEDS = ('first_visible', 'first_frame')


@TRANSFORMS.register_module()
class SampleKeypointQueries(BaseTransform):
    """Query the keypoints of a clip.

    Reads ``keypoints`` [J, T, 2] (x, y) in the frames' raster and
    ``keypoint_visible`` [J, T]; adds ``query_points`` [n, 3] (t, y, x),
    ``target_points`` [n, T, 2], ``occluded`` [n, T] (not visible or not
    annotated), ``joint_ids`` [n] (index of each query's joint) and
    ``raster_hw``.

    Args:
        seed: 'first_visible' (default): each joint at its first visible
            frame, joints never visible dropped; 'first_frame': every joint
            at the clip's first frame, at its annotated position there,
            visible or not (the authors' release: its BADJA and JHMDB
            datasets draw every joint of frame 0).
    """

    def __init__(self, seed: str = 'first_visible'):
        if seed not in SEEDS:
            raise ValueError(f'seed must be one of {SEEDS}, got {seed!r}')
        self.seed = seed

    def transform(self, results: dict) -> dict:
        visible = results.pop('keypoint_visible')
        keypoints = results.pop('keypoints')
        if self.seed == 'first_visible':
            queries = sample_queries_first(~visible, keypoints)
            joint_ids = visible.any(1).nonzero()[0]
        else:
            first_xy = keypoints[:, 0].astype(np.float64)
            queries = dict(
                query_points=np.stack(
                    [np.zeros(len(keypoints)), first_xy[:, 1], first_xy[:, 0]], axis=-1
                ).reshape(-1, 3),
                target_points=keypoints,
                occluded=~visible,
            )
            joint_ids = np.arange(len(keypoints))
        results.update(queries, joint_ids=joint_ids, raster_hw=results['video'].shape[1:3])
        return results
