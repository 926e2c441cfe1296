"""Point tracking by label propagation over a video's features."""

from typing import Sequence, Tuple

import torch
from torch.profiler import record_function

from .config import PropagationConfig
from .engine import READOUT, propagate
from .heatmaps import WHOLE_MAPS_AT_ONCE as RASTER_MAPS_AT_ONCE
from .heatmaps import Readout, gaussian_heatmaps, peak_window_points, upsampled_to_points


def readout_of(cfg: PropagationConfig) -> Readout:
    """How ``cfg`` reads positions from label maps."""
    return Readout(cfg.position_offset, cfg.empty_position)


def seed_labels(
    points_xy: torch.Tensor,
    grid_hw: Tuple[int, int],
    raster_hw: Tuple[int, int],
    cfg: PropagationConfig,
) -> torch.Tensor:
    """Label maps ``[N, h, w]`` on the feature grid of points ``[N, 2]`` (x, y)
    in the raster: each point's Gaussian (``cfg.sigma``, ``cfg.label_grid``)."""
    stride_xy = (raster_hw[1] / grid_hw[1], raster_hw[0] / grid_hw[0])
    return gaussian_heatmaps(
        points_xy, grid_hw, stride_xy, cfg.sigma, cfg.label_grid, cfg.label_snap
    )


def query_frame_positions(
    points_xy: torch.Tensor, seeds: torch.Tensor, raster_hw: Tuple[int, int], cfg: PropagationConfig
) -> torch.Tensor:
    """What is reported at the query frame of points ``[N, 2]`` (x, y) seeded
    as ``seeds`` ``[N, h, w]`` (``cfg.query_frame_position``): the points
    themselves, the read-out of their Gaussians drawn at every raster pixel
    ('gaussian') or the read-out of their seed labels ('seed')."""
    if cfg.query_frame_position == 'query':
        return points_xy
    readout = readout_of(cfg)
    if cfg.query_frame_position == 'seed':
        return peak_window_points(seeds, raster_hw, cfg.coord_topk, cfg.coord_radius, readout)
    return torch.cat(
        [
            upsampled_to_points(
                seed_labels(chunk, raster_hw, raster_hw, cfg).flatten(1),
                raster_hw,
                cfg.coord_topk,
                readout,
            )
            for chunk in points_xy.split(RASTER_MAPS_AT_ONCE)
        ]
    )


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
    grid_hw = tuple(first.shape[-2:])
    readout = readout_of(cfg)
    tracks = first.new_zeros(num_points, num_frames, 2)
    peaks = first.new_zeros(num_points, num_frames)
    query_frames = query_points[:, 0].round().long()
    groups, seeds = {}, {}
    for start in query_frames.unique().tolist():
        group = (query_frames == start).nonzero().squeeze(1)
        points_xy = query_points[group][:, [2, 1]].to(first)
        seeds[start] = seed_labels(points_xy, grid_hw, raster_hw, cfg)
        tracks[group, start] = query_frame_positions(points_xy, seeds[start], raster_hw, cfg)
        peaks[group, start] = seeds[start].flatten(1).amax(1)
        groups[start] = group
    for backward in (False, True) if cfg.bidirectional else (False,):
        for start, t, labels in propagate(features, seeds, cfg, backward):
            with record_function(READOUT):
                tracks[groups[start], t] = peak_window_points(
                    labels, raster_hw, cfg.coord_topk, cfg.coord_radius, readout
                )
            peaks[groups[start], t] = labels.flatten(1).amax(1)
    return tracks, peaks
