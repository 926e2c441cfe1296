"""Keypoint tracks to tracker queries."""

from mmcv.transforms import BaseTransform

from fgvc.registry import TRANSFORMS

from .queries import sample_queries_first


@TRANSFORMS.register_module()
class SampleKeypointQueries(BaseTransform):
    """Query every keypoint at its first visible frame.

    Reads ``keypoints`` [J, T, 2] (x, y) in the frames' raster and
    ``keypoint_visible`` [J, T]; adds ``query_points`` [n, 3] (t, y, x),
    ``target_points`` [n, T, 2], ``occluded`` [n, T] (not visible or not
    annotated), ``joint_ids`` [n] (index of each query's joint) and
    ``raster_hw``. Joints never visible are dropped.
    """

    def transform(self, results: dict) -> dict:
        visible = results.pop('keypoint_visible')
        queries = sample_queries_first(~visible, results.pop('keypoints'))
        results.update(
            queries, joint_ids=visible.any(1).nonzero()[0], raster_hw=results['video'].shape[1:3]
        )
        return results
