"""Local matching ('LocalMatcher', the default) and one propagation step.

For every target pixel, affinities to memory pixels are cosine similarities
(features are L2-normalised by the caller) restricted to a disc of diameter
``neighbor_range`` on the feature grid (memory pixel q is a neighbour of p when
``|q - p| < neighbor_range / 2``), in every memory frame. The ``topk`` largest
over all memory frames jointly are kept, divided by ``temperature`` and
softmax-normalised, and the target label is the weighted mean of those memory
pixels' labels.

:class:`LocalMatcher` finds each target pixel's ``topk`` best pixels, in each
memory frame (:meth:`~LocalMatcher.match`) or over all of them at once
(:meth:`~LocalMatcher.match_joint`; see :mod:`fgvc.propagation.matcher`).
Its cost is the matrix products:

- a ``tile x tile`` block of target pixels meets the block's halo (the
  ``tile + 2 halo`` square around it) with ONE product row, and the tiles of
  a run along a tile row share one product, so cost and memory grow with the
  neighbourhood, not with the square of the frame;
- the halo of every tile of a run is read in place: the run's band of memory
  rows is copied once, column-major, so that each tile's halo is one
  contiguous block and consecutive tiles' blocks overlap at a fixed stride;
- the disc is an additive bias of the product (``baddbmm``) and the frame's
  border an extra feature channel (1 for target pixels, 0 inside the memory
  frame and ``-EXCLUDED`` in its padding), so no masked copy is made;
- a memory frame is zero-padded and given that channel once
  (:meth:`LocalMatcher.prepare`), not once per target frame;
- the top k of a row is found among the k chunks of ``CHUNK`` affinities
  whose maxima are largest (every one of the k best values lies in such a
  chunk), so the selection touches a small, compact tensor; selecting over
  all memory frames at once makes one row per target pixel, not one per
  (pixel, memory frame).
"""

import functools
import math
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import torch

from fgvc.registry import MATCHERS

from .matcher import Candidates, Matcher, check_option, merge_candidates
from .ranking import top_k
from .workers import run_all, scratch

#: Most affinities per chunk of the two-stage top-k selection. It changes no
#: result (the selection is exact: tests/propagation/test_ranking.py); it trades
#: the chunk maxima kept (L / CHUNK a row and memory frame) against the
#: candidates gathered (k CHUNK a row).
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


