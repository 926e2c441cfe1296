"""Features of a video encoded a chunk of frames at a time, on first access."""

from typing import Callable, List, Optional

import torch


class LazyFeatures:
    """A read-only sequence of per-frame features ``[C, h, w]``.

    Frame ``t`` is encoded with the ``chunk`` frames of its aligned block
    ``[t // chunk * chunk, ...)``; only the latest block is cached, so a
    caller that walks the frames in order (forwards or backwards) encodes each
    frame once and holds at most one block besides the frames it keeps.
    Every frame is its own tensor: keeping one does not keep its block alive.

    Args:
        num_frames: length of the video.
        load: ``load(start, stop)`` returns the encoder input of frames
            ``[start, stop)``, ``[n, 3, H, W]``.
        encode: encoder input ``[n, 3, H, W]`` -> unit-norm features
            ``[n, C, h, w]``.
        chunk: frames encoded at once.
    """

    def __init__(
        self,
        num_frames: int,
        load: Callable[[int, int], torch.Tensor],
        encode: Callable[[torch.Tensor], torch.Tensor],
        chunk: int,
    ):
        if chunk < 1:
            raise ValueError(f'chunk must be >= 1, got {chunk}')
        self.num_frames = num_frames
        self.load = load
        self.encode = encode
        self.chunk = chunk
        self._start: Optional[int] = None
        self._block: List[torch.Tensor] = []

    def __len__(self) -> int:
        return self.num_frames

    def __getitem__(self, t: int) -> torch.Tensor:
        if not 0 <= t < self.num_frames:
            raise IndexError(f'frame {t} out of range for a video of {self.num_frames} frames')
        start = t // self.chunk * self.chunk
        if start != self._start:
            self._block = []  # release the old block before encoding the next
            stop = min(start + self.chunk, self.num_frames)
            self._block = [f.clone() for f in self.encode(self.load(start, stop))]
            self._start = start
        return self._block[t - start]
