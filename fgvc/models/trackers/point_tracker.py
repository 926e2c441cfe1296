"""A tracker that encodes frames and propagates query points through them."""

from dataclasses import replace
from typing import Optional, Sequence

import torch
from mmengine.structures import BaseDataElement

from fgvc.propagation import occlusion_from_peaks, track_points_with_peaks
from fgvc.registry import MODELS

from .base import PropagationTracker


@MODELS.register_module()
class PointTracker(PropagationTracker):
    """Evaluate an encoder by label propagation of query points.

    Serves TAP-Vid point tracking and keypoint tracking (JHMDB, BADJA): a data
    sample carries ``query_points`` [N, 3] (t, y, x) in the raster
    ``raster_hw``; ``pred_tracks`` [N, T, 2] (x, y) and ``pred_occluded``
    [N, T] are added.

    Args:
        backbone, propagation, data_preprocessor, frames_per_batch: see
            :class:`PropagationTracker`.
        occlusion_threshold: predict a point occluded where its label's
            relative confidence falls below this value
            (:func:`fgvc.propagation.occlusion_from_peaks`); None predicts
            every point visible everywhere (the released method).
    """

    def __init__(
        self,
        backbone: dict,
        propagation: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        frames_per_batch: int = 8,
        occlusion_threshold: Optional[float] = None,
        init_cfg=None,
    ):
        super().__init__(backbone, propagation, data_preprocessor, frames_per_batch, init_cfg)
        self.occlusion_threshold = occlusion_threshold

    def predict_sample(self, features: Sequence[torch.Tensor], sample: BaseDataElement) -> None:
        queries = torch.as_tensor(
            sample.query_points, dtype=torch.float32, device=features[0].device
        )
        # 'strided' evaluation scores frames before each query frame too.
        cfg = self.propagation
        if sample.get('query_mode') == 'strided' and not cfg.bidirectional:
            cfg = replace(cfg, bidirectional=True)
        tracks, peaks = track_points_with_peaks(features, queries, tuple(sample.raster_hw), cfg)
        if self.occlusion_threshold is None:
            occluded = torch.zeros(tracks.shape[:2], dtype=torch.bool)
        else:
            occluded = occlusion_from_peaks(peaks, queries[:, 0].round(), self.occlusion_threshold)
        sample.pred_tracks = tracks.cpu().numpy()
        sample.pred_occluded = occluded.cpu().numpy()
