"""Local matching ('LocalMatcher', the default) and one propagation step.

For every target pixel, affinities to memory pixels are cosine similarities
(features are L2-normalised by the caller) restricted to a disc of diameter
``neighbor_range`` on the feature grid (memory pixel q is a neighbour of p when
``|q - p| < neighbor_range / 2``), in every memory frame. The ``topk`` largest
over all memory frames jointly are kept, divided by ``temperature`` and
softmax-normalised, and the target label is the weighted mean of those memory
pixels' labels.

:class:`LocalMatcher` finds each target pixel's ``topk`` best pixels in each
memory frame (see :mod:`fgvc.propagation.matcher` for how candidates of
several frames are merged). Its cost is the matrix products:

- a ``tile x tile`` block of target pixels meets the block's halo (the
  ``tile + 2 halo`` square around it) in every memory frame of the step with
  ONE product, so cost and memory grow with the neighbourhood, not with the
  square of the frame;
- the disc is an additive bias of the product (``baddbmm``) and the frame's
  border an extra feature channel (1 for target pixels, 0 inside the memory
  frame and ``-EXCLUDED`` in its padding), so no masked copy is made;
- a memory frame is zero-padded and given that channel once
  (:meth:`LocalMatcher.prepare`), not once per target frame;
- the top k of a row is found among the k chunks of ``CHUNK`` affinities
  whose maxima are largest (every one of the k best values lies in such a
  chunk), so the selection touches a small, compact tensor.
"""

import functools
import math
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch

from fgvc.registry import MATCHERS

from .matcher import Candidates, Matcher, check_option, merge_candidates
from .ranking import top_k

#: Most affinities computed by one matrix product.
PRODUCT_FLOATS = 2**22
#: Affinities per chunk of the two-stage top-k selection.
CHUNK = 16
#: Bias of excluded pairs; anything below ``-EXCLUDED / 2`` becomes -inf.
EXCLUDED = 1e4


def neighbourhood_halo(neighbor_range: float) -> int:
    """Largest integer offset d with d < neighbor_range / 2."""
    return max(math.ceil(neighbor_range / 2) - 1, 0)


class Geometry(NamedTuple):
    """Tiling of an ``h x w`` grid for a neighbourhood of half width ``halo``."""

    h: int
    w: int
    tile: int
    halo: int
    tiles_y: int
    tiles_x: int

    @property
    def span(self) -> int:
        return self.tile + 2 * self.halo


