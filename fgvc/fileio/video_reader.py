"""Random-access reading of a user's video: an array, a folder of frames or a video file.

Every reader is a sequence of uint8 RGB frames ``[H, W, 3]`` of one size that
is read a range at a time (``read(start, stop)``), so a long video never has
to be held whole. Unreadable, corrupt or empty inputs raise an error naming
the input.
"""

import os.path as osp
from typing import Optional, Sequence, Union

import cv2
import numpy as np

from .images import list_images, read_rgb
from .names import OpenCVPath

FRAME_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Files taken as videos where a folder may hold them.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.gif', '.m4v', '.mpg', '.mpeg')
#: Frame rate reported for inputs that carry none (arrays, folders of frames).
DEFAULT_FPS = 25.0


class VideoReader:
    """A video of ``len(reader)`` frames, ``height`` x ``width``, at ``fps``.

    Subclasses set those attributes and implement :meth:`_read`.
    """

    name: str
    num_frames: int
    height: int
    width: int
    fps: float

    def __len__(self) -> int:
        return self.num_frames

    def read(self, start: int, stop: int) -> np.ndarray:
        """uint8 RGB frames ``[start, stop)`` as ``[stop - start, H, W, 3]``."""
        if not 0 <= start < stop <= self.num_frames:
            raise IndexError(
                f'Frames [{start}, {stop}) out of range for {self.name} ({self.num_frames} frames)'
            )
        return self._read(start, stop)

    def _read(self, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}({self.name!r}, {self.num_frames} frames, '
            f'{self.width}x{self.height}, {self.fps:g} fps)'
        )


class ArrayVideo(VideoReader):
    """Frames already in memory, uint8 ``[T, H, W, 3]`` RGB."""

    def __init__(self, frames: np.ndarray, fps: float = DEFAULT_FPS, name: str = 'array'):
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(
                f'A video array must be uint8 [T, H, W, 3] RGB, got {frames.dtype} '
                f'{list(frames.shape)}'
            )
        if frames.shape[0] == 0:
            raise ValueError('The video array has no frames')
        self.frames = frames
        self.name = name
        self.num_frames, self.height, self.width = frames.shape[:3]
        self.fps = fps

    def _read(self, start: int, stop: int) -> np.ndarray:
        return self.frames[start:stop]


class FrameFolderVideo(VideoReader):
    """A folder of image files, one per frame, in sorted file-name order."""

    def __init__(self, folder: str, fps: float = DEFAULT_FPS, extensions: tuple = FRAME_EXTENSIONS):
        self.paths = list_images(folder, extensions, 'frame images')
        self.name = folder
        first = read_rgb(self.paths[0])
        self.num_frames = len(self.paths)
        self.height, self.width = first.shape[:2]
        self.fps = fps

    def _read(self, start: int, stop: int) -> np.ndarray:
        frames = []
        for path in self.paths[start:stop]:
            frame = read_rgb(path)
            if frame.shape[:2] != (self.height, self.width):
                raise ValueError(
                    f'Frame {path} is {frame.shape[1]}x{frame.shape[0]}, but the '
                    f'first frame of {self.name} is {self.width}x{self.height}'
                )
            frames.append(frame)
        return np.stack(frames)


class CaptureVideo(VideoReader):
    """A video file (mp4, avi, mov, gif, ... whatever OpenCV's FFmpeg reads).

    The frames are counted by decoding the file once when it is opened (the
    container's frame count is only an estimate for many files), unless the
    caller knows ``num_frames`` (e.g. from an index made earlier); reads in
    increasing order continue decoding, others seek (or decode again from the
    start where the file cannot seek). Names that are not UTF-8 are read
    through an alias (:class:`fgvc.fileio.OpenCVPath`).
    """

    def __init__(
        self, path: str, default_fps: float = DEFAULT_FPS, num_frames: Optional[int] = None
    ):
        if not osp.isfile(path):
            raise FileNotFoundError(f'Video not found: {path}')
        self.name = path
        self._source = OpenCVPath(path)  # a name OpenCV can take, kept while reading
        self._capture = self._open()
        ok, frame = self._capture.read()
        if not ok:
            raise ValueError(
                f'Cannot decode any frame of {path}: not a video, corrupt, or an unsupported codec'
            )
        self.height, self.width = frame.shape[:2]
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps > 0 else default_fps
        if num_frames is not None:
            self.num_frames, self._next = num_frames, 1
            return
        self.num_frames = 0
        while ok:
            self.num_frames += 1
            ok = self._capture.grab()
        self._capture.release()
        self._capture = self._open()
        self._next = 0

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self._source.path)
        if not capture.isOpened():
            raise ValueError(
                f'Cannot open video {self.name}: not a video, corrupt, or an unsupported format'
            )
        return capture

    def _reopen_at(self, start: int) -> None:
        """Decode from the beginning up to ``start``: for files whose container
        cannot seek (a 1-frame video cannot seek back to frame 0)."""
        self._capture.release()
        self._capture = self._open()
        for t in range(start):
            if not self._capture.grab():
                raise ValueError(f'Cannot decode frame {t} of {self.name}')

    def _read(self, start: int, stop: int) -> np.ndarray:
        seeking = start != self._next
        if seeking:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, start)
        frames = []
        for t in range(start, stop):
            ok, frame = self._capture.read()
            if not ok and seeking and t == start:
                self._reopen_at(start)
                ok, frame = self._capture.read()
            if not ok:
                raise ValueError(f'Cannot decode frame {t} of {self.name}')
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        self._next = stop
        return np.stack(frames)


def read_frames(reader: VideoReader, indices: Sequence[int]) -> np.ndarray:
    """uint8 RGB frames ``indices`` (any order) of ``reader``, ``[len(indices), H, W, 3]``."""
    return np.stack([reader.read(t, t + 1)[0] for t in indices])


VideoSource = Union[str, np.ndarray, VideoReader]


def open_video(video: VideoSource) -> VideoReader:
    """A reader for a video file, a folder of frames or a uint8 ``[T, H, W, 3]``
    array (a reader is returned as it is)."""
    if isinstance(video, VideoReader):
        return video
    if isinstance(video, np.ndarray):
        return ArrayVideo(video)
    path = str(video)
    if osp.isdir(path):
        return FrameFolderVideo(path)
    return CaptureVideo(path)
