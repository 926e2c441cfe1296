"""Writing the demo's results: tracks as npz and csv, masks as DAVIS PNGs, and
videos of them drawn over the frames, into a folder that only appears once
everything in it is complete."""

import contextlib
import json
import os
import os.path as osp
import shutil
import signal
import sys
import tempfile
import threading
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from fgvc.apis.progress import ProgressBar, ProgressCallback
from fgvc.fileio import (
    FOLDER_MODE,
    current_umask,
    exclusive_lock,
    list_images,
    path_sha256,
    read_index_png,
    write_palette_png,
)
from fgvc.fileio.video_reader import FRAME_EXTENSIONS, VideoReader
from fgvc.visualization import Mp4Writer, draw_track_frame, overlay_masks, track_colours

#: The files of a point-tracking run and of a mask run (masks/<video name>/ and the overlay).
TRACKS_NPZ, TRACKS_CSV, TRACKS_MP4 = 'tracks.npz', 'tracks.csv', 'tracks.mp4'
MASKS_DIR, OVERLAY_MP4 = 'masks', 'overlay.mp4'
#: The stage progress callbacks hear while the videos are drawn.
DRAWING = 'drawing'
#: How tracks and masks are drawn unless the caller says otherwise: point
#: radius (pixels), frames of fading trail, mask opacity.
DEFAULT_RADIUS = 3
DEFAULT_TRAIL = 10
DEFAULT_ALPHA = 0.5
#: Frames read at once when drawing.
RENDER_CHUNK = 16
MASK_TEMPLATE = '{:05d}.png'
CSV_HEADER = 'frame,point,x,y,visible'
CSV_DECIMALS = 3
# A process ended by signal n exits with this plus n, as shells report it.
EXIT_STATUS_BASE = 128


#: File marking a folder as written by :func:`staged_output_dir`, listing its files.
MANIFEST = '.fgvc-output.json'


def _files_below(folder: str) -> List[str]:
    return sorted(
        osp.relpath(osp.join(root, name), folder)
        for root, _, names in os.walk(folder)
        for name in names
    )


def read_manifest(folder: str) -> Optional[dict]:
    """The manifest of a folder :func:`staged_output_dir` wrote, or None."""
    try:
        with open(osp.join(folder, MANIFEST)) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def source_record(video: str) -> Dict[str, str]:
    """Which input an output folder was made from: its absolute path and the
    sha256 of its bytes (of its frame files, for a folder of frames)."""
    return dict(source=osp.abspath(video), source_sha256=path_sha256(video, FRAME_EXTENSIONS))