def geometry(h: int, w: int, neighbor_range: float, tile: int) -> Geometry:
    tile = min(tile, max(h, w))
    return Geometry(h, w, tile, neighbourhood_halo(neighbor_range), -(-h // tile), -(-w // tile))


def chunking(g: Geometry, topk: int) -> Tuple[int, int]:
    """Affinities per chunk of the top-k selection, and the halo cells of a
    tile padded to a multiple of it."""
    cells = g.span**2
    chunk = max(1, min(CHUNK, cells // topk))
    return chunk, -(-cells // chunk) * chunk


@functools.lru_cache(maxsize=8)
def _disc_bias(
    g: Geometry, columns: int, copies: int, radius: float, device: torch.device
) -> torch.Tensor:
    """``[tile^2, copies * columns]``: 0 where the halo cell is within ``radius``
    of the tile cell, ``-EXCLUDED`` elsewhere and in the padding columns;
    repeated for ``copies`` memory frames.

    Built once per geometry and shared by every frame pair (callers must not
    modify it)."""
    t = torch.arange(g.tile, device=device)
    s = torch.arange(g.span, device=device)
    d = (s[None, :] - g.halo - t[:, None]) ** 2  # [tile, span]: squared offset per axis
    near = ((d[:, None, :, None] + d[None, :, None, :]) < radius**2).reshape(g.tile**2, -1)
    bias = torch.full((g.tile**2, columns), -EXCLUDED, device=device)
    bias[:, : near.shape[1]].masked_fill_(near, 0.0)
    return bias.repeat(1, copies)


def _pad_with_border_channel(features: torch.Tensor, g: Geometry) -> torch.Tensor:
    """Channels-last ``[halo + tiles_y tile + halo, halo + tiles_x tile + halo, C + 1]``:
    the features zero-padded by the halo (and to whole tiles), with a last
    channel 0 inside the frame and ``-EXCLUDED`` outside. A tile's halo is
    then ``span`` runs of ``span (C + 1)`` contiguous floats."""
    channels = features.shape[0]
    out = features.new_zeros(
        g.tiles_y * g.tile + 2 * g.halo, g.tiles_x * g.tile + 2 * g.halo, channels + 1
    )
    out[..., -1] = -EXCLUDED
    inside = out[g.halo : g.halo + g.h, g.halo : g.halo + g.w]
    inside[..., :channels] = features.permute(1, 2, 0)
    inside[..., -1] = 0.0
    return out


def _query_tiles(target: torch.Tensor, g: Geometry) -> torch.Tensor:
    """``[tiles_y, tiles_x, tile^2, C + 1]`` target pixels by tile, last channel 1."""
    channels = target.shape[0]
    padded = target.new_zeros(channels + 1, g.tiles_y * g.tile, g.tiles_x * g.tile)
    padded[:channels, : g.h, : g.w] = target
    padded[-1] = 1.0
    tiles = padded.view(channels + 1, g.tiles_y, g.tile, g.tiles_x, g.tile)
    return tiles.permute(1, 3, 2, 4, 0).reshape(g.tiles_y, g.tiles_x, g.tile**2, channels + 1)


def select_topk(affinity: torch.Tensor, k: int, chunk: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Top ``k`` of the last dimension of ``affinity`` (``chunk * G`` long) and
    their positions, in the order of :func:`~fgvc.propagation.ranking.top_k`.

    They are read from the ``k`` chunks of largest maximum; chunk j holds
    positions ``j, j + G, j + 2 G, ...`` so that its maximum is an elementwise
    maximum of contiguous rows. Every entry of the top k lies in those chunks
    unless the k-th and (k+1)-th chunk maxima are equal; such rows are
    selected from the whole row.
    """
    if chunk == 1:
        return top_k(affinity, k)
    length = affinity.shape[-1]
    groups = length // chunk
    maxima, best = affinity.unflatten(-1, (chunk, groups)).amax(-2).topk(min(k + 1, groups), dim=-1)
    members = torch.arange(0, length, groups, device=affinity.device)
    where = (best[..., None, :k] + members[:, None]).flatten(-2)  # [..., chunk * k]
    top, pick = top_k(affinity.gather(-1, where), k, where)
    where = where.gather(-1, pick)
    unsure = (maxima[..., k - 1] == maxima[..., -1]).flatten().nonzero().squeeze(1)
    if groups > k and len(unsure):
        rows = affinity.reshape(-1, length)[unsure]
        top.view(-1, k)[unsure], where.view(-1, k)[unsure] = top_k(rows, k)
    return top, where


class LocalLayout(NamedTuple):
    """A memory frame laid out by :meth:`LocalMatcher.prepare`."""

    padded: torch.Tensor  # see _pad_with_border_channel
    geometry: Geometry


def local_match(
    target: torch.Tensor,
    memories: Sequence[LocalLayout],
    neighbor_range: float,
    topk: int,
    buffers: Optional[Dict[tuple, torch.Tensor]] = None,
) -> List[Candidates]:
    """Each target pixel's ``topk`` most similar pixels within its
    neighbourhood in every memory frame (one :class:`Candidates` each).

    The tiles of a row are matched ``PRODUCT_FLOATS`` affinities at a time,
    against all memory frames in one product; one key buffer serves every
    product, and every call that passes the same ``buffers`` dict.
    """
    g = memories[0].geometry
    if any(m.geometry != g for m in memories) or tuple(target.shape[1:]) != (g.h, g.w):
        raise ValueError('target and memory frames must share one grid and layout')
    num_mem, span, cells = len(memories), g.span, g.span**2
    chunk, columns = chunking(g, topk)
    k = min(topk, columns)
    queries = _query_tiles(target, g)
    bias = _disc_bias(g, columns, num_mem, neighbor_range / 2, target.device)
    step = min(max(PRODUCT_FLOATS // (g.tile**2 * num_mem * columns), 1), g.tiles_x)
    keys = _key_buffer(buffers, (step, num_mem, columns, queries.shape[-1]), cells, queries)
    # Tile-major results: each product writes one contiguous block.
    values = target.new_empty(g.tiles_y, g.tiles_x, g.tile**2, num_mem, k)
    where = torch.empty(values.shape, dtype=torch.long, device=target.device)
    for row in range(g.tiles_y):
        top = row * g.tile
        for first in range(0, g.tiles_x, step):
            n = min(step, g.tiles_x - first)
            left = first * g.tile
            for m, memory in enumerate(memories):
                band = memory.padded[top : top + span, left : left + (n - 1) * g.tile + span]
                window = band.unfold(1, span, g.tile).permute(1, 0, 3, 2)  # [n, span, span, C+1]
                keys[:n, m, :cells].view(n, span, span, -1).copy_(window)
            affinity = torch.baddbmm(
                bias, queries[row, first : first + n], keys[:n].flatten(1, 2).transpose(1, 2)
            )
            tiles = (row, slice(first, first + n))
            values[tiles], where[tiles] = select_topk(
                affinity.view(n, -1, num_mem, columns), k, chunk
            )
    values.masked_fill_(values < -EXCLUDED / 2, -math.inf)
    return _to_pixels(values, _halo_to_flat(where, g), g)


def _key_buffer(
    buffers: Optional[Dict[tuple, torch.Tensor]], shape: tuple, cells: int, like: torch.Tensor
) -> torch.Tensor:
    """Keys ``[tiles, M, columns, C + 1]`` whose padding columns (from ``cells``
    on) are excluded; products only write the first ``cells`` columns."""
    key = (shape, cells, like.dtype, like.device)
    if buffers is not None and key in buffers:
        return buffers[key]
    keys = like.new_zeros(shape)
    keys[:, :, cells:, -1] = -EXCLUDED
    if buffers is not None:
        buffers.clear()  # keep the buffer of the latest geometry only
        buffers[key] = keys
    return keys


def _halo_to_flat(where: torch.Tensor, g: Geometry) -> torch.Tensor:
    """Flat memory positions of halo positions ``where`` ``[tiles_y, tiles_x,
    tile^2, M, k]`` (clamped into the frame: those outside have -inf values)."""
    origin = torch.arange(g.tiles_y, device=where.device) * g.tile - g.halo
    y = origin.view(-1, 1, 1, 1, 1) + torch.div(where, g.span, rounding_mode='floor')
    origin = torch.arange(g.tiles_x, device=where.device) * g.tile - g.halo
    x = origin.view(1, -1, 1, 1, 1) + where % g.span
    return y.clamp_(0, g.h - 1) * g.w + x.clamp_(0, g.w - 1)


def _to_pixels(values: torch.Tensor, index: torch.Tensor, g: Geometry) -> List[Candidates]:
    """Tile-major ``[tiles_y, tiles_x, tile^2, M, k]`` results as one
    :class:`Candidates` per memory frame, in raster order of the target pixels."""
    num_mem, k = values.shape[-2:]

    def crop(x: torch.Tensor) -> torch.Tensor:
        x = x.view(g.tiles_y, g.tiles_x, g.tile, g.tile, num_mem, k).permute(4, 0, 2, 1, 3, 5)
        x = x.reshape(num_mem, g.tiles_y * g.tile, g.tiles_x * g.tile, k)[:, : g.h, : g.w]
        return x.reshape(num_mem, g.h * g.w, k)

    values, index = crop(values), crop(index)
    return [Candidates(values[m], index[m]) for m in range(num_mem)]


def local_candidates(
    target: torch.Tensor, memory: torch.Tensor, neighbor_range: float, topk: int, tile: int = 16
) -> Candidates:
    """Each target pixel's ``topk`` most similar memory pixels within its neighbourhood.

    Args:
        target: ``[C, h, w]`` L2-normalised features of the frame to label.
        memory: ``[C, h, w]`` L2-normalised features of one memory frame.
        neighbor_range: neighbourhood diameter in feature cells.
        topk: matches kept per target pixel.
        tile: target block size of one matrix product.
    """
    matcher = LocalMatcher(neighbor_range, tile)
    return matcher.match(target, [matcher.prepare(memory)], topk)[0]


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
    matcher = LocalMatcher(neighbor_range, tile)
    candidates = matcher.match(target, [matcher.prepare(m) for m in memory_feats], topk)
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
        self._buffers: Dict[tuple, torch.Tensor] = {}

    def prepare(self, features: torch.Tensor) -> LocalLayout:
        g = geometry(*features.shape[-2:], self.neighbor_range, self.tile)
        return LocalLayout(_pad_with_border_channel(features, g), g)

    def match(
        self, target: torch.Tensor, memories: Sequence[LocalLayout], topk: int
    ) -> List[Candidates]:
        return local_match(target, memories, self.neighbor_range, topk, self._buffers)
