"""Writing drawn frames to disk as images and as an mp4 video.

Videos are H.264 (yuv420p) mp4 files that browsers, chat and slide tools
play, written through PyAV (whose wheel carries the encoder), with the index
(``moov``) at the front so playback starts before the whole file arrives.
Where PyAV is not installed they fall back to OpenCV's MPEG-4 Part 2
(``mp4v``), which most browsers do not play, and a warning says so.
"""

import os
import os.path as osp
import warnings
from fractions import Fraction
from typing import BinaryIO, Optional, Tuple

import cv2
import numpy as np

from fgvc.fileio import OpenCVPath, shown, write_rgb

#: Codec and pixel format of the videos written through PyAV.
H264 = 'libx264'
PIXEL_FORMAT = 'yuv420p'
#: Frame rates are stored as fractions; NTSC rates are n * 1000 / 1001.
MAX_RATE_DENOMINATOR = 1001
NO_PYAV_WARNING = (
    'PyAV is not installed: writing {path} as MPEG-4 Part 2 (mp4v) with OpenCV, which '
    'browsers do not play. `pip install av` writes H.264 instead.'
)


def write_images(frames: np.ndarray, folder: str, template: str = '{:05d}.jpg') -> None:
    """Every frame of uint8 RGB ``[T, H, W, 3]`` as an image file in ``folder``."""
    os.makedirs(folder, exist_ok=True)
    for t, frame in enumerate(frames):
        write_rgb(osp.join(folder, template.format(t)), frame)


def even_sized(frame: np.ndarray) -> np.ndarray:
    """``frame`` with its last row and column repeated where the height or
    width is odd: yuv420p stores colour per 2x2 block. The top-left origin,
    and so every pixel coordinate, is unchanged."""
    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode='edge')


def _import_pyav():
    """The ``av`` module, or None where PyAV is not installed."""
    try:
        import av
    except ImportError:
        return None
    return av


class _PyAVEncoder:
    """H.264 through PyAV into a file object (any path the OS takes)."""

    def __init__(self, av, path: str, fps: float, size: Tuple[int, int]):
        self._av = av
        self._file: Optional[BinaryIO] = open(path, 'wb')
        try:
            self._container = av.open(
                self._file, 'w', format='mp4', options={'movflags': 'faststart'}
            )
            rate = Fraction(fps).limit_denominator(MAX_RATE_DENOMINATOR)
            self._stream = self._container.add_stream(H264, rate=rate)
            width, height = size
            self._stream.width, self._stream.height = width + width % 2, height + height % 2
            self._stream.pix_fmt = PIXEL_FORMAT
        except BaseException:
            self._file.close()
            raise

    def write(self, frame: np.ndarray) -> None:
        image = self._av.VideoFrame.from_ndarray(
            np.ascontiguousarray(even_sized(frame)), format='rgb24'
        )
        self._container.mux(self._stream.encode(image))

    def close(self, keep: bool = True) -> None:
        """Finish the file (it has its real name already, so ``keep`` changes nothing)."""
        try:
            self._container.mux(self._stream.encode(None))  # flush delayed frames
            self._container.close()
        finally:
            self._file.close()


class _OpenCVEncoder:
    """MPEG-4 Part 2 through OpenCV: the fallback without PyAV."""

    def __init__(self, path: str, fps: float, size: Tuple[int, int]):
        warnings.warn(NO_PYAV_WARNING.format(path=shown(path)), stacklevel=3)
        self._alias = OpenCVPath(path, write=True)
        self._writer = cv2.VideoWriter(self._alias.path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
        if not self._writer.isOpened():
            self._alias.close(keep=False)
            raise OSError(f'Cannot open video writer for {shown(path)}')

    def write(self, frame: np.ndarray) -> None:
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self, keep: bool = True) -> None:
        """Finish the file; ``keep=False`` removes what an alias wrote."""
        try:
            self._writer.release()
        finally:
            self._alias.close(keep)


class Mp4Writer:
    """Write uint8 RGB frames ``[H, W, 3]`` one at a time to an mp4 video, so
    a long video need not be held whole; a context manager.

    H.264 through PyAV (see the module's docstring); a frame of odd height or
    width gets its last row or column repeated (:func:`even_sized`). Without
    PyAV: OpenCV's mp4v, with a warning.

    Args:
        path: output file (its folder is created); any name the OS takes
            (PyAV writes through a file object; the OpenCV fallback writes a
            name that is not UTF-8 through an alias, :class:`fgvc.fileio.OpenCVPath`).
        fps: frame rate (> 0).
    """

    def __init__(self, path: str, fps: float):
        if not fps > 0:
            raise ValueError(f'Frame rate of {path} must be > 0, got {fps}')
        self.path = path
        self.fps = fps
        self.size = None
        self._encoder = None

    def write(self, frame: np.ndarray) -> None:
        """Append one frame; every frame must have the first one's size."""
        size = (frame.shape[1], frame.shape[0])
        if self._encoder is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            av = _import_pyav()
            if av is None:
                self._encoder = _OpenCVEncoder(self.path, self.fps, size)
            else:
                self._encoder = _PyAVEncoder(av, self.path, self.fps, size)
            self.size = size
        elif size != self.size:
            raise ValueError(
                f'Frame of size {size} written to {self.path}, whose frames are {self.size}'
            )
        self._encoder.write(frame)

    def close(self, keep: bool = True) -> None:
        """Finish the file (``keep=False``, after an error: the OpenCV
        fallback removes what it wrote through an alias)."""
        if self._encoder is not None:
            encoder, self._encoder = self._encoder, None
            encoder.close(keep)

    def __enter__(self) -> 'Mp4Writer':
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(keep=exc_type is None)


def write_mp4(frames: np.ndarray, path: str, fps: float) -> None:
    """uint8 RGB ``[T, H, W, 3]`` as an mp4 video (see :class:`Mp4Writer`)."""
    with Mp4Writer(path, fps) as writer:
        for frame in frames:
            writer.write(frame)
