"""Point <-> heatmap conversions on the feature grid.

Coordinates are continuous pixel positions in the frame raster: pixel ``i``
covers ``[i, i + 1)`` and its centre is ``i + 0.5``; a feature cell ``j`` at
stride ``s`` covers ``[j * s, (j + 1) * s)``.
"""
from typing import Tuple

import torch
import torch.nn.functional as F


def gaussian_heatmaps(points_xy: torch.Tensor, grid_hw: Tuple[int, int],
                      stride_xy: Tuple[float, float], sigma: float) -> torch.Tensor:
    """Gaussian label maps ``[N, h, w]`` for points ``[N, 2]`` given as (x, y).

    Each map is ``exp(-|c - p|^2 / (2 sigma^2))`` evaluated at the raster
    position ``c`` of every feature-cell centre; ``sigma`` is in raster pixels.
    """
    h, w = grid_hw
    device, dtype = points_xy.device, points_xy.dtype
    cx = (torch.arange(w, device=device, dtype=dtype) + 0.5) * stride_xy[0]
    cy = (torch.arange(h, device=device, dtype=dtype) + 0.5) * stride_xy[1]
    dx2 = (cx[None, :] - points_xy[:, 0:1]) ** 2
    dy2 = (cy[None, :] - points_xy[:, 1:2]) ** 2
    return torch.exp(-(dy2[:, :, None] + dx2[:, None, :]) / (2 * sigma ** 2))


def heatmaps_to_points(heatmaps: torch.Tensor, raster_hw: Tuple[int, int],
                       topk: int) -> torch.Tensor:
    """Positions ``[N, 2]`` (x, y) from label maps ``[N, h, w]``.

    Each map is upsampled bilinearly to the raster; the position is the mean of
    its ``topk`` highest pixel centres weighted by their (non-negative) values,
    or their plain mean where those values are all zero.
    """
    num, (height, width) = heatmaps.shape[0], raster_hw
    if num == 0:
        return heatmaps.new_zeros(0, 2)
    up = F.interpolate(heatmaps[:, None], size=(height, width), mode='bilinear',
                       align_corners=False).flatten(1)
    values, index = up.topk(min(topk, up.shape[1]), dim=1)
    weights = values.clamp_min(0)
    total = weights.sum(1, keepdim=True)
    weights = torch.where(total > 0, weights / total.clamp_min(torch.finfo(weights.dtype).tiny),
                          torch.full_like(weights, 1.0 / weights.shape[1]))
    x = (index % width).to(heatmaps.dtype) + 0.5
    y = torch.div(index, width, rounding_mode='floor').to(heatmaps.dtype) + 0.5
    return torch.stack([(weights * x).sum(1), (weights * y).sum(1)], dim=1)
