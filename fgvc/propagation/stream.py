"""Label propagation one frame at a time, as the frames arrive.

:class:`StreamPropagation` holds the groups of label maps being propagated
and the features they match against: each group's seed frame plus the
``precede_frames`` most recent frames. :func:`fgvc.propagation.propagate`
walks a video through it; the online tracker feeds it a live stream, adding
groups and removing labels between frames. Its memory does not grow with the
number of frames.

Under a keyframe memory policy (:mod:`fgvc.propagation.memory`), the groups
far enough past their seed frames are pooled: one memory whose slot 0 is the
shared keyframe and whose label rows are every pooled group's, so that they
are matched and merged once a frame, whatever their number.
"""

from collections import deque
from typing import Dict, Hashable, List, Mapping, Optional, Tuple

import torch
from torch.profiler import record_function

from .config import PropagationConfig
from .matcher import Candidates, joint_candidates, weighted_labels

#: Profiler labels of the stages (``tools/benchmark.py``).
MATCH, MERGE = 'propagation.match', 'propagation.merge'
#: The key of the pooled groups' memory among the groups' memories.
POOL = object()


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
        #: labels ``[N, h w]`` kept at keyframes after the seed frame (keyframe memory)
        self.keyframes: Dict[int, torch.Tensor] = {}
        if seed_in_window:
            self.add(start, seed)

    @classmethod
    def pooled(
        cls, frames: List[int], labels: torch.Tensor, grid_hw: Tuple[int, int], precede: int
    ) -> '_GroupMemory':
        """A memory whose slots hold ``frames`` (keyframe first, then the
        recent frames oldest first), labels ``[N, len(frames), h w]``."""
        memory = cls.__new__(cls)
        memory.precede, memory.start, memory.grid_hw = precede, frames[0], grid_hw
        memory.frames = list(frames)
        memory.labels = labels.new_empty(labels.shape[0], precede + 1, labels.shape[2])
        memory.labels[:, : len(frames)] = labels
        memory._oldest = 1
        memory.keyframes = {}
        return memory

    def labels_at(self, frame: int) -> torch.Tensor:
        """Labels ``[N, h w]`` at ``frame``: the seed (slot 0) or a kept keyframe."""
        return self.labels[:, 0] if frame == self.start else self.keyframes[frame]

    def slots_of(self, frames: List[int]) -> torch.Tensor:
        """Labels ``[N, len(frames), h w]`` of ``frames``, all in the recent slots."""
        return self.labels[:, [self.frames.index(f, 1) for f in frames]]

    def keep_rows(self, rows: torch.Tensor) -> None:
        self.labels = self.labels[rows]
        self.keyframes = {f: labels[rows] for f, labels in self.keyframes.items()}

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

    Frames must come in the order of ``direction`` (increasing ``t`` for +1,
    decreasing for -1). Labels are propagated independently of each other,
    so removing some leaves the others' predictions unchanged, and a group's
    labels do not depend on which other groups are propagated with it.

    Args:
        cfg: propagation settings (matcher, memory...).
        direction: +1 (forward) or -1 (backward); where keyframes lie.
    """

    def __init__(self, cfg: PropagationConfig, direction: int = 1):
        self.cfg = cfg
        self.direction = direction
        #: groups whose memory holds their own seed frame
        self.groups: Dict[Hashable, _GroupMemory] = {}
        self._pool: Optional[_GroupMemory] = None  # memory of the groups past the keyframe
        self._pooled: Dict[Hashable, int] = {}  # pooled group -> its rows, in pool row order
        self._order: Dict[Hashable, None] = {}  # every group, in the order it was added
        self._held: Dict[int, torch.Tensor] = {}
        self._recent: deque = deque(maxlen=cfg.precede_frames)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._order

    @property
    def keys(self) -> List[Hashable]:
        """Every group propagated, in the order it was added."""
        return list(self._order)

    @property
    def held_frames(self) -> List[int]:
        """Frames whose features are held: seed frames, keyframes and the recent window."""
        return sorted(self._held)

    def _memories(self) -> Dict[Hashable, _GroupMemory]:
        """The memories matched at a step: each unpooled group's, then the pool's."""
        if self._pool is None:
            return self.groups
        return {**self.groups, POOL: self._pool}

    def _match(
        self, memories: Dict[Hashable, _GroupMemory], features: torch.Tensor
    ) -> Dict[Hashable, Candidates]:
        """Each memory's joint candidates of the target ``features`` in its
        frames. Frames shared by memories are matched once
        (:meth:`Matcher.match`); when every memory has the same frames, their
        joint top-k is asked of the matcher at once (:meth:`Matcher.match_joint`)."""
        frames = list(dict.fromkeys(f for g in memories.values() for f in g.frames))
        if not frames:
            return {}
        held = [self._held[f] for f in frames]
        matcher, topk = self.cfg.matcher, self.cfg.topk
        with record_function(MATCH):
            if all(g.frames == frames for g in memories.values()):
                joint = matcher.match_joint(features, held, topk)
                return {key: joint for key in memories}
            matched = dict(zip(frames, matcher.match(features, held, topk)))
        with record_function(MERGE):
            return {
                key: joint_candidates([matched[f] for f in g.frames], topk)
                for key, g in memories.items()
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
        self._share_keyframe(t)
        memories = self._memories()
        joint = self._match(memories, features)
        keep_keyframe = self.cfg.memory.is_keyframe(t)
        predicted = {}
        for key, group in memories.items():
            with record_function(MERGE):
                labels = weighted_labels(joint[key], group.filled(), self.cfg.temperature)
            if keep_keyframe:
                group.keyframes[t] = labels
            labels = labels.view(group.labels.shape[0], *group.grid_hw)
            group.add(t, labels)
            predicted[key] = labels
        if self._pooled:
            pooled = predicted.pop(POOL).split(list(self._pooled.values()))
            predicted.update(zip(self._pooled, pooled))
        out = [(key, predicted[key]) for key in self._order]
        for key, seed in (seeds or {}).items():
            if key in self._order:
                raise KeyError(f'a label group {key!r} is already propagated')
            self.groups[key] = _GroupMemory(
                t, seed, self.cfg.precede_frames, self.cfg.seed_in_window
            )
            self._order[key] = None
        self._recent.append(t)
        self._release()
        return out

    def _share_keyframe(self, t: int) -> None:
        """Before frame ``t`` is predicted: when the policy's keyframe has
        moved, pool the groups seeded at or before it with the pooled ones,
        in one memory holding the keyframe and the recent frames."""
        keyframe = self.cfg.memory.keyframe(t, self.direction)
        if keyframe is None or (self._pool is not None and self._pool.start == keyframe):
            return
        before = self.direction * keyframe
        for group in self._memories().values():
            for f in [f for f in group.keyframes if self.direction * f < before]:
                del group.keyframes[f]
        joining = {k: g for k, g in self.groups.items() if self.direction * g.start <= before}
        members = [self._pool] if self._pool is not None else []
        members += list(joining.values())
        if not members:
            return
        recent = list(self._recent)
        labels = torch.cat(
            [torch.cat([m.labels_at(keyframe)[:, None], m.slots_of(recent)], 1) for m in members]
        )
        self._pool = _GroupMemory.pooled(
            [keyframe, *recent], labels, members[0].grid_hw, self.cfg.precede_frames
        )
        later = [f for f in members[0].keyframes if self.direction * f > before]
        self._pool.keyframes = {f: torch.cat([m.keyframes[f] for m in members]) for f in later}
        for key, group in joining.items():
            del self.groups[key]
            self._pooled[key] = group.labels.shape[0]

    def keep_labels(self, key: Hashable, rows: torch.Tensor) -> None:
        """Keep only the labels ``rows`` (indices or a bool mask) of group
        ``key``; a group left without labels is dropped with its seed frame."""
        if key in self.groups:
            group = self.groups[key]
            group.keep_rows(rows)
            if group.labels.shape[0] == 0:
                del self.groups[key], self._order[key]
                self._release()
            return
        offset = 0
        for other, count in self._pooled.items():
            if other == key:
                break
            offset += count
        count = self._pooled[key]
        kept = torch.arange(count)[rows] + offset
        every = torch.arange(sum(self._pooled.values()))
        self._pool.keep_rows(torch.cat([every[:offset], kept, every[offset + count :]]))
        self._pooled[key] = len(kept)
        if not len(kept):
            del self._pooled[key], self._order[key]
            if not self._pooled:
                self._pool = None
            self._release()

    def _release(self) -> None:
        keep = set(self._recent) | {g.start for g in self._memories().values()}
        keep |= {f for g in self._memories().values() for f in g.keyframes}
        for f in [f for f in self._held if f not in keep]:
            del self._held[f]
