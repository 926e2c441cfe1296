"""Memory policies: which frame stands for a group's seed frame in its memory.

Every group of labels matches each frame against its seed frame plus the
``precede_frames`` frames it predicted last. With one seed frame for all
points (TAP-Vid 'first' queries, a first-frame mask) that is a handful of
frames a step. With a group per query frame it is not: frame t is matched
against every earlier seed frame, about T^2 / 2 matches over a video.

:class:`ExactMemory` (the default, the release's method) keeps every seed
frame for good. :class:`KeyframeMemory` bounds the work: once a group is
``horizon`` frames past its seed frame, the seed frame leaves its memory and
a shared keyframe (one every ``interval`` frames) takes its place, carrying
the group's own propagated labels there. Every group that far along then has
the same memory frames, so the stream matches them once for all of those
groups and only their label channels differ
(:class:`fgvc.propagation.stream.StreamPropagation`).
"""

import math
from typing import Optional

from fgvc.registry import MEMORIES

from .matcher import check_option


class MemoryPolicy:
    """Base of the memory policies: the shared keyframe of a step, if any."""

    def keyframe(self, t: int, direction: int) -> Optional[int]:
        """The keyframe that stands for the seed frame of every group seeded
        at it or earlier (in the pass's ``direction``, +1 or -1) when frame
        ``t`` is predicted; None: every group keeps its seed frame."""
        return None

    def is_keyframe(self, t: int) -> bool:
        """Whether groups keep their labels at frame ``t`` for later use as a keyframe."""
        return False

    def check(self, precede_frames: int) -> None:
        """Raise a clear error if the policy cannot work with ``precede_frames``."""

    def __repr__(self) -> str:
        options = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{type(self).__name__}({options})'


@MEMORIES.register_module()
class ExactMemory(MemoryPolicy):
    """Every group keeps its seed frame in its memory to the end (the release's method)."""


@MEMORIES.register_module()
class KeyframeMemory(MemoryPolicy):
    """Seed frames replaced by shared keyframes ``horizon`` frames on.

    Keyframes are the frames whose index is a multiple of ``interval``. When
    frame t is predicted, the keyframe is the latest one at least ``horizon``
    frames back (in the direction of propagation); a group seeded at or
    before it holds that keyframe, with its own labels there, in place of its
    seed frame. A group therefore switches between ``horizon`` and
    ``horizon + interval - 1`` frames after its seed frame, and all switched
    groups share one memory. ``horizon=math.inf`` never switches: the tracks
    equal :class:`ExactMemory`'s bit for bit.

    Args:
        horizon: frames a group keeps its seed frame for; it must exceed
            ``precede_frames``, so that a switched group's recent frames are
            the shared ones.
        interval: frames between keyframes.
    """

    def __init__(self, horizon: float = 15, interval: int = 5):
        if horizon != math.inf:
            check_option('KeyframeMemory', 'horizon', horizon, 'int', 1)
        check_option('KeyframeMemory', 'interval', interval, 'int', 1)
        self.horizon = horizon
        self.interval = interval

    def keyframe(self, t: int, direction: int) -> Optional[int]:
        if self.horizon == math.inf:
            return None
        # positions along the pass: direction * frame index
        return direction * ((direction * t - self.horizon) // self.interval * self.interval)

    def is_keyframe(self, t: int) -> bool:
        return self.horizon != math.inf and t % self.interval == 0

    def check(self, precede_frames: int) -> None:
        if self.horizon <= precede_frames:
            raise ValueError(
                f'KeyframeMemory option horizon ({self.horizon}) must exceed the propagation '
                f'option precede_frames ({precede_frames})'
            )