def chunk_size(length: int, topk: int) -> int:
    """Affinities per chunk of the selection in rows of ``length``: the largest
    divisor of ``length`` up to ``CHUNK`` that leaves more than ``topk``
    chunks (1: rows are selected whole)."""
    for chunk in range(min(CHUNK, length // (topk + 1)), 1, -1):
        if length % chunk == 0:
            return chunk
    return 1


@functools.lru_cache(maxsize=8)
def _halo_tables(
    g: Geometry, radius: float, device: torch.device
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The disc bias ``[tile^2, span^2]`` (0 where the halo cell is within
    ``radius`` of the tile cell, ``-EXCLUDED`` elsewhere) with halo cells in
    column-major order, and each such cell's row-major position ``[span^2]``.

    Built once per geometry and shared by every frame pair (callers must not
    modify them)."""
    t = torch.arange(g.tile, device=device)
    s = torch.arange(g.span, device=device)
    d = (s[None, :] - g.halo - t[:, None]) ** 2  # [tile, span]: squared offset per axis
    # [tile y, tile x, halo x, halo y]
    near = (d[:, None, None, :] + d[None, :, :, None]) < radius**2
    bias = torch.zeros(near.shape, device=device).masked_fill_(~near, -EXCLUDED)
    column_major = torch.arange(g.span**2, device=device)
    row_major = (column_major % g.span) * g.span + column_major // g.span
    return bias.reshape(g.tile**2, g.span**2), row_major


def _pad_with_border_channel(features: torch.Tensor, g: Geometry) -> torch.Tensor:
    """Channels-last ``[halo + tiles_y tile + halo, halo + tiles_x tile + halo, C + 1]``:
    the features zero-padded by the halo (and to whole tiles), with a last
    channel 0 inside the frame and ``-EXCLUDED`` outside."""
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


def select_joint(
    blocks: torch.Tensor, k: int, chunk: int, keys: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Top ``k`` of each row over ``S`` segments, in the order of
    :func:`~fgvc.propagation.ranking.top_k`.

    Args:
        blocks: contiguous ``[S, R, L]``: row r is the concatenation of
            ``blocks[s, r]`` over s, position ``s L + i`` holding ``blocks[s, r, i]``.
        k: entries kept per row.
        chunk: affinities per chunk, a divisor of ``L`` (1: whole rows).
        keys: ``[L]`` tie keys of the positions of a segment (default: the
            position); position ``s L + i`` has key ``s L + keys[i]``.

    Returns:
        values and positions ``[R, k]``. They are read from the ``k`` chunks of
        largest maximum; chunk j of a segment holds its positions
        ``j, j + G, j + 2 G, ...`` (``G = L / chunk``), so that chunk maxima
        are elementwise maxima of contiguous rows. Every entry of the top k
        lies in those chunks unless the k-th value equals the (k+1)-th chunk
        maximum; such rows are selected whole.
    """
    segments, rows, length = blocks.shape
    positions = torch.arange(length, device=blocks.device)
    keys = positions if keys is None else keys
    row_keys = (torch.arange(segments, device=blocks.device)[:, None] * length + keys).flatten()
    if chunk == 1:
        whole = blocks.permute(1, 0, 2).reshape(rows, -1)
        return top_k(whole, k, row_keys.expand_as(whole))
    groups = length // chunk
    maxima = blocks.view(segments, rows, chunk, groups).amax(2).permute(1, 0, 2).reshape(rows, -1)
    best_max, best = maxima.topk(min(k + 1, segments * groups), dim=1)
    segment = torch.div(best[:, :k], groups, rounding_mode='floor')
    members = (best[:, :k] % groups)[:, :, None] + positions[::groups][None, None, :]
    flat = (segment * rows + torch.arange(rows, device=blocks.device)[:, None])[:, :, None]
    values = blocks.view(-1)[(flat * length + members).flatten(1)]  # [R, k chunk]
    where = (segment[:, :, None] * length + members).flatten(1)
    top, pick = top_k(values, k, (segment[:, :, None] * length + keys[members]).flatten(1))
    where = where.gather(1, pick)
    if best.shape[1] > k:
        unsure = (top[:, k - 1] == best_max[:, k]).nonzero().squeeze(1)
        if len(unsure):
            whole = blocks[:, unsure].permute(1, 0, 2).reshape(len(unsure), -1)
            top[unsure], where[unsure] = top_k(whole, k, row_keys.expand_as(whole))
    return top, where


def select_topk(
    affinity: torch.Tensor, k: int, chunk: int, keys: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """:func:`select_joint` of every row of ``affinity`` (``[..., L]``) on its own."""
    length = affinity.shape[-1]
    top, where = select_joint(affinity.reshape(1, -1, length), k, chunk, keys)
    shape = affinity.shape[:-1] + (top.shape[-1],)
    return top.view(shape), where.view(shape)


class LocalLayout(NamedTuple):
    """A memory frame laid out by :meth:`LocalMatcher.prepare`."""

    padded: torch.Tensor  # see _pad_with_border_channel
    geometry: Geometry


def _buffer(name: str, size: int, like: torch.Tensor) -> torch.Tensor:
    """A flat scratch tensor of at least ``size`` elements, kept by the calling thread."""
    tensors = scratch()
    held = tensors.get(name)
    if (
        held is None
        or held.numel() < size
        or held.dtype != like.dtype
        or held.device != like.device
    ):
        held = tensors[name] = like.new_empty(size)
    return held[:size]


def _run_affinity(
    queries: torch.Tensor,
    memories: Sequence[LocalLayout],
    top: int,
    left: int,
    bias: torch.Tensor,
) -> torch.Tensor:
    """Affinities ``[M, n tile^2, span^2]`` of a run of ``n`` tiles
    (``queries`` ``[n, tile^2, C + 1]``, its first tile at feature cell
    ``(top, left)``) to the column-major halo cells of their tile in each of the
    ``M`` memories, disc and frame border applied; in the thread's scratch."""
    g = memories[0].geometry
    n, cells, channels = queries.shape[0], g.span**2, queries.shape[-1]
    width = n * g.tile + 2 * g.halo
    band = _buffer('band', width * g.span * channels, queries).view(width, g.span, channels)
    affinity = _buffer('affinity', len(memories) * n * g.tile**2 * cells, queries)
    affinity = affinity.view(len(memories), n, g.tile**2, cells)
    for m, memory in enumerate(memories):
        band.copy_(memory.padded[top : top + g.span, left : left + width].transpose(0, 1))
        halos = band.as_strided((n, cells, channels), (g.tile * g.span * channels, channels, 1))
        torch.baddbmm(bias, queries, halos.transpose(1, 2), out=affinity[m])
    return affinity.view(len(memories), n * g.tile**2, cells)


def _halo_to_flat(where: torch.Tensor, g: Geometry) -> torch.Tensor:
    """Flat memory positions of row-major halo positions ``where`` ``[tiles_y,
    tiles_x, tile^2, ...]`` (clamped into the frame: those outside have -inf
    values)."""
    extra = (1,) * (where.dim() - 2)
    origin = torch.arange(g.tiles_y, device=where.device) * g.tile - g.halo
    y = origin.view(-1, 1, *extra) + torch.div(where, g.span, rounding_mode='floor')
    origin = torch.arange(g.tiles_x, device=where.device) * g.tile - g.halo
    x = origin.view(1, -1, *extra) + where % g.span
    return y.clamp_(0, g.h - 1) * g.w + x.clamp_(0, g.w - 1)


def _to_pixels(x: torch.Tensor, g: Geometry) -> torch.Tensor:
    """Tile-major ``[tiles_y, tiles_x, tile^2, ...]`` results in raster order of
    the target pixels, ``[h w, ...]``."""
    rest = x.shape[3:]
    x = x.view(g.tiles_y, g.tiles_x, g.tile, g.tile, *rest).transpose(1, 2)
    x = x.reshape(g.tiles_y * g.tile, g.tiles_x * g.tile, *rest)[: g.h, : g.w]
    return x.reshape(g.h * g.w, *rest)


def local_match(
    target: torch.Tensor,
    memories: Sequence[LocalLayout],
    neighbor_range: float,
    topk: int,
    product_floats: int,
    joint: bool = False,
):
    """Each target pixel's ``topk`` most similar pixels within its
    neighbourhood: in every memory frame (a list of :class:`Candidates`), or
    over all memory frames at once if ``joint`` (one :class:`Candidates`
    whose index is ``m h w + pixel`` for memory frame m). At most
    ``product_floats`` affinities are held at once per job.

    Runs of tiles along the tile rows are matched and selected independently
    (:func:`~fgvc.propagation.workers.run_all`).
    """
    g = memories[0].geometry
    if any(m.geometry != g for m in memories) or tuple(target.shape[1:]) != (g.h, g.w):
        raise ValueError('target and memory frames must share one grid and layout')
    num_mem, cells = len(memories), g.span**2
    bias, row_major = _halo_tables(g, neighbor_range / 2, target.device)
    k = min(topk, num_mem * cells if joint else cells)
    chunk = chunk_size(cells, k)
    queries = _query_tiles(target, g)
    shape = (g.tiles_y, g.tiles_x, g.tile**2) + (() if joint else (num_mem,)) + (k,)
    values = target.new_empty(shape)
    where = torch.empty(shape, dtype=torch.long, device=target.device)
    # The joint top-k needs every memory frame of a tile at once; per-frame
    # candidates take as many frames at a time as fit in product_floats.
    per_tile = g.tile**2 * cells
    group = num_mem if joint else min(max(product_floats // per_tile, 1), num_mem)
    run = min(max(product_floats // (group * per_tile), 1), g.tiles_x)

    def job(row: int, first: int, frames: slice) -> Callable[[], None]:
        def match_run() -> None:
            tiles = (row, slice(first, first + run))
            affinity = _run_affinity(
                queries[tiles], memories[frames], row * g.tile, first * g.tile, bias
            )
            if joint:
                top, at = select_joint(affinity, k, chunk, row_major)
                out = tiles
            else:
                top, at = select_topk(affinity, k, chunk, row_major)
                top, at = top.transpose(0, 1), at.transpose(0, 1)  # [n tile^2, frames, k]
                out = tiles + (slice(None), frames)
            values[out] = top.reshape(values[out].shape)
            where[out] = at.reshape(where[out].shape)

        return match_run

    jobs = [
        job(row, first, slice(m, m + group))
        for row in range(g.tiles_y)
        for first in range(0, g.tiles_x, run)
        for m in range(0, num_mem, group)
    ]
    run_all(jobs, target.device)
    values.masked_fill_(values < -EXCLUDED / 2, -math.inf)
    memory_of = torch.div(where, cells, rounding_mode='floor')
    index = _halo_to_flat(row_major[where % cells], g)
    if joint:
        index += memory_of * (g.h * g.w)
        return Candidates(_to_pixels(values, g), _to_pixels(index, g))
    values, index = _to_pixels(values, g), _to_pixels(index, g)
    return [Candidates(values[:, m], index[:, m]) for m in range(num_mem)]


def local_candidates(
    target: torch.Tensor, memory: torch.Tensor, neighbor_range: float, topk: int, tile: int = 8
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
    tile: int = 8,
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

    The speed settings (``tile``, ``product_floats``) change no result, only
    time and memory; their defaults are the fastest measured for the 30-cell
    neighbourhood (docs/performance.md: ``tools/benchmark.py`` on 2 cores
    of an AMD EPYC), and a config may set others for another machine.

    Args:
        neighbor_range: neighbourhood diameter on the feature grid.
        tile: side of a block of target pixels matched together. Each pixel
            meets the ``(tile + neighbor_range)^2`` square around its block:
            smaller tiles compute fewer wasted affinities, larger ones make
            larger products (default 8: each tile meets 1.8 times the cells
            of its disc, 16x16 tiles 2.7 times).
        product_floats: most affinities one matrix product holds (a run of
            tiles against a group of memory frames); each worker thread keeps
            a scratch of this size (default 2**23, 32 MiB of float32: longer
            runs of tiles than with 8 MiB, 137 instead of 151 ms per frame
            with 20 memory frames).
    """

    def __init__(self, neighbor_range: float = 30, tile: int = 8, product_floats: int = 2**23):
        check_option('LocalMatcher', 'neighbor_range', neighbor_range, 'number', 0, strict=True)
        check_option('LocalMatcher', 'tile', tile, 'int', 1)
        check_option('LocalMatcher', 'product_floats', product_floats, 'int', 1)
        self.neighbor_range = neighbor_range
        self.tile = tile
        self.product_floats = product_floats

    def prepare(self, features: torch.Tensor) -> LocalLayout:
        g = geometry(*features.shape[-2:], self.neighbor_range, self.tile)
        return LocalLayout(_pad_with_border_channel(features, g), g)

    def match(
        self, target: torch.Tensor, memories: Sequence[LocalLayout], topk: int
    ) -> List[Candidates]:
        return local_match(target, memories, self.neighbor_range, topk, self.product_floats)

    def match_joint(
        self, target: torch.Tensor, memories: Sequence[LocalLayout], topk: int
    ) -> Candidates:
        return local_match(
            target, memories, self.neighbor_range, topk, self.product_floats, joint=True
        )
