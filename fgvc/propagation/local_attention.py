"""One propagation step: a target frame's labels from a memory of frames.

For every target pixel, affinities to memory pixels are cosine similarities
(features are L2-normalised by the caller) restricted to a disc of diameter
``neighbor_range`` on the feature grid (memory pixel q is a neighbour of p when
``|q - p| < neighbor_range / 2``), in every memory frame. The ``topk`` largest
over all memory frames jointly are kept, divided by ``temperature`` and
softmax-normalised, and the target label is the weighted mean of those memory
pixels' labels.

The step is split in two so that work is shared: :func:`local_candidates`
finds each target pixel's ``topk`` best pixels in ONE memory frame, and
:func:`merge_candidates` keeps the ``topk`` best of a memory's candidates and
averages labels. The joint top-k of several frames is always among the union
of their per-frame top-k, so the split is exact, and a memory frame shared by
several groups of queries is matched once. Matching is tiled: a
``tile x tile`` block of target pixels meets the block's halo with one matrix
product, so cost and memory grow with the neighbourhood, not with the square
of the frame.
"""
import math
from typing import NamedTuple, Sequence

import torch
import torch.nn.functional as F

#: Target pixels whose labels are gathered at once in :func:`merge_candidates`.
GATHER_CHUNK = 4096


class Candidates(NamedTuple):
    """Each target pixel's best matches in one memory frame.

    ``values`` ``[P, k]`` cosine affinities (``-inf`` where fewer than k
    pixels are allowed) and ``index`` ``[P, k]`` flat positions of the matched
    pixels in the memory frame, for the ``P = h * w`` target pixels.
    """
    values: torch.Tensor
    index: torch.Tensor


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


def local_candidates(target: torch.Tensor, memory: torch.Tensor, neighbor_range: float,
                     topk: int, tile: int = 16) -> Candidates:
    """Each target pixel's ``topk`` most similar memory pixels within its neighbourhood.

    Args:
        target: ``[C, h, w]`` L2-normalised features of the frame to label.
        memory: ``[C, h, w]`` L2-normalised features of one memory frame.
        neighbor_range: neighbourhood diameter in feature cells.
        topk: matches kept per target pixel.
        tile: target block size of one matrix product.
    """
    channels, h, w = target.shape
    halo = neighbourhood_halo(neighbor_range)
    tile = min(tile, max(h, w))
    pad_h, pad_w = -h % tile, -w % tile
    span = tile + 2 * halo
    tiles_x = (w + pad_w) // tile
    mem_pad = (halo, halo + pad_w, halo, halo + pad_h)
    k = min(topk, span * span)

    target = F.pad(target, (0, pad_w, 0, pad_h))
    memory = F.pad(memory, mem_pad)
    inside = F.pad(target.new_ones(1, h, w, dtype=torch.bool), mem_pad)[0]
    disc = _disc_mask(tile, halo, neighbor_range / 2, target.device)
    # Flat memory position of every halo cell of the tile row starting at row 0.
    rows = torch.arange(span, device=target.device) - halo
    cols = torch.arange(tiles_x, device=target.device)[:, None] * tile + torch.arange(span, device=target.device) - halo
    base = (rows[None, :, None] * w + cols[:, None, :]).reshape(tiles_x, 1, span * span)

    values = target.new_empty(tiles_x, tile * tile, k, (h + pad_h) // tile)
    index = torch.empty(values.shape, dtype=torch.long, device=target.device)
    for row, y0 in enumerate(range(0, h + pad_h, tile)):
        queries = target[:, y0:y0 + tile].reshape(channels, tile, tiles_x, tile)
        queries = queries.permute(2, 1, 3, 0).reshape(tiles_x, tile * tile, channels)
        keys = memory[:, y0:y0 + span].unfold(2, span, tile)  # [C, span, tiles_x, span]
        keys = keys.permute(2, 0, 1, 3).reshape(tiles_x, channels, span * span)
        valid = inside[y0:y0 + span].unfold(1, span, tile).permute(1, 0, 2).reshape(tiles_x, 1, -1)
        affinity = torch.bmm(queries, keys).masked_fill_(~(disc & valid), -math.inf)
        top, where = affinity.topk(k, dim=2)
        values[..., row] = top
        index[..., row] = (base + y0 * w).expand(-1, tile * tile, -1).gather(2, where)
    # [tiles_x, ty, tx, k, tiles_y] -> [tiles_y, ty, tiles_x, tx, k] -> pixels
    def to_pixels(x: torch.Tensor) -> torch.Tensor:
        x = x.view(tiles_x, tile, tile, k, -1).permute(4, 1, 0, 2, 3)
        return x.reshape(h + pad_h, w + pad_w, k)[:h, :w].reshape(h * w, k)
    index = to_pixels(index).clamp_(0, h * w - 1)  # -inf matches point anywhere valid
    return Candidates(to_pixels(values), index)


def merge_candidates(candidates: Sequence[Candidates], memory_labels: torch.Tensor,
                     topk: int, temperature: float) -> torch.Tensor:
    """Labels ``[N, P]`` of the target pixels from their candidates in every memory frame.

    Args:
        candidates: one :class:`Candidates` per memory frame.
        memory_labels: ``[M, N, P]`` the memory frames' label maps, flattened.
        topk: matches kept per target pixel over all memory frames.
        temperature: softmax temperature of the affinities.
    """
    num_mem, num_labels, num_pixels = memory_labels.shape
    values = torch.cat([c.values for c in candidates], 1)
    index = torch.cat([c.index + m * num_pixels for m, c in enumerate(candidates)], 1)
    top, where = values.topk(min(topk, values.shape[1]), dim=1)
    # A pixel with no allowed match anywhere (all -inf) gets zero labels.
    weights = torch.softmax(top / temperature, dim=1).nan_to_num_(0.0)
    index = index.gather(1, where)
    labels = memory_labels.transpose(0, 1).reshape(num_labels, num_mem * num_pixels)
    out = labels.new_empty(num_labels, num_pixels)
    for start in range(0, num_pixels, GATHER_CHUNK):
        stop = start + GATHER_CHUNK
        out[:, start:stop] = (labels[:, index[start:stop]] * weights[start:stop]).sum(-1)
    return out


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
    h, w = target.shape[-2:]
    candidates = [local_candidates(target, feats, neighbor_range, topk, tile)
                  for feats in memory_feats]
    labels = merge_candidates(candidates, memory_labels.flatten(2), topk, temperature)
    return labels.view(-1, h, w)
