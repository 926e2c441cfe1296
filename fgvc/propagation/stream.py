"""Label propagation one frame at a time, as the frames arrive.

:class:`StreamPropagation` holds the groups of label maps being propagated
and the features they match against: each group's seed frame plus the
``precede_frames`` most recent frames. :func:`fgvc.propagation.propagate`
walks a video through it; the online tracker feeds it a live stream, adding
groups and removing labels between frames. Its memory does not grow with the
number of frames.
"""

from collections import deque
from typing import Dict, Hashable, List, Mapping, Optional, Tuple

import torch
from torch.profiler import record_function

from .config import PropagationConfig
from .matcher import Candidates, joint_candidates, weighted_labels

#: Profiler labels of the stages (``tools/benchmark.py``).
MATCH, MERGE = 'propagation.match', 'propagation.merge'


class _GroupMemory:
    """A group's seed labels and its ``precede`` last predictions, ``[N, slots, h w]``.

    Slot 0 holds the seed; predictions overwrite the oldest of slots
    1..precede, so no label map is copied to assemble the memory. With
    ``seed_in_window`` the seed also fills slot 1, as the first of the recent
    frames (until a prediction overwrites it).
    """

    def __init__(self, start: int, seed: torch.Tensor, precede: int, seed_in_window: bool = False):
        self.precede = precede
        self.start = start
        self.grid_hw = tuple(seed.shape[1:])
        self.frames = [start]  # frame held in each filled slot
        self.labels = seed.new_empty(seed.shape[0], precede + 1, seed[0].numel())
        self.labels[:, 0] = seed.flatten(1)
        self._oldest = 1
        if seed_in_window:
            self.add(start, seed)

    def add(self, t: int, labels: torch.Tensor) -> None:
        if self.precede == 0:
            return
        if len(self.frames) <= self.precede:
            slot = len(self.frames)
            self.frames.append(t)
        else:
            slot = self._oldest
            self.frames[slot] = t
            self._oldest = slot % self.precede + 1
        self.labels[:, slot] = labels.flatten(1)

    def filled(self) -> torch.Tensor:
        return self.labels[:, : len(self.frames)]


class StreamPropagation:
    """Propagate groups of label maps through frames given one at a time.

    Frames must come in a consistent order (increasing or decreasing ``t``).
    Labels are propagated independently of each other, so removing some
    leaves the others' predictions unchanged.

    Args:
        cfg: propagation settings (matcher, memory...).
    """

    def __init__(self, cfg: PropagationConfig):
        self.cfg = cfg
        self.groups: Dict[Hashable, _GroupMemory] = {}
        self._held: Dict[int, torch.Tensor] = {}
        self._recent: deque = deque(maxlen=cfg.precede_frames)

    @property
    def held_frames(self) -> List[int]:
        """Frames whose features are held: seed frames and the recent window."""
        return sorted(self._held)

    def _match(self, t: int, features: torch.Tensor) -> Dict[Hashable, Candidates]:
        """Each group's joint candidates of frame ``t`` in its memory frames.
        Frames shared by groups are matched once (:meth:`Matcher.match`);
        when every group has the same frames, their joint top-k is asked of
        the matcher at once (:meth:`Matcher.match_joint`)."""
        frames = list(dict.fromkeys(f for g in self.groups.values() for f in g.frames))
        if not frames:
            return {}
        memories = [self._held[f] for f in frames]
        matcher, topk = self.cfg.matcher, self.cfg.topk
        with record_function(MATCH):
            if all(g.frames == frames for g in self.groups.values()):
                joint = matcher.match_joint(features, memories, topk)
                return {key: joint for key in self.groups}
            matched = dict(zip(frames, matcher.match(features, memories, topk)))
        with record_function(MERGE):
            return {
                key: joint_candidates([matched[f] for f in g.frames], topk)
                for key, g in self.groups.items()
            }

    def step(
        self,
        t: int,
        features: torch.Tensor,
        seeds: Optional[Mapping[Hashable, torch.Tensor]] = None,
    ) -> List[Tuple[Hashable, torch.Tensor]]:
        """Predict frame ``t`` (``[C, h, w]`` L2-normalised ``features``) for
        every group, then start the groups ``seeds`` (``{key: [N, h, w]
        label maps}`` seeded at ``t``). Returns ``(key, labels [N, h, w])``
        for the groups that existed before this frame, in their order."""
        self._held[t] = self.cfg.matcher.prepare(features)
        joint = self._match(t, features)
        out = []
        for key, group in self.groups.items():
            with record_function(MERGE):
                labels = weighted_labels(joint[key], group.filled(), self.cfg.temperature)
            labels = labels.view(group.labels.shape[0], *group.grid_hw)
            group.add(t, labels)
            out.append((key, labels))
        for key, seed in (seeds or {}).items():
            if key in self.groups:
                raise KeyError(f'a label group {key!r} is already propagated')
            self.groups[key] = _GroupMemory(
                t, seed, self.cfg.precede_frames, self.cfg.seed_in_window
            )
        self._recent.append(t)
        self._release()
        return out

    def keep_labels(self, key: Hashable, rows: torch.Tensor) -> None:
        """Keep only the labels ``rows`` (indices or a bool mask) of group
        ``key``; a group left without labels is dropped with its seed frame."""
        group = self.groups[key]
        group.labels = group.labels[rows]
        if group.labels.shape[0] == 0:
            del self.groups[key]
            self._release()

    def _release(self) -> None:
        keep = set(self._recent) | {g.start for g in self.groups.values()}
        for f in [f for f in self._held if f not in keep]:
            del self._held[f]
