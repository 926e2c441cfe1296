"""The original dense matching, kept as the reference ('DenseMatcher').

Every target pixel is compared with every pixel of a memory frame; a dense
``(h w) x (h w)`` boolean mask, built once per grid, removes the pairs
farther apart than ``neighbor_range / 2``. Rows of the affinity matrix are
computed ``step`` target pixels at a time. Time and memory grow with the
square of the number of grid positions: this is what the local and
coarse-to-fine matchers avoid, and what they are checked against.
"""

import math
from typing import Tuple

import torch

from fgvc.registry import MATCHERS

from .matcher import Candidates, Matcher, check_option, merge_candidates
from .ranking import top_k


def dense_neighbourhood(
    grid_hw: Tuple[int, int], neighbor_range: float, device=None
) -> torch.Tensor:
    """``[h w, h w]`` bool: grid positions closer than ``neighbor_range / 2``."""
    h, w = grid_hw
    yy, xx = torch.meshgrid(
        torch.arange(h, device=device), torch.arange(w, device=device), indexing='ij'
    )
    pos = torch.stack([yy.flatten(), xx.flatten()], 1).float()
    return torch.cdist(pos, pos) < neighbor_range / 2


def dense_candidates(
    target: torch.Tensor, memory: torch.Tensor, neighbourhood: torch.Tensor, topk: int, step: int
) -> Candidates:
    """Each target pixel's ``topk`` best memory pixels allowed by ``neighbourhood``.

    Args:
        target, memory: ``[C, h, w]`` L2-normalised features.
        neighbourhood: :func:`dense_neighbourhood` of the grid.
        topk: matches kept per target pixel.
        step: target pixels per affinity block.
    """
    channels, h, w = target.shape
    queries = target.reshape(channels, h * w).t()
    keys = memory.reshape(channels, h * w)
    k = min(topk, h * w)
    values = target.new_empty(h * w, k)
    index = torch.empty(values.shape, dtype=torch.long, device=target.device)
    for start in range(0, h * w, step):
        rows = slice(start, start + step)
        affinity = (queries[rows] @ keys).masked_fill_(~neighbourhood[rows], -math.inf)
        values[rows], index[rows] = top_k(affinity, k)
    return Candidates(values, index)


def propagate_labels_dense(
    target: torch.Tensor,
    memory_feats: torch.Tensor,
    memory_labels: torch.Tensor,
    neighbourhood: torch.Tensor,
    topk: int,
    temperature: float,
    step: int,
) -> torch.Tensor:
    """Predict the target frame's label maps ``[N, h, w]`` with dense affinities.

    Args:
        target: ``[C, h, w]`` L2-normalised features of the frame to label.
        memory_feats: ``[M, C, h, w]`` L2-normalised features of memory frames.
        memory_labels: ``[M, N, h, w]`` label maps of the memory frames.
        neighbourhood: :func:`dense_neighbourhood` of the grid.
        topk: affinities kept per target pixel over all memory frames.
        temperature: softmax temperature of the cosine affinities.
        step: target pixels per affinity block.
    """
    h, w = target.shape[-2:]
    candidates = [dense_candidates(target, m, neighbourhood, topk, step) for m in memory_feats]
    labels = memory_labels.transpose(0, 1).flatten(2)
    return merge_candidates(candidates, labels, topk, temperature).view(-1, h, w)


@MATCHERS.register_module()
class DenseMatcher(Matcher):
    """Every target pixel against every memory pixel, then the neighbourhood mask.

    Args:
        neighbor_range: neighbourhood diameter on the feature grid.
        step: target pixels per affinity block (the released TAP-Vid configs
            use 128).
    """

    def __init__(self, neighbor_range: float = 30, step: int = 128):
        check_option('DenseMatcher', 'neighbor_range', neighbor_range, 'number', 0, strict=True)
        check_option('DenseMatcher', 'step', step, 'int', 1)
        self.neighbor_range = neighbor_range
        self.step = step
        self._near = {}  # the neighbourhood of the last grid seen

    def candidates(self, target: torch.Tensor, memory: torch.Tensor, topk: int) -> Candidates:
        key = (tuple(target.shape[-2:]), target.device)
        if key not in self._near:
            self._near = {key: dense_neighbourhood(key[0], self.neighbor_range, target.device)}
        return dense_candidates(target, memory, self._near[key], topk, self.step)
