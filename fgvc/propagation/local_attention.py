"""One propagation step: a target frame's labels from a memory of frames.

For every target pixel, affinities to memory pixels are cosine similarities
(features are L2-normalised by the caller) restricted to a disc of diameter
``neighbor_range`` on the feature grid (memory pixel q is a neighbour of p when
``|q - p| < neighbor_range / 2``), in every memory frame. The ``topk`` largest
over all memory frames jointly are kept, divided by ``temperature`` and
softmax-normalised, and the target label is the weighted mean of those memory
pixels' labels.

:func:`local_candidates` finds each target pixel's ``topk`` best pixels in
ONE memory frame (see :mod:`fgvc.propagation.matcher` for how candidates of
several frames are merged). Matching is tiled: a
``tile x tile`` block of target pixels meets the block's halo with one matrix
product, so cost and memory grow with the neighbourhood, not with the square
of the frame.
"""

import functools
import math

import torch
import torch.nn.functional as F

from fgvc.registry import MATCHERS

from .matcher import Candidates, Matcher, check_option, merge_candidates

#: Most affinities computed by one matrix product in :func:`local_candidates`.
PRODUCT_FLOATS = 2**20


def neighbourhood_halo(neighbor_range: float) -> int:
    """Largest integer offset d with d < neighbor_range / 2."""
    return max(math.ceil(neighbor_range / 2) - 1, 0)


@functools.lru_cache(maxsize=8)
def _disc_mask(tile: int, halo: int, radius: float, device: torch.device) -> torch.Tensor:
    """``[tile^2, (tile + 2 halo)^2]`` bool: halo cell within ``radius`` of tile cell.

    Built once per geometry: every (target, memory) frame pair of a video
    uses the same one (callers must not modify it)."""
    t = torch.arange(tile, device=device)
    s = torch.arange(tile + 2 * halo, device=device)
    d = (s[None, :] - halo - t[:, None]) ** 2  # [tile, span]: squared offset per axis
    dist2 = d[:, None, :, None] + d[None, :, None, :]  # [ti, tj, su, sv]
    return (dist2 < radius**2).reshape(tile * tile, -1)


def local_candidates(
    target: torch.Tensor, memory: torch.Tensor, neighbor_range: float, topk: int, tile: int = 16
) -> Candidates:
    """Each target pixel's ``topk`` most similar memory pixels within its neighbourhood.

    One row of tiles is matched at a time, ``PRODUCT_FLOATS`` affinities at
    most per matrix product, so the memory needed besides the inputs is a
    few such products and one padded band of the memory frame.

    Args:
        target: ``[C, h, w]`` L2-normalised features of the frame to label.
        memory: ``[C, h, w]`` L2-normalised features of one memory frame.
        neighbor_range: neighbourhood diameter in feature cells.
        topk: matches kept per target pixel.
        tile: target block size of one matrix product.
    """
    channels, h, w = target.shape
    device = target.device
    halo = neighbourhood_halo(neighbor_range)
    tile = min(tile, max(h, w))
    pad_w = -w % tile
    span = tile + 2 * halo
    tiles_x, tiles_y = (w + pad_w) // tile, -(-h // tile)
    k = min(topk, span * span)
    step = max(PRODUCT_FLOATS // (tile * tile * span * span), 1)  # tiles per product

    disc = _disc_mask(tile, halo, neighbor_range / 2, device)
    cols = (
        torch.arange(tiles_x, device=device)[:, None] * tile
        + torch.arange(span, device=device)
        - halo
    )
    col_ok = (cols >= 0) & (cols < w)  # [tiles_x, span]
    values = target.new_empty(tiles_y, tile, tiles_x, tile, k)
    index = torch.empty(values.shape, dtype=torch.long, device=device)
    for row in range(tiles_y):
        y0 = row * tile
        rows = torch.arange(y0 - halo, y0 - halo + span, device=device)
        row_ok = (rows >= 0) & (rows < h)
        band = memory[:, max(y0 - halo, 0) : y0 - halo + span]  # rows of the halos, then padded
        band = F.pad(
            band, (halo, halo + pad_w, max(halo - y0, 0), span - band.shape[1] - max(halo - y0, 0))
        )
        queries = target[:, y0 : y0 + tile]
        queries = F.pad(queries, (0, pad_w, 0, tile - queries.shape[1]))
        queries = (
            queries.view(channels, tile, tiles_x, tile)
            .permute(2, 1, 3, 0)
            .reshape(tiles_x, tile * tile, channels)
        )
        flat = (rows.clamp(0, h - 1)[None, :, None] * w + cols.clamp(0, w - 1)[:, None, :]).view(
            tiles_x, 1, -1
        )
        valid = (row_ok[None, :, None] & col_ok[:, None, :]).view(tiles_x, 1, -1)
        for first in range(0, tiles_x, step):
            chunk = slice(first, first + step)
            keys = band[:, :, first * tile :].unfold(2, span, tile)[
                :, :, :step
            ]  # [C, span, n, span]
            keys = keys.permute(2, 0, 1, 3).reshape(-1, channels, span * span)
            affinity = torch.bmm(queries[chunk], keys).masked_fill_(
                ~(disc & valid[chunk]), -math.inf
            )
            top, where = affinity.topk(k, dim=2)
            n = top.shape[0]
            values[row, :, chunk] = top.view(n, tile, tile, k).transpose(0, 1)
            index[row, :, chunk] = (
                flat[chunk]
                .expand(-1, tile * tile, -1)
                .gather(2, where)
                .view(n, tile, tile, k)
                .transpose(0, 1)
            )
    values = values.view(tiles_y * tile, tiles_x * tile, k)[:h, :w].reshape(h * w, k)
    index = index.view(tiles_y * tile, tiles_x * tile, k)[:h, :w].reshape(h * w, k)
    return Candidates(values, index)


def propagate_labels(
    target: torch.Tensor,
    memory_feats: torch.Tensor,
    memory_labels: torch.Tensor,
    neighbor_range: float,
    topk: int,
    temperature: float,
    tile: int = 16,
) -> torch.Tensor:
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
    candidates = [
        local_candidates(target, feats, neighbor_range, topk, tile) for feats in memory_feats
    ]
    labels = merge_candidates(
        candidates, memory_labels.transpose(0, 1).flatten(2), topk, temperature
    )
    return labels.view(-1, h, w)


@MATCHERS.register_module()
class LocalMatcher(Matcher):
    """Affinities inside each pixel's neighbourhood only, computed tile by tile.

    Args:
        neighbor_range: neighbourhood diameter on the feature grid.
        tile: target block size of one local affinity product.
    """

    def __init__(self, neighbor_range: float = 30, tile: int = 16):
        check_option('LocalMatcher', 'neighbor_range', neighbor_range, 'number', 0, strict=True)
        check_option('LocalMatcher', 'tile', tile, 'int', 1)
        self.neighbor_range = neighbor_range
        self.tile = tile

    def candidates(self, target: torch.Tensor, memory: torch.Tensor, topk: int) -> Candidates:
        return local_candidates(target, memory, self.neighbor_range, topk, self.tile)
