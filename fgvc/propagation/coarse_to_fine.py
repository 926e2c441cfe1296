"""Coarse-to-fine matching ('CoarseToFineMatcher', docs/method.md section 4).

Both frames' features are average-pooled ``factor x factor`` (stride 8 for
stride-2 features) and re-normalised. Every coarse target cell finds its best
coarse memory cell within ``coarse_range`` (a disc diameter in coarse cells),
which gives a displacement shared by the cell's ``factor x factor`` target
pixels. Each of those pixels is then matched on the fine grid in the square of
half side ``refine_radius`` centred on the pixel moved by that displacement.
The wide coarse search is cheap (few cells); the fine search is small.
"""

import math
from typing import Callable, List, NamedTuple, Sequence

import torch
import torch.nn.functional as F

from fgvc.registry import MATCHERS

from .local_attention import LocalLayout, LocalMatcher
from .matcher import Candidates, Matcher, check_option
from .ranking import top_k
from .workers import run_all


def _pool(features: torch.Tensor, factor: int) -> torch.Tensor:
    return F.normalize(F.avg_pool2d(features[None], factor, ceil_mode=True)[0], dim=0)


class CoarseLayout(NamedTuple):
    """A memory frame laid out by :meth:`CoarseToFineMatcher.prepare`."""

    coarse: LocalLayout  # the pooled frame, laid out for the coarse match
    rows: torch.Tensor  # [h w, C] pixels as rows, gathered by the refinement


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
    matcher = CoarseToFineMatcher(factor, coarse_range, refine_radius, tile)
    return matcher.match(target, [matcher.prepare(memory)], topk)[0]


def _refine(
    target: torch.Tensor,
    memory_rows: torch.Tensor,
    match: torch.Tensor,
    factor: int,
    refine_radius: int,
    topk: int,
    refine_floats: int,
) -> Candidates:
    """Fine candidates of each target pixel in the window of its cell's coarse
    ``match`` (flat coarse memory cell per coarse target cell), gathering at
    most ``refine_floats`` key floats per product."""
    channels, h, w = target.shape
    coarse_h, coarse_w = -(-h // factor), -(-w // factor)
    cell = torch.arange(coarse_h * coarse_w, device=target.device)
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

    padded = F.pad(target, (0, coarse_w * factor - w, 0, coarse_h * factor - h))
    queries = padded.view(channels, coarse_h, factor, coarse_w, factor).permute(1, 3, 2, 4, 0)
    queries = queries.reshape(coarse_h * coarse_w, factor * factor, channels)
    k = min(topk, side * side)
    values = target.new_empty(coarse_h * coarse_w, factor * factor, k)
    index = torch.empty(values.shape, dtype=torch.long, device=target.device)
    step = max(refine_floats // (side * side * channels), 1)  # cells whose keys are gathered

    def job(cells: slice) -> Callable[[], None]:
        def refine_cells() -> None:
            keys = memory_rows[flat[cells]]  # [cells, side^2, C]
            affinity = torch.bmm(queries[cells], keys.transpose(1, 2))
            affinity.masked_fill_(~(window & valid[cells].flatten(1)[:, None]), -math.inf)
            # Window positions are in raster order: equal values go to the lower pixel.
            values[cells], where = top_k(affinity, k)
            index[cells] = flat[cells][:, None].expand(-1, factor * factor, -1).gather(2, where)

        return refine_cells

    run_all(
        [job(slice(first, first + step)) for first in range(0, coarse_h * coarse_w, step)],
        target.device,
    )

    def to_pixels(x: torch.Tensor) -> torch.Tensor:
        x = x.view(coarse_h, coarse_w, factor, factor, k).permute(0, 2, 1, 3, 4)
        return x.reshape(coarse_h * factor, coarse_w * factor, k)[:h, :w].reshape(h * w, k)

    return Candidates(to_pixels(values), to_pixels(index))


@MATCHERS.register_module()
class CoarseToFineMatcher(Matcher):
    """Match on a coarser grid, then refine on the feature grid near the match.

    Args:
        factor: cells of the feature grid per coarse cell, per side (4 turns
            stride-2 features into the stride-8 coarse grid).
        coarse_range: neighbourhood diameter of the coarse match, coarse
            cells (8 coarse cells span about the 30-cell neighbourhood of the
            fine grid).
        refine_radius: half side of the square refinement window around the
            coarse match, feature cells (the released code used 12; 6 keeps
            TAP-Vid accuracy within a point of dense at a third of the cost,
            ``tools/benchmark.py``).
        tile: tile size of the coarse matching.
        refine_floats: most key floats gathered for one refinement product
            (default 2**21, 8 MiB of float32, kept within the caches: 1.27
            times faster than 32 MiB, docs/performance.md); changes no
            result, only time.
        product_floats: the coarse match's bound (see :class:`LocalMatcher`).
    """

    def __init__(
        self,
        factor: int = 4,
        coarse_range: float = 8,
        refine_radius: int = 6,
        tile: int = 16,
        refine_floats: int = 2**21,
        product_floats: int = 2**23,
    ):
        owner = 'CoarseToFineMatcher'
        check_option(owner, 'factor', factor, 'int', 1)
        check_option(owner, 'coarse_range', coarse_range, 'number', 0, strict=True)
        check_option(owner, 'refine_radius', refine_radius, 'int', 0)
        check_option(owner, 'tile', tile, 'int', 1)
        check_option(owner, 'refine_floats', refine_floats, 'int', 1)
        self.factor = factor
        self.coarse_range = coarse_range
        self.refine_radius = refine_radius
        self.tile = tile
        self.refine_floats = refine_floats
        self._coarse = LocalMatcher(coarse_range, tile, product_floats)

    def prepare(self, features: torch.Tensor) -> CoarseLayout:
        rows = features.flatten(1).t().contiguous()  # gathers whole pixels
        return CoarseLayout(self._coarse.prepare(_pool(features, self.factor)), rows)

    def match(
        self, target: torch.Tensor, memories: Sequence[CoarseLayout], topk: int
    ) -> List[Candidates]:
        coarse = self._coarse.match(_pool(target, self.factor), [m.coarse for m in memories], 1)
        return [
            _refine(
                target,
                m.rows,
                c.index[:, 0],
                self.factor,
                self.refine_radius,
                topk,
                self.refine_floats,
            )
            for m, c in zip(memories, coarse)
        ]
