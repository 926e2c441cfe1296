"""Writing drawn frames to disk as images and as an mp4 video."""

import os
import os.path as osp

import cv2
import numpy as np

from fgvc.fileio import OpenCVPath, write_rgb


def write_images(frames: np.ndarray, folder: str, template: str = '{:05d}.jpg') -> None:
    """Every frame of uint8 RGB ``[T, H, W, 3]`` as an image file in ``folder``."""
    os.makedirs(folder, exist_ok=True)
    for t, frame in enumerate(frames):
        write_rgb(osp.join(folder, template.format(t)), frame)


class Mp4Writer:
    """Write uint8 RGB frames ``[H, W, 3]`` one at a time to an mp4 (MPEG-4
    part 2) video, so a long video need not be held whole; a context manager.

    Args:
        path: output file (its folder is created); a name that is not UTF-8
            is written through an alias (:class:`fgvc.fileio.OpenCVPath`).
        fps: frame rate.
    """

    def __init__(self, path: str, fps: float):
        self.path = path
        self.fps = fps
        self.size = None
        self._writer = None
        self._alias = None

    def write(self, frame: np.ndarray) -> None:
        """Append one frame; every frame must have the first one's size."""
        size = (frame.shape[1], frame.shape[0])
        if self._writer is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            self._alias = OpenCVPath(self.path, write=True)
            self._writer = cv2.VideoWriter(
                self._alias.path, cv2.VideoWriter_fourcc(*'mp4v'), self.fps, size
            )
            if not self._writer.isOpened():
                self.close(keep=False)
                raise OSError(f'Cannot open video writer for {self.path}')
            self.size = size
        elif size != self.size:
            raise ValueError(
                f'Frame of size {size} written to {self.path}, whose frames are {self.size}'
            )
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self, keep: bool = True) -> None:
        """Finish the file (``keep=False``: remove what an alias wrote)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._alias is not None:
            self._alias.close(keep)
            self._alias = None

    def __enter__(self) -> 'Mp4Writer':
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(keep=exc_type is None)


def write_mp4(frames: np.ndarray, path: str, fps: float) -> None:
    """uint8 RGB ``[T, H, W, 3]`` as an mp4 (MPEG-4 part 2) video."""
    with Mp4Writer(path, fps) as writer:
        for frame in frames:
            writer.write(frame)
