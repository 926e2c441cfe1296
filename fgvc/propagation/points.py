"""Point tracking by label propagation over a video's features."""

from typing import Sequence, Tuple

import torch
from torch.profiler import record_function

from .config import PropagationConfig
from .engine import READOUT, propagate
from .heatmaps import gaussian_heatmaps, peak_window_points


def track_points_with_peaks(
    features: Sequence[torch.Tensor],
    query_points: torch.Tensor,
    raster_hw: Tuple[int, int],
    cfg: PropagationConfig,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Track query points and report how strongly each label survives.

    Args:
        features: ``features[t]`` is frame t's ``[C, h, w]`` L2-normalised
            features (a tensor ``[T, C, h, w]`` or a lazily encoded video).
        query_points: ``[N, 3]`` as (t, y, x), positions in the raster.
        raster_hw: (H, W) of the raster the points live in.
        cfg: propagation settings.

    Returns:
        ``tracks`` ``[N, T, 2]`` (x, y) positions in the raster, and ``peaks``
        ``[N, T]``: the maximum of each point's label map on the feature grid
        in every frame (at the query frame, the peak of its Gaussian). Queries
        are grouped by query frame and propagated forward (and backward if
        ``cfg.bidirectional``) from it; frames not reached keep zeros.

    Each position is read around its map's peak as soon as the map is
    predicted (:func:`peak_window_points`, equal to reading the whole
    upsampled map) and only the tracks are kept.
    """
    num_frames, num_points = len(features), query_points.shape[0]
    first = features[0]
    h, w = first.shape[-2:]
    stride_xy = (raster_hw[1] / w, raster_hw[0] / h)
    tracks = first.new_zeros(num_points, num_frames, 2)
    peaks = first.new_zeros(num_points, num_frames)
    query_frames = query_points[:, 0].round().long()
    groups, seeds = {}, {}
    for start in query_frames.unique().tolist():
        group = (query_frames == start).nonzero().squeeze(1)
        points_xy = query_points[group][:, [2, 1]].to(first)
        tracks[group, start] = points_xy
        seeds[start] = gaussian_heatmaps(points_xy, (h, w), stride_xy, cfg.sigma)
        peaks[group, start] = seeds[start].flatten(1).amax(1)
        groups[start] = group
    for backward in (False, True) if cfg.bidirectional else (False,):
        for start, t, labels in propagate(features, seeds, cfg, backward):
            with record_function(READOUT):
                tracks[groups[start], t] = peak_window_points(
                    labels, raster_hw, cfg.coord_topk, cfg.coord_radius
                )
            peaks[groups[start], t] = labels.flatten(1).amax(1)
    return tracks, peaks
