"""The original dense propagation step, kept as the reference ('dense' mode).

Every target pixel is compared with every pixel of every memory frame; a
dense ``(h w) x (h w)`` boolean mask, built once per grid, removes the pairs
farther apart than ``neighbor_range / 2``; the ``topk`` best over all memory
frames jointly are softmax-weighted. Rows of the affinity matrix are computed
``step`` target pixels at a time. Time and memory grow with the square of the
number of grid positions: this is what the local and coarse-to-fine modes
avoid, and what they are checked against.
"""

import math
from typing import Tuple

import torch


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
    channels, h, w = target.shape
    num_mem, num_labels = memory_labels.shape[:2]
    queries = target.reshape(channels, h * w).t()
    keys = memory_feats.transpose(0, 1).reshape(channels, num_mem * h * w)
    labels = memory_labels.transpose(0, 1).reshape(num_labels, num_mem * h * w)
    out = target.new_empty(num_labels, h * w)
    for start in range(0, h * w, step):
        rows = slice(start, start + step)
        affinity = (queries[rows] @ keys).view(-1, num_mem, h * w)
        affinity.masked_fill_(~neighbourhood[rows, None], -math.inf)
        values, index = affinity.view(affinity.shape[0], -1).topk(topk, dim=1)
        weights = torch.softmax(values / temperature, dim=1)
        out[:, rows] = (labels[:, index] * weights).sum(-1)
    return out.view(num_labels, h, w)
