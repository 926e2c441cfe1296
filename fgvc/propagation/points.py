"""Point tracking by label propagation: a whole video at once, or a stream frame by frame.

A group of points queried in one frame is seeded there as Gaussian label
maps (:func:`seed_labels`); propagation predicts the group's maps in every
later (or earlier) frame, and each point's position is read around its map's
peak (:func:`read_points`), which also gives the peak value that occlusion
compares with the query frame's (:func:`fgvc.propagation.occlusion_from_peaks`).
:func:`track_points_with_peaks` does this for a whole video;
:class:`PointStream` holds what a stream needs between frames and
:func:`step_points` takes it one frame further.
"""

from typing import Dict, Hashable, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch.profiler import record_function

from .config import PropagationConfig
from .engine import READOUT, propagate
from .heatmaps import WHOLE_MAPS_AT_ONCE as RASTER_MAPS_AT_ONCE
from .heatmaps import Readout, gaussian_heatmaps, peak_window_points, upsampled_to_points
from .stream import StreamPropagation


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
    in the raster: each point's Gaussian (``cfg.sigma``, ``cfg.label_grid``,
    ``cfg.label_snap``)."""
    stride_xy = (raster_hw[1] / grid_hw[1], raster_hw[0] / grid_hw[0])
    return gaussian_heatmaps(
        points_xy, grid_hw, stride_xy, cfg.sigma, cfg.label_grid, cfg.label_snap
    )


def read_points(
    labels: torch.Tensor, raster_hw: Tuple[int, int], cfg: PropagationConfig
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Positions ``[N, 2]`` (x, y in the raster) read around the peaks of the
    label maps ``[N, h, w]`` (:func:`peak_window_points`, read as
    :func:`readout_of` says), and the peaks ``[N]``."""
    with record_function(READOUT):
        xy = peak_window_points(
            labels, raster_hw, cfg.coord_topk, cfg.coord_radius, readout_of(cfg)
        )
    return xy, labels.flatten(1).amax(1)


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
    predicted (:func:`read_points`) and only the tracks are kept.
    """
    num_frames, num_points = len(features), query_points.shape[0]
    first = features[0]
    grid_hw = tuple(first.shape[-2:])
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
            tracks[groups[start], t], peaks[groups[start], t] = read_points(labels, raster_hw, cfg)
    return tracks, peaks


class PointStep(NamedTuple):
    """One group's points in the frame just stepped: positions ``xy`` ``[n, 2]``
    (x, y in the raster), label ``peaks`` ``[n]`` and the peaks at the group's
    query frame, ``query_peaks`` ``[n]``."""

    key: Hashable
    xy: torch.Tensor
    peaks: torch.Tensor
    query_peaks: torch.Tensor


class PointStream:
    """What tracking points through a stream keeps between frames.

    The groups' label memory and the features it matches against live in one
    :class:`StreamPropagation` (:attr:`memory`); besides it, the peak of every
    point's label at its query frame (occlusion compares later peaks with
    it). The caller holds the state and passes it to :func:`step_points` with
    each frame; a group is the points added in one frame, keyed by its index.

    Args:
        cfg: propagation settings.
        raster_hw: (H, W) of the raster the points live in.
    """

    def __init__(self, cfg: PropagationConfig, raster_hw: Tuple[int, int]):
        self.cfg = cfg
        self.raster_hw = tuple(raster_hw)
        self.memory = StreamPropagation(cfg)
        self.query_peaks: Dict[Hashable, torch.Tensor] = {}
        self.frame = -1  # index of the last frame stepped

    def keep_points(self, key: Hashable, rows: torch.Tensor) -> None:
        """Keep only the points ``rows`` (indices) of group ``key``; a group
        left without points is dropped with its query frame."""
        self.memory.keep_labels(key, rows)
        self.query_peaks[key] = self.query_peaks[key][rows]
        if key not in self.memory:
            del self.query_peaks[key]


def step_points(
    state: PointStream, features: torch.Tensor, new_points: Optional[torch.Tensor] = None
) -> List[PointStep]:
    """Take the stream one frame further.

    Args:
        state: the stream so far (updated in place).
        features: ``[C, h, w]`` L2-normalised features of the next frame.
        new_points: ``[n, 2]`` (x, y in the raster) points queried in this
            frame, or None.

    Returns:
        The groups tracked before this frame, in the order they were added,
        then the new points (at their query-frame positions,
        :func:`query_frame_positions`) keyed by this frame's index.
    """
    state.frame += 1
    t, cfg = state.frame, state.cfg
    seeds = {}
    if new_points is not None and len(new_points):
        new_points = new_points.to(features)
        seeds[t] = seed_labels(new_points, tuple(features.shape[-2:]), state.raster_hw, cfg)
    out = []
    for key, labels in state.memory.step(t, features, seeds):
        xy, peaks = read_points(labels, state.raster_hw, cfg)
        out.append(PointStep(key, xy, peaks, state.query_peaks[key]))
    if seeds:
        peaks = seeds[t].flatten(1).amax(1)
        state.query_peaks[t] = peaks
        xy = query_frame_positions(new_points, seeds[t], state.raster_hw, cfg)
        out.append(PointStep(t, xy, peaks, peaks))
    return out
