"""A tracker that encodes frames and propagates query points through them."""

from dataclasses import replace
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.structures import BaseDataElement

from fgvc.propagation import (
    MemoryPolicy,
    PointStream,
    occluded,
    peaks_at,
    step_points,
    track_points_with_peaks,
)
from fgvc.registry import MEMORIES, MODELS

from .base import PropagationTracker


class TrackedPoints(NamedTuple):
    """One group of points in a frame of a stream (:meth:`PointTracker.step`):
    the group's ``key`` (the index of the frame its points were added in),
    positions ``xy`` ``[n, 2]`` (x, y in the raster) and ``visible`` ``[n]`` bool."""

    key: int
    xy: torch.Tensor
    visible: torch.Tensor


@MODELS.register_module()
class PointTracker(PropagationTracker):
    """Evaluate an encoder by label propagation of query points.

    Serves TAP-Vid point tracking and keypoint tracking (JHMDB, BADJA): a data
    sample carries ``query_points`` [N, 3] (t, y, x) in the raster
    ``raster_hw``; ``pred_tracks`` [N, T, 2] (x, y) and ``pred_occluded``
    [N, T] are added.

    Args:
        backbone: the encoder's config.
        occlusion_threshold: predict a point occluded where its label's
            relative confidence falls below this value
            (:func:`fgvc.propagation.occluded`); None predicts
            every point visible everywhere.
        occluded_everywhere: predict no visibility at all: every point is
            occluded in every frame, as the authors' release reports (its
            tracker returns zeros for visibility: AJ is 0 and occlusion
            accuracy counts the occluded ground truth), whatever
            ``occlusion_threshold`` says.
        strided_memory: the memory policy (a config dict of a registered
            :class:`fgvc.propagation.MemoryPolicy`) used for TAP-Vid
            'strided' queries, a query frame every few frames, in place of
            the propagation's own; None keeps the propagation's.
        options: ``propagation``, ``data_preprocessor``, ``frames_per_batch``,
            ``init_cfg`` of :class:`PropagationTracker`.
    """

    def __init__(
        self,
        backbone: dict,
        occlusion_threshold: Optional[float] = None,
        occluded_everywhere: bool = False,
        strided_memory: Optional[dict] = None,
        **options,
    ):
        super().__init__(backbone, **options)
        self.occlusion_threshold = occlusion_threshold
        self.occluded_everywhere = occluded_everywhere
        self.strided_memory: Optional[MemoryPolicy] = None
        if strided_memory is not None:
            self.strided_memory = MEMORIES.build(strided_memory)
            # the policy must suit these propagation settings
            replace(self.propagation, memory=self.strided_memory)

    @torch.no_grad()
    def track(
        self,
        features: Sequence[torch.Tensor],
        query_points: torch.Tensor,
        raster_hw: Tuple[int, int],
        bidirectional: bool = False,
        max_memory_mb: Optional[float] = None,
        memory: Optional[MemoryPolicy] = None,
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
            memory: memory policy used instead of the config's, or None.

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
        if memory is not None:
            cfg = replace(cfg, memory=memory)
        query_points = query_points.to(features[0])
        tracks, peaks = track_points_with_peaks(features, query_points, raster_hw, cfg)
        return tracks, self._occlusion(peaks, peaks_at(peaks, query_points[:, 0].round()))

    def _occlusion(self, peaks: torch.Tensor, query_peaks: torch.Tensor) -> torch.Tensor:
        """Predicted occlusion (bool, shaped like ``peaks``) from label peaks
        and the peaks at the query frames (:func:`fgvc.propagation.occluded`):
        all True with ``occluded_everywhere``, all False without an
        ``occlusion_threshold``."""
        if self.occluded_everywhere or self.occlusion_threshold is None:
            return torch.full(
                peaks.shape, self.occluded_everywhere, dtype=torch.bool, device=peaks.device
            )
        return occluded(peaks, query_peaks, self.occlusion_threshold)

    def start_stream(self, raster_hw: Tuple[int, int]) -> PointStream:
        """The state of a stream of frames of the raster ``raster_hw`` (H, W),
        for :meth:`step`; the caller holds it."""
        return PointStream(self.propagation, raster_hw)

    @torch.no_grad()
    def step(
        self, state: PointStream, frame: torch.Tensor, new_points: Optional[torch.Tensor] = None
    ) -> List[TrackedPoints]:
        """Track the points of ``state`` into the next frame of a stream.

        Args:
            state: from :meth:`start_stream`, updated in place.
            frame: ``[3, H, W]`` normalised encoder input of the frame.
            new_points: ``[n, 2]`` (x, y in the raster) points queried in
                this frame (tracked from the next one), or None.

        Returns:
            Every group of points, in the order they were added, the new
            points last (at their query-frame positions, visible unless
            ``occluded_everywhere``). Tracks and visibility equal
            :meth:`track`'s forward tracks of the same queries.
        """
        features = self.encode(frame[None])[0]
        out = []
        for group in step_points(state, features, new_points):
            visible = ~self._occlusion(group.peaks, group.query_peaks)
            out.append(TrackedPoints(group.key, group.xy, visible))
        return out

    def predict_sample(self, features: Sequence[torch.Tensor], sample: BaseDataElement) -> None:
        queries = torch.as_tensor(sample.query_points, dtype=torch.float32)
        # 'strided' evaluation scores frames before each query frame too, and
        # its many query frames may have their own memory policy.
        strided = sample.get('query_mode') == 'strided'
        memory = self.strided_memory if strided else None
        tracks, occluded = self.track(
            features, queries, tuple(sample.raster_hw), strided, memory=memory
        )
        sample.pred_tracks = tracks.cpu().numpy()
        sample.pred_occluded = occluded.cpu().numpy()
