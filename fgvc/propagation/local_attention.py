"""One propagation step: a target frame's labels from a memory of frames.

For every target pixel, affinities to memory pixels are cosine similarities
(features are L2-normalised by the caller) restricted to a disc of diameter
``neighbor_range`` on the feature grid (memory pixel q is a neighbour of p when
``|q - p| < neighbor_range / 2``), in every memory frame. The ``topk`` largest
over all memory frames jointly are kept, divided by ``temperature`` and
softmax-normalised, and the target label is the weighted mean of those memory
pixels' labels.

The computation is tiled: a ``tile x tile`` block of target pixels is matched
against the block's halo in each memory frame with one matrix product, so cost
and memory grow with the neighbourhood, not with the square of the frame.
"""
import math

import torch
import torch.nn.functional as F


def neighbourhood_halo(neighbor_range: float) -> int:
    """Largest integer offset d with d < neighbor_range / 2."""
    return max(math.ceil(neighbor_range / 2) - 1, 0)


def _disc_mask(tile: int, halo: int, radius: float, device) -> torch.Tensor:
    """``[tile^2, (tile + 2 halo)^2]`` bool: halo cell within ``radius`` of tile cell."""
    t = torch.arange(tile, device=device)
    s = torch.arange(tile + 2 * halo, device=device)
    d = (s[None, :] - halo - t[:, None]) ** 2  # [tile, span]: squared offset per axis
    dist2 = d[:, None, :, None] + d[None, :, None, :]  # [ti, tj, su, sv]
    return (dist2 < radius ** 2).reshape(tile * tile, -1)


def propagate_labels(target: torch.Tensor, memory_feats: torch.Tensor,
                     memory_labels: torch.Tensor, neighbor_range: float, topk: int,
                     temperature: float, tile: int = 16) -> torch.Tensor:
    """Predict the target frame's label maps.

    Args:
        target: ``[C, h, w]`` L2-normalised features of the frame to label.
        memory_feats: ``[M, C, h, w]`` L2-normalised features of memory frames.
        memory_labels: ``[M, N, h, w]`` label maps of the memory frames.
        neighbor_range: neighbourhood diameter in feature cells.
        topk: affinities kept per target pixel over all memory frames.
        temperature: softmax temperature of the cosine affinities.
        tile: target block size of one matrix product.

    Returns:
        ``[N, h, w]`` label maps of the target frame.
    """
    channels, h, w = target.shape
    num_mem, num_labels = memory_labels.shape[:2]
    halo = neighbourhood_halo(neighbor_range)
    tile = min(tile, max(h, w))
    pad_h, pad_w = -h % tile, -w % tile
    span = tile + 2 * halo
    mem_pad = (halo, halo + pad_w, halo, halo + pad_h)

    target = F.pad(target, (0, pad_w, 0, pad_h))
    feats = F.pad(memory_feats, mem_pad)
    labels = F.pad(memory_labels, mem_pad)
    inside = F.pad(target.new_ones(1, h, w, dtype=torch.bool), mem_pad)[0]
    disc = _disc_mask(tile, halo, neighbor_range / 2, target.device)
    k = min(topk, num_mem * span * span)

    out = target.new_zeros(num_labels, h + pad_h, w + pad_w)
    for y0 in range(0, h + pad_h, tile):
        for x0 in range(0, w + pad_w, tile):
            query = target[:, y0:y0 + tile, x0:x0 + tile].reshape(channels, -1).t()
            keys = feats[:, :, y0:y0 + span, x0:x0 + span].transpose(0, 1).reshape(channels, -1)
            valid = disc[:, None, :] & inside[y0:y0 + span, x0:x0 + span].reshape(1, 1, -1)
            affinity = (query @ keys).view(-1, num_mem, span * span)
            affinity = affinity.masked_fill(~valid, float('-inf')).flatten(1)
            values, index = affinity.topk(k, dim=1)
            weights = torch.softmax(values / temperature, dim=1)
            window = labels[:, :, y0:y0 + span, x0:x0 + span].transpose(0, 1).reshape(num_labels, -1)
            block = (window[:, index] * weights).sum(-1)
            out[:, y0:y0 + tile, x0:x0 + tile] = block.view(num_labels, tile, tile)
    return out[:, :h, :w]
