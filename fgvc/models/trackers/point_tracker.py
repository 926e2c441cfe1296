"""A tracker that encodes frames and propagates query points through them."""

from dataclasses import replace
from typing import Optional, Sequence, Tuple

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
            every point visible everywhere.
        occluded_everywhere: predict no visibility at all: every point is
            occluded in every frame, as the authors' release reports (its
            tracker returns zeros for visibility: AJ is 0 and occlusion
            accuracy counts the occluded ground truth), whatever
            ``occlusion_threshold`` says.
    """

    def __init__(
        self,
        backbone: dict,
        propagation: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        frames_per_batch: int = 8,
        occlusion_threshold: Optional[float] = None,
        occluded_everywhere: bool = False,
        init_cfg=None,
    ):
        super().__init__(backbone, propagation, data_preprocessor, frames_per_batch, init_cfg)
        self.occlusion_threshold = occlusion_threshold
        self.occluded_everywhere = occluded_everywhere

    @torch.no_grad()
    def track(
        self,
        features: Sequence[torch.Tensor],
        query_points: torch.Tensor,
        raster_hw: Tuple[int, int],
        bidirectional: bool = False,
        max_memory_mb: Optional[float] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Track query points through a video.

        Args:
            features: ``features[t]`` is frame t's ``[C, h, w]`` unit-norm
                features (a tensor or :meth:`lazy_features`).
            query_points: ``[N, 3]`` (t, y, x), positions in the raster.
            raster_hw: (H, W) of the raster the points live in.
            bidirectional: also propagate backwards from each query frame
                (besides the config's own setting), so that every frame gets
                a position.
            max_memory_mb: feature-memory bound used when the config sets
                none (see :class:`fgvc.propagation.PropagationConfig`).

        Returns:
            ``tracks`` ``[N, T, 2]`` (x, y) in the raster and ``occluded``
            ``[N, T]`` bool (all True with ``occluded_everywhere``, else all
            False when ``occlusion_threshold`` is None).
        """
        cfg = self.propagation
        if bidirectional and not cfg.bidirectional:
            cfg = replace(cfg, bidirectional=True)
        if max_memory_mb is not None and cfg.max_memory_mb is None:
            cfg = replace(cfg, max_memory_mb=max_memory_mb)
        query_points = query_points.to(features[0])
        tracks, peaks = track_points_with_peaks(features, query_points, raster_hw, cfg)
        if self.occluded_everywhere or self.occlusion_threshold is None:
            occluded = torch.full(
                tracks.shape[:2], self.occluded_everywhere, dtype=torch.bool, device=tracks.device
            )
        else:
            occluded = occlusion_from_peaks(
                peaks, query_points[:, 0].round(), self.occlusion_threshold
            )
        return tracks, occluded

    def predict_sample(self, features: Sequence[torch.Tensor], sample: BaseDataElement) -> None:
        queries = torch.as_tensor(sample.query_points, dtype=torch.float32)
        # 'strided' evaluation scores frames before each query frame too.
        strided = sample.get('query_mode') == 'strided'
        tracks, occluded = self.track(features, queries, tuple(sample.raster_hw), strided)
        sample.pred_tracks = tracks.cpu().numpy()
        sample.pred_occluded = occluded.cpu().numpy()