def _check_replaceable(out_dir: str, overwrite: bool, out_name: str, overwrite_name: str) -> None:
    """Refuse to write over anything but a missing or empty folder, or with
    ``overwrite`` a folder this module wrote whose files are all its own; the
    errors call the two ``out_name`` and ``overwrite_name``."""
    if not osp.lexists(out_dir) or (osp.isdir(out_dir) and not os.listdir(out_dir)):
        return
    if not overwrite:
        raise FileExistsError(
            f'Output folder {out_dir} exists and is not empty: choose another '
            f'one or allow replacing it ({overwrite_name})'
        )
    manifest = osp.join(out_dir, MANIFEST)
    if osp.islink(out_dir) or not osp.isfile(manifest):
        raise FileExistsError(
            f'Refusing to replace {out_dir}: it was not written by this tool (no {MANIFEST}); '
            f'remove it yourself or choose another {out_name}'
        )
    with open(manifest) as f:
        listed = set(json.load(f).get('files', []))
    foreign = [name for name in _files_below(out_dir) if name not in listed and name != MANIFEST]
    if foreign:
        raise FileExistsError(
            f'Refusing to replace {out_dir}: it holds files this tool did not write, '
            f'e.g. {foreign[:3]}'
        )


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into an exit that unwinds like Ctrl-C (clean-ups run)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        sys.exit(EXIT_STATUS_BASE + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def staged_output_dir(
    out_dir: str,
    overwrite: bool = False,
    source: Optional[Mapping[str, str]] = None,
    out_name: str = 'out_dir',
    overwrite_name: str = 'overwrite',
) -> Iterator[str]:
    """Yield a hidden temporary folder beside ``out_dir`` to write into; on
    success it gets a manifest (:data:`MANIFEST`, listing its files and the
    ``source`` record of the input, :func:`source_record`) and is renamed to
    ``out_dir``, on any error, Ctrl-C or SIGTERM it is deleted, so ``out_dir``
    never holds partial results.

    ``overwrite`` replaces only a folder written here (a manifest listing every
    file in it), never anything else; a second run writing to the same
    ``out_dir`` at the same time fails at once (an exclusive lock). The
    errors call ``out_dir`` and ``overwrite`` by the caller's names for them,
    ``out_name`` and ``overwrite_name`` (e.g. a tool's options).
    """
    out_dir = osp.abspath(out_dir)
    parent, name = osp.split(out_dir)
    os.makedirs(parent, exist_ok=True)
    lock = osp.join(parent, f'.{name}.lock')
    busy = (
        f'Another run is writing to {out_dir} (it holds {lock}): wait for it or choose '
        f'another {out_name}'
    )
    with exclusive_lock(lock, busy), _terminate_as_interrupt():
        _check_replaceable(out_dir, overwrite, out_name, overwrite_name)
        staging = tempfile.mkdtemp(prefix=f'.{name}.partial-', dir=parent)
        os.chmod(staging, FOLDER_MODE & ~current_umask())  # mkdtemp's folder is private
        try:
            yield staging
            manifest = dict(tool='fgvc', files=_files_below(staging), **(source or {}))
            with open(osp.join(staging, MANIFEST), 'w') as f:
                json.dump(manifest, f, indent=1)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if osp.lexists(out_dir):
            retired = tempfile.mkdtemp(prefix=f'.{name}.old-', dir=parent)
            os.rename(out_dir, osp.join(retired, name))
            os.rename(staging, out_dir)
            shutil.rmtree(retired)
        else:
            os.rename(staging, out_dir)


def write_tracks_npz(
    path: str, tracks: np.ndarray, visibility: np.ndarray, queries: np.ndarray, reader: VideoReader
) -> None:
    """``tracks`` [T, N, 2] (x, y), ``visibility`` [T, N], ``queries`` [N, 3]
    (t, x, y), the video's ``size`` (H, W) and ``fps``."""
    np.savez_compressed(
        path,
        tracks=tracks,
        visibility=visibility,
        queries=queries,
        size=np.array([reader.height, reader.width]),
        fps=reader.fps,
    )


def write_tracks_csv(path: str, tracks: np.ndarray, visibility: np.ndarray) -> None:
    """One row per frame and point: ``frame,point,x,y,visible`` (visible 0/1)."""
    num_frames, num_points = visibility.shape
    frame, point = np.meshgrid(np.arange(num_frames), np.arange(num_points), indexing='ij')
    table = np.column_stack(
        [frame.ravel(), point.ravel(), tracks.reshape(-1, 2), visibility.ravel()]
    )
    fmt = ['%d', '%d', f'%.{CSV_DECIMALS}f', f'%.{CSV_DECIMALS}f', '%d']
    np.savetxt(path, table, fmt=fmt, delimiter=',', header=CSV_HEADER, comments='')


def _chunks(reader: VideoReader, chunk: int) -> Iterator[Tuple[int, np.ndarray]]:
    for start in range(0, len(reader), chunk):
        yield start, reader.read(start, min(start + chunk, len(reader)))


def render_tracks(
    reader: VideoReader,
    tracks: np.ndarray,
    visibility: np.ndarray,
    path: str,
    fps: float,
    radius: int,
    trail: int,
    progress: bool = False,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """An mp4 of the video with coloured points (rings where hidden) and
    fading trails, drawn a chunk of frames at a time."""
    tracks_nt, occluded_nt = tracks.transpose(1, 0, 2), ~visibility.T
    colours = track_colours(tracks_nt.shape[0])

    def draw(start: int, frames: np.ndarray) -> Iterable[np.ndarray]:
        for t, frame in enumerate(frames, start):
            yield draw_track_frame(frame, tracks_nt, occluded_nt, t, colours, radius, trail)

    _write_drawn(reader, path, fps, progress, on_progress, draw)


def write_track_outputs(
    folder: str,
    reader: VideoReader,
    tracks: np.ndarray,
    visibility: np.ndarray,
    queries: np.ndarray,
    fps: float,
    radius: int,
    trail: int,
    progress: bool = False,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """Everything a point-tracking run leaves in ``folder``: :data:`TRACKS_NPZ`,
    :data:`TRACKS_CSV` and the drawn :data:`TRACKS_MP4`."""
    write_tracks_npz(osp.join(folder, TRACKS_NPZ), tracks, visibility, queries, reader)
    write_tracks_csv(osp.join(folder, TRACKS_CSV), tracks, visibility)
    render_tracks(
        reader,
        tracks,
        visibility,
        osp.join(folder, TRACKS_MP4),
        fps,
        radius,
        trail,
        progress,
        on_progress,
    )


def track_into(
    folder: str,
    predictor: Callable[[VideoReader, np.ndarray], Tuple[np.ndarray, np.ndarray]],
    reader: VideoReader,
    queries: np.ndarray,
    fps: float,
    radius: int,
    trail: int,
    progress: bool = False,
    on_progress: Optional[ProgressCallback] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Track ``queries`` through ``reader`` with ``predictor`` and leave the
    run's files in ``folder`` (:func:`write_track_outputs`); returns
    ``tracks, visibility``."""
    tracks, visibility = predictor(reader, queries)
    write_track_outputs(
        folder, reader, tracks, visibility, queries, fps, radius, trail, progress, on_progress
    )
    return tracks, visibility


def write_mask_outputs(
    folder: str,
    reader: VideoReader,
    masks: Iterable[Tuple[int, np.ndarray]],
    name: str,
    fps: float,
    alpha: float,
    progress: bool = False,
    on_progress: Optional[ProgressCallback] = None,
) -> int:
    """Everything a mask run leaves in ``folder``: the ``(t, mask)`` pairs as
    DAVIS PNGs in ``MASKS_DIR/<name>/`` and :data:`OVERLAY_MP4`; returns how
    many masks."""
    mask_dir = osp.join(folder, MASKS_DIR, name)
    count = write_masks(masks, mask_dir)
    render_mask_overlay(
        reader, mask_dir, osp.join(folder, OVERLAY_MP4), fps, alpha, progress, on_progress
    )
    return count


def write_masks(masks: Iterable[Tuple[int, np.ndarray]], folder: str) -> int:
    """Write ``(t, mask)`` pairs as DAVIS palette PNGs ``folder/%05d.png``;
    returns how many."""
    count = 0
    for t, mask in masks:
        write_palette_png(osp.join(folder, MASK_TEMPLATE.format(t)), mask)
        count += 1
    return count


def render_mask_overlay(
    reader: VideoReader,
    mask_folder: str,
    path: str,
    fps: float,
    alpha: float,
    progress: bool = False,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """An mp4 of the video with the masks of ``mask_folder`` blended in their
    DAVIS palette colours."""
    mask_paths = list_images(mask_folder, ('.png',), 'masks')

    def draw(start: int, frames: np.ndarray) -> Iterable[np.ndarray]:
        masks = np.stack([read_index_png(p) for p in mask_paths[start : start + len(frames)]])
        return overlay_masks(frames, masks, alpha)

    _write_drawn(reader, path, fps, progress, on_progress, draw)


def _write_drawn(
    reader: VideoReader,
    path: str,
    fps: float,
    progress: bool,
    on_progress: Optional[ProgressCallback],
    draw: Callable[[int, np.ndarray], Iterable[np.ndarray]],
) -> None:
    """Write the mp4 of ``draw(start, frames)`` over the video, a chunk of
    frames at a time, with a progress bar."""
    with (
        Mp4Writer(path, fps) as writer,
        ProgressBar(len(reader), DRAWING, progress, on_progress) as bar,
    ):
        for start, frames in _chunks(reader, RENDER_CHUNK):
            for image in draw(start, frames):
                writer.write(image)
            bar.update(len(frames))
