"""Coarse-to-fine matching ('coarse_to_fine' mode, docs/method.md section 4).

Both frames' features are average-pooled ``factor x factor`` (stride 8 for
stride-2 features) and re-normalised. Every coarse target cell finds its best
coarse memory cell within ``coarse_range`` (a disc diameter in coarse cells),
which gives a displacement shared by the cell's ``factor x factor`` target
pixels. Each of those pixels is then matched on the fine grid in the square of
half side ``refine_radius`` centred on the pixel moved by that displacement.
The wide coarse search is cheap (few cells); the fine search is small.
"""

import math

import torch
import torch.nn.functional as F

from .local_attention import Candidates, local_candidates


def _pool(features: torch.Tensor, factor: int) -> torch.Tensor:
    return F.normalize(F.avg_pool2d(features[None], factor, ceil_mode=True)[0], dim=0)


def coarse_to_fine_candidates(
    target: torch.Tensor,
    memory: torch.Tensor,
    factor: int,
    coarse_range: float,
    refine_radius: int,
    topk: int,
    tile: int = 16,
) -> Candidates:
    """Each target pixel's ``topk`` best memory pixels near its coarse match.

    Args:
        target, memory: ``[C, h, w]`` L2-normalised features of the frame to
            label and of one memory frame.
        factor: feature cells per coarse cell, per side.
        coarse_range: neighbourhood diameter of the coarse match, coarse cells.
        refine_radius: half side of the fine window, feature cells.
        topk: matches kept per target pixel.
        tile: tile size of the coarse matching.
    """
    channels, h, w = target.shape
    coarse = local_candidates(_pool(target, factor), _pool(memory, factor), coarse_range, 1, tile)
    coarse_h, coarse_w = -(-h // factor), -(-w // factor)
    cell = torch.arange(coarse_h * coarse_w, device=target.device)
    match = coarse.index[:, 0]
    shift_y = (match // coarse_w - cell // coarse_w) * factor  # [cells], feature cells
    shift_x = (match % coarse_w - cell % coarse_w) * factor

    side = factor + 2 * refine_radius
    span = torch.arange(side, device=target.device) - refine_radius
    top = (cell // coarse_w) * factor + shift_y
    left = (cell % coarse_w) * factor + shift_x
    rows = top[:, None] + span  # [cells, side]
    cols = left[:, None] + span
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    flat = (rows.clamp(0, h - 1)[:, :, None] * w + cols.clamp(0, w - 1)[:, None, :]).flatten(1)
    # Pixel (ty, tx) of a cell sees window cells within refine_radius of (ty, tx) + r.
    offset = torch.arange(factor, device=target.device)
    near = (span[None, :] - offset[:, None]).abs() <= refine_radius  # [factor, side]
    window = (near[:, None, :, None] & near[None, :, None, :]).reshape(factor * factor, -1)

    pad_w = coarse_w * factor - w
    memory_rows = memory.reshape(channels, h * w).t().contiguous()  # gathers whole pixels
    k = min(topk, side * side)
    values = target.new_empty(coarse_h * coarse_w, factor * factor, k)
    index = torch.empty(values.shape, dtype=torch.long, device=target.device)
    for row in range(coarse_h):  # one row of coarse cells at a time
        cells = slice(row * coarse_w, (row + 1) * coarse_w)
        queries = target[:, row * factor : (row + 1) * factor]
        queries = F.pad(queries, (0, pad_w, 0, factor - queries.shape[1]))
        queries = queries.reshape(channels, factor, coarse_w, factor).permute(2, 1, 3, 0)
        keys = memory_rows[flat[cells]]  # [cells, side^2, C]
        affinity = torch.bmm(
            queries.reshape(coarse_w, factor * factor, channels), keys.transpose(1, 2)
        )
        affinity.masked_fill_(~(window & valid[cells].flatten(1)[:, None]), -math.inf)
        values[cells], where = affinity.topk(k, dim=2)
        index[cells] = flat[cells][:, None].expand(-1, factor * factor, -1).gather(2, where)

    def to_pixels(x: torch.Tensor) -> torch.Tensor:
        x = x.view(coarse_h, coarse_w, factor, factor, k).permute(0, 2, 1, 3, 4)
        return x.reshape(coarse_h * factor, coarse_w * factor, k)[:h, :w].reshape(h * w, k)

    return Candidates(to_pixels(values), to_pixels(index))
