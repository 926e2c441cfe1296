"""Point tracking by label propagation over a video's features."""
from collections import deque
from typing import Iterator, Tuple

import torch

from .config import PropagationConfig
from .heatmaps import gaussian_heatmaps, heatmaps_to_points
from .local_attention import propagate_labels


def propagate_from(features: torch.Tensor, start: int, start_labels: torch.Tensor,
                   step: int, cfg: PropagationConfig) -> Iterator[Tuple[int, torch.Tensor]]:
    """Yield ``(t, labels_t)`` for frames after ``start`` in direction ``step`` (+1/-1).

    The memory is the start frame plus the ``precede_frames`` most recently
    predicted frames.
    """
    recent = deque(maxlen=cfg.precede_frames)
    stop = len(features) if step > 0 else -1
    for t in range(start + step, stop, step):
        memory = [(features[start], start_labels), *recent]
        labels = propagate_labels(
            features[t], torch.stack([f for f, _ in memory]),
            torch.stack([lab for _, lab in memory]), cfg.neighbor_range, cfg.topk,
            cfg.temperature, cfg.tile)
        yield t, labels
        if cfg.precede_frames > 0:
            recent.append((features[t], labels))


def track_points_with_peaks(features: torch.Tensor, query_points: torch.Tensor,
                            raster_hw: Tuple[int, int], cfg: PropagationConfig
                            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Track query points and report how strongly each label survives.

    Args:
        features: ``[T, C, h, w]`` L2-normalised features of every frame.
        query_points: ``[N, 3]`` as (t, y, x), positions in the raster.
        raster_hw: (H, W) of the raster the points live in.
        cfg: propagation settings.

    Returns:
        ``tracks`` ``[N, T, 2]`` (x, y) positions in the raster, and ``peaks``
        ``[N, T]``: the maximum of each point's label map on the feature grid
        in every frame (at the query frame, the peak of its Gaussian). Queries
        are grouped by query frame and propagated forward (and backward if
        ``cfg.bidirectional``) from it; frames not reached keep zeros.
    """
    num_frames = len(features)
    first = features[0]
    h, w = first.shape[-2:]
    stride_xy = (raster_hw[1] / w, raster_hw[0] / h)
    tracks = first.new_zeros(query_points.shape[0], num_frames, 2)
    peaks = first.new_zeros(query_points.shape[0], num_frames)
    query_frames = query_points[:, 0].round().long()
    for start in query_frames.unique().tolist():
        group = (query_frames == start).nonzero().squeeze(1)
        points_xy = query_points[group][:, [2, 1]].to(first)
        tracks[group, start] = points_xy
        start_labels = gaussian_heatmaps(points_xy, (h, w), stride_xy, cfg.sigma)
        peaks[group, start] = start_labels.flatten(1).amax(1)
        for step in ((1, -1) if cfg.bidirectional else (1,)):
            for t, labels in propagate_from(features, start, start_labels, step, cfg):
                tracks[group, t] = heatmaps_to_points(labels, raster_hw, cfg.coord_topk)
                peaks[group, t] = labels.flatten(1).amax(1)
    return tracks, peaks


def track_points(features: torch.Tensor, query_points: torch.Tensor,
                 raster_hw: Tuple[int, int], cfg: PropagationConfig) -> torch.Tensor:
    """Track query points through a video: the ``tracks`` of
    :func:`track_points_with_peaks`, ``[N, T, 2]`` (x, y) in the raster."""
    return track_points_with_peaks(features, query_points, raster_hw, cfg)[0]
