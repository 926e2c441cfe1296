"""Geometry of flow-supervised correlation on a strided feature grid.

Conventions: flows are ``[B, 2, H, W]`` (u, v) in pixels of the frame
raster, pixel ``i`` centred at index ``i``; a flow at a target pixel points to
its match in the reference frame. A feature map of ``[h, w]`` cells has
stride ``H / h``; window displacements ``d = (dy, dx)`` in ``[-R, R]^2`` are
ordered row-major, as in :func:`fgvc.models.ops.local_correlation`.

Where the authors' release computes these differently, the release's rule is
here too, chosen by name (docs/fidelity.md, training recipe): ``'top_left'``
grid sampling, the ``'release'`` forward-backward check and ``'zero'``
off-map logits.
"""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: How a feature cell takes a frame-resolution field: the mean over its
#: pixels, or the value of its top-left pixel (the release's ``x[::s, ::s]``).
GRID_SAMPLINGS = ('cell_mean', 'top_left')
#: Forward-backward checks: UnFlow's (Meister et al. 2018) and the release's.
FB_CHECKS = ('unflow', 'release')
#: Off-map window displacements: left out of the softmax, or kept with the
#: logit 0 of a zero-padded correlation (the release).
OFF_MAP = ('mask', 'zero')


def check_choice(name: str, value: str, choices: Tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; else a ValueError naming ``name``."""
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
    return value


def grid_stride(frame_hw: Tuple[int, int], grid_hw: Tuple[int, int]) -> int:
    """Integer stride between a frame raster and a feature grid."""
    stride = frame_hw[0] // grid_hw[0]
    if stride * grid_hw[0] != frame_hw[0] or stride * grid_hw[1] != frame_hw[1]:
        raise ValueError(
            f'frame size {tuple(frame_hw)} is not an integer multiple of '
            f'feature size {tuple(grid_hw)} in both dimensions'
        )
    return stride


def window_offsets(radius: int, device=None) -> Tensor:
    """``[(2R+1)^2, 2]`` displacements (dx, dy), row-major over (dy, dx)."""
    steps = torch.arange(-radius, radius + 1, device=device)
    dy, dx = torch.meshgrid(steps, steps, indexing='ij')
    return torch.stack([dx.flatten(), dy.flatten()], dim=1)


def window_inside(grid_hw: Tuple[int, int], radius: int, device=None) -> Tensor:
    """``[K, h, w]`` bool: whether ``p + d`` lies on the grid."""
    h, w = grid_hw
    offsets = window_offsets(radius, device)
    ys = torch.arange(h, device=device).view(1, h, 1) + offsets[:, 1].view(-1, 1, 1)
    xs = torch.arange(w, device=device).view(1, 1, w) + offsets[:, 0].view(-1, 1, 1)
    return (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)


def sample_at(values: Tensor, displacement: Tensor) -> Tensor:
    """Bilinearly sample ``values`` ``[B, C, h, w]`` at ``p + displacement(p)``
    (``[B, 2, h, w]``, cells); zero outside the map."""
    b, _, h, w = values.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=values.device, dtype=values.dtype),
        torch.arange(w, device=values.device, dtype=values.dtype),
        indexing='ij',
    )
    x = xs + displacement[:, 0]
    y = ys + displacement[:, 1]
    grid = torch.stack([(2 * x + 1) / w - 1, (2 * y + 1) / h - 1], dim=-1)
    return F.grid_sample(
        values, grid.expand(b, h, w, 2), mode='bilinear', padding_mode='zeros', align_corners=False
    )


def sample_at_release(values: Tensor, displacement: Tensor) -> Tensor:
    """The release's warp of ``values`` ``[B, C, h, w]`` by ``displacement``.

    The release normalises ``p + displacement(p)`` as for
    ``align_corners=True`` (``2x / (w - 1) - 1``) but samples with
    ``align_corners=False``, so it reads ``values`` at
    ``x * w / (w - 1) - 0.5`` (and likewise in y); where the bilinear
    footprint there is not wholly on the map (the sampled ones fall to
    0.9999 or below) the result is zero.
    """
    b, _, h, w = values.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=values.device, dtype=values.dtype),
        torch.arange(w, device=values.device, dtype=values.dtype),
        indexing='ij',
    )
    x = (xs + displacement[:, 0]) * 2 / max(w - 1, 1) - 1
    y = (ys + displacement[:, 1]) * 2 / max(h - 1, 1) - 1
    grid = torch.stack([x, y], dim=-1).expand(b, h, w, 2)
    sampled = F.grid_sample(
        values, grid, mode='bilinear', padding_mode='zeros', align_corners=False
    )
    ones = values.new_ones(b, 1, h, w)
    footprint = F.grid_sample(
        ones, grid, mode='bilinear', padding_mode='zeros', align_corners=False
    )
    return sampled * (footprint > 0.9999).to(values.dtype)


def inside_frame(displacement: Tensor) -> Tensor:
    """``[B, h, w]`` bool: whether ``p + displacement(p)`` stays on the map
    (between the first and the last cell centre)."""
    _, _, h, w = displacement.shape
    ys = torch.arange(h, device=displacement.device).view(h, 1)
    xs = torch.arange(w, device=displacement.device).view(1, w)
    x = xs + displacement[:, 0]
    y = ys + displacement[:, 1]
    return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def forward_backward_consistent(
    flow: Tensor, flow_back: Tensor, relative_tolerance: float, absolute_tolerance: float
) -> Tensor:
    """``[B, H, W]`` bool: target pixels whose flow is undone by the backward flow.

    With ``b = flow_back(p + flow(p))``, pixel p is consistent when
    ``|flow + b|^2 <= relative_tolerance * (|flow|^2 + |b|^2) + absolute_tolerance``
    and ``p + flow(p)`` lies in the reference frame; everything else counts
    as occluded.
    """
    back = sample_at(flow_back, flow)
    mismatch = (flow + back).pow(2).sum(1)
    bound = relative_tolerance * (flow.pow(2).sum(1) + back.pow(2).sum(1)) + absolute_tolerance
    return (mismatch <= bound) & inside_frame(flow)


def release_forward_backward_consistent(
    flow: Tensor, flow_back: Tensor, relative_tolerance: float, absolute_tolerance: float
) -> Tensor:
    """``[B, H, W]`` bool: the release's forward-backward check.

    With ``b`` the backward flow warped the release's way
    (:func:`sample_at_release`: zero where its footprint leaves the frame),
    pixel p is consistent when
    ``|flow + b|^2 < relative_tolerance * sum_c(2 * flow_c + b_c^2) + absolute_tolerance``:
    the release's bound has ``2 * flow`` where UnFlow's has ``flow^2``, so it
    depends on the flow's sign. The match need not lie in the frame.
    """
    back = sample_at_release(flow_back, flow)
    mismatch = (flow + back).pow(2).sum(1)
    bound = relative_tolerance * (2 * flow + back.pow(2)).sum(1) + absolute_tolerance
    return mismatch < bound


def flow_to_grid(
    flow: Tensor, valid: Tensor, stride: int, sampling: str = 'cell_mean'
) -> Tuple[Tensor, Tensor]:
    """Flow in cells at the grid and the cells that carry it.

    ``'cell_mean'``: the mean over each cell's pixels, divided by the stride;
    a cell is valid only where all its pixels are. ``'top_left'`` (the
    release): the flow of each cell's top-left pixel divided by the stride,
    valid where that pixel is.
    """
    check_choice('grid_sampling', sampling, GRID_SAMPLINGS)
    if sampling == 'top_left':
        return flow[:, :, ::stride, ::stride] / stride, valid[:, ::stride, ::stride]
    grid_flow = F.avg_pool2d(flow, stride) / stride
    invalid = F.max_pool2d((~valid).unsqueeze(1).to(flow.dtype), stride)
    return grid_flow, invalid.squeeze(1) == 0


def values_to_grid(values: Tensor, stride: int, sampling: str = 'cell_mean') -> Tensor:
    """``[B, C, H, W]`` frame values at the grid: each cell's mean, or its
    top-left pixel (``'top_left'``, the release)."""
    check_choice('grid_sampling', sampling, GRID_SAMPLINGS)
    if sampling == 'top_left':
        return values[:, :, ::stride, ::stride]
    return F.avg_pool2d(values, stride)


def off_map_logits(logits: Tensor, inside: Tensor, off_map: str) -> Tensor:
    """``[B, K, h, w]`` window logits ready for a softmax over K.

    ``inside`` (``[K, h, w]``) tells the displacements that stay on the map.
    ``'mask'``: the others get -inf (no share of the softmax); ``'zero'``
    (the release): they get 0, the value a zero-padded correlation has there,
    and keep their share.
    """
    check_choice('off_map', off_map, OFF_MAP)
    fill = float('-inf') if off_map == 'mask' else 0.0
    return logits.masked_fill(~inside.unsqueeze(0), fill)


def gaussian_logits(grid_flow: Tensor, radius: int, sigma: float) -> Tensor:
    """``[B, K, h, w]`` log of a Gaussian (up to a constant) over the window
    around each pixel, centred on its flow; ``sigma`` in cells."""
    offsets = window_offsets(radius, grid_flow.device).to(grid_flow.dtype)
    dx = offsets[:, 0].view(1, -1, 1, 1) - grid_flow[:, 0:1]
    dy = offsets[:, 1].view(1, -1, 1, 1) - grid_flow[:, 1:2]
    return -(dx.pow(2) + dy.pow(2)) / (2 * sigma**2)
