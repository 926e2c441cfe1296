"""Label propagation through a video for several groups of labels at once.

A group is a set of label maps seeded at one frame (the query frame of some
points, or the first frame of a segmentation). Every group's memory is its
seed frame plus the ``precede_frames`` frames it predicted last (with
``seed_in_window``, the seed frame counts among those, as in the release).
Frames are visited once per pass in time order (or reverse order); at each
frame every active group is predicted, so that the features of a memory
frame shared by several groups are matched once (by the configured matcher).

Only the features of the seed frames and of the last ``precede_frames``
frames are held; the others are dropped as soon as they leave that window,
so a lazily encoded video (:class:`fgvc.models.trackers.LazyFeatures`) is
never held whole. When ``max_memory_mb`` cannot hold every seed frame, the
groups are split into passes by seed frame.
"""

from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import torch

from .config import PropagationConfig
from .stream import MATCH, MERGE, StreamPropagation  # noqa: F401 (labels re-exported)

MIB = 2**20
#: Profiler label of reading positions (``tools/benchmark.py``).
READOUT = 'propagation.readout'


def seeds_per_pass(frame: torch.Tensor, num_labels: int, cfg: PropagationConfig) -> Optional[int]:
    """How many seed frames one pass may hold within ``cfg.max_memory_mb`` (None: all).

    A held frame costs its features; each group also keeps
    ``precede_frames + 1`` label maps of its ``num_labels`` labels (counted
    for all labels, whatever their grouping).
    """
    if cfg.max_memory_mb is None:
        return None
    frame_bytes = frame.numel() * frame.element_size()
    label_bytes = num_labels * frame[0].numel() * frame.element_size() * (cfg.precede_frames + 1)
    budget = cfg.max_memory_mb * MIB - label_bytes - cfg.precede_frames * frame_bytes
    return max(int(budget // frame_bytes), 1)


def _passes(starts: List[int], per_pass: Optional[int]) -> List[List[int]]:
    if per_pass is None:
        return [starts]
    return [starts[i : i + per_pass] for i in range(0, len(starts), per_pass)]


def propagate(
    features: Sequence[torch.Tensor],
    seeds: Mapping[int, torch.Tensor],
    cfg: PropagationConfig,
    backward: bool = False,
) -> Iterator[Tuple[int, int, torch.Tensor]]:
    """Yield ``(seed_frame, t, labels_t)`` for every group and every frame it reaches.

    Args:
        features: ``features[t]`` is frame t's ``[C, h, w]`` L2-normalised
            features; ``len(features)`` the number of frames.
        seeds: ``{seed_frame: [N_g, h, w] label maps}``.
        cfg: propagation settings (matcher, memory...).
        backward: propagate towards the first frame instead of the last.

    Groups reach every frame after their seed frame (before it if
    ``backward``); ``labels_t`` is ``[N_g, h, w]``.
    """
    if not seeds:
        return
    num_frames = len(features)
    direction = -1 if backward else 1
    starts = sorted(seeds, reverse=backward)
    first = features[starts[0]]
    per_pass = seeds_per_pass(first, sum(len(s) for s in seeds.values()), cfg)
    for group_starts in _passes(starts, per_pass):
        yield from _one_pass(
            features, {s: seeds[s] for s in group_starts}, cfg, direction, num_frames
        )


def _one_pass(
    features: Sequence[torch.Tensor],
    seeds: Dict[int, torch.Tensor],
    cfg: PropagationConfig,
    direction: int,
    num_frames: int,
) -> Iterator[Tuple[int, int, torch.Tensor]]:
    stop = num_frames if direction > 0 else -1
    stream = StreamPropagation(cfg, direction)
    for t in range(min(seeds) if direction > 0 else max(seeds), stop, direction):
        new = {t: seeds[t]} if t in seeds else {}
        for start, labels in stream.step(t, features[t], new):
            yield start, t, labels
