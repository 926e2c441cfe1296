"""Many videos, one after the other, unattended.

:func:`expand_videos` turns what the user named (video files, folders of
frames, folders of videos, text files listing videos) into a list of videos;
:func:`process_videos` runs one video's job on each, into its own output
folder, records each outcome in ``summary.csv`` as it goes, and carries on
past a video that fails.

Output folders belong to one input each: a folder's manifest records the
input's path and fingerprint (:func:`fgvc.outputs.files.source_record`). A
later run gives an input the folder whose manifest names it, and a new input
a name no other input or existing folder has (:func:`assign_output_folders`),
so reordered, added or same-named inputs never share or swap folders, and
``--resume`` skips an input only when its folder records its current bytes.
"""

import csv
import io
import os
import os.path as osp
import sys
import time
from dataclasses import asdict, dataclass, fields
from typing import Callable, Collection, Dict, List, Optional, Sequence

from fgvc.fileio import atomic_write, shown
from fgvc.fileio.video_reader import FRAME_EXTENSIONS, VIDEO_EXTENSIONS

from .files import read_manifest, source_record

#: A text file listing videos, one path a line (relative paths from the list's folder).
LIST_EXTENSIONS = ('.txt', '.lst')
SUMMARY = 'summary.csv'
PASSED, SKIPPED, FAILED = 'ok', 'skipped', 'failed'


@dataclass
class VideoResult:
    """One row of ``summary.csv``."""

    video: str
    frames: Optional[int] = None
    points: Optional[int] = None
    seconds: Optional[float] = None
    status: str = PASSED


def _has(folder: str, extensions: Sequence[str]) -> bool:
    return any(name.lower().endswith(extensions) for name in os.listdir(folder))


def _read_list(path: str) -> List[str]:
    base = osp.dirname(osp.abspath(path))
    with open(path) as f:
        lines = [line.strip() for line in f]
    return [osp.join(base, line) for line in lines if line and not line.startswith('#')]


def expand_videos(inputs: Sequence[str]) -> List[str]:
    """Videos named by ``inputs``: a video file or a folder of frames as it
    is, a folder holding video files as those files (sorted), a ``.txt``
    file as the videos it lists. Missing paths are kept, to fail in their turn."""
    videos = []
    for item in inputs:
        if osp.isfile(item) and item.lower().endswith(LIST_EXTENSIONS):
            videos += _read_list(item)
        elif osp.isdir(item) and not _has(item, FRAME_EXTENSIONS) and _has(item, VIDEO_EXTENSIONS):
            videos += [
                osp.join(item, name)
                for name in sorted(os.listdir(item))
                if name.lower().endswith(VIDEO_EXTENSIONS)
            ]
        else:
            videos.append(item)
    return videos


def is_batch(inputs: Sequence[str]) -> bool:
    """Whether ``inputs`` name more than one video (or a list or folder of videos)."""
    return len(inputs) > 1 or expand_videos(inputs) != list(inputs)


def video_name(path: str) -> str:
    """A file's name without extension, or a folder's name."""
    return osp.splitext(osp.basename(osp.normpath(path)))[0]


def output_folders(videos: Sequence[str], out_root: str, taken: Collection[str] = ()) -> List[str]:
    """``out_root/<video name>``, with ``-2``, ``-3``, ... added to repeated
    names; never a name in ``taken``, nor the name of another video."""
    names = [video_name(video) for video in videos]
    plain, used = set(names), set(taken)
    folders = []
    for name in names:
        candidate, count = name, 1
        while candidate in used or (candidate != name and candidate in plain):
            count += 1
            candidate = f'{name}-{count}'
        used.add(candidate)
        folders.append(osp.join(out_root, candidate))
    return folders


def folder_owners(out_root: str) -> Dict[str, str]:
    """``{input path: folder name}`` of the folders in ``out_root`` whose
    manifest names the input they were made from."""
    owners = {}
    for name in sorted(os.listdir(out_root)) if osp.isdir(out_root) else []:
        manifest = read_manifest(osp.join(out_root, name))
        if manifest and isinstance(manifest.get('source'), str):
            owners.setdefault(manifest['source'], name)
    return owners


def assign_output_folders(videos: Sequence[str], out_root: str) -> List[str]:
    """Each video's folder in ``out_root``: the one an earlier run made from
    the same input path, else a new name (:func:`output_folders`) that no
    existing entry of ``out_root`` has."""
    owners = folder_owners(out_root)
    existing = set(os.listdir(out_root)) if osp.isdir(out_root) else set()
    own: Dict[int, str] = {}
    for i, video in enumerate(videos):
        name = owners.get(osp.abspath(video))
        if name is not None and name not in own.values():  # an input named twice: once
            own[i] = name
    others = [v for i, v in enumerate(videos) if i not in own]
    fresh = iter(output_folders(others, out_root, existing))
    return [osp.join(out_root, own[i]) if i in own else next(fresh) for i in range(len(videos))]


def read_summary(path: str) -> Dict[str, VideoResult]:
    """The rows of an earlier ``summary.csv`` by video (empty if there is none)."""
    if not osp.isfile(path):
        return {}
    with open(path, newline='', encoding='utf-8', errors='surrogateescape') as f:
        rows = list(csv.DictReader(f))
    out = {}
    for row in rows:
        out[row['video']] = VideoResult(
            row['video'],
            int(row['frames']) if row['frames'] else None,
            int(row['points']) if row['points'] else None,
            float(row['seconds']) if row['seconds'] else None,
            row['status'],
        )
    return out


def write_summary(path: str, results: Sequence[VideoResult]) -> None:
    """Write the rows to ``path`` atomically, so it is always whole; paths
    keep their bytes (names that are not UTF-8 included)."""
    text = io.StringIO(newline='')
    writer = csv.DictWriter(text, [field.name for field in fields(VideoResult)])
    writer.writeheader()
    writer.writerows(asdict(r) for r in results)
    atomic_write(path, text.getvalue().encode('utf-8', errors='surrogateescape'))


def _why_not_kept(video: str, out_dir: str) -> Optional[str]:
    """Why ``video``'s earlier output in ``out_dir`` cannot be kept, or None."""
    manifest = read_manifest(out_dir)
    if manifest is None:
        return 'it is incomplete'
    try:
        record = source_record(video)
    except OSError as error:
        return f'the input cannot be read ({error})'
    if manifest.get('source') != record['source']:
        return f'it was made from another input ({shown(manifest.get("source", "unknown"))})'
    if manifest.get('source_sha256') != record['source_sha256']:
        return 'it was made from an earlier version of this input (its fingerprint differs)'
    return None


def process_videos(
    videos: Sequence[str],
    out_root: str,
    process: Callable[[str, str], Dict[str, int]],
    resume: bool = False,
    log: Callable[[str], None] = print,
    error_log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> List[VideoResult]:
    """Run ``process(video, out_dir)`` (returning ``frames`` and ``points``)
    for each video into its own folder of ``out_root``
    (:func:`assign_output_folders`); write ``out_root/summary.csv`` after
    each. A video whose ``process`` raises is reported (``error: VIDEO:
    reason``) and the others go on. With ``resume``, a video whose output
    folder is complete and records this input's path and bytes is skipped,
    its earlier summary row kept."""
    os.makedirs(out_root, exist_ok=True)
    summary = osp.join(out_root, SUMMARY)
    earlier = read_summary(summary) if resume else {}
    results = []
    for i, (video, out_dir) in enumerate(zip(videos, assign_output_folders(videos, out_root)), 1):
        log(f'[{i}/{len(videos)}] {shown(video)} -> {shown(out_dir)}')
        why = _why_not_kept(video, out_dir) if resume and osp.isdir(out_dir) else ''
        if why is None:
            result = earlier.get(video, VideoResult(video))
            result.status = SKIPPED
            log(f'{shown(video)}: skipped, {shown(out_dir)} is complete')
        else:
            if why:
                log(f'{shown(video)}: {shown(out_dir)} is not kept: {why}')
            start = time.perf_counter()
            try:
                counts = process(video, out_dir)
                result = VideoResult(video, counts['frames'], counts['points'])
            except Exception as error:  # one bad video must not stop the batch
                reason = f'{type(error).__name__}: {error}'.replace('\n', ' ')
                result = VideoResult(video, status=f'{FAILED}: {reason}')
                error_log(f'error: {shown(video)}: {shown(reason)}')
            result.seconds = round(time.perf_counter() - start, 3)
        results.append(result)
        write_summary(summary, results)
    failed = sum(r.status.startswith(FAILED) for r in results)
    log(
        f'{len(results) - failed} of {len(results)} videos done '
        f'({sum(r.status == SKIPPED for r in results)} skipped), {failed} failed; '
        f'summary in {shown(summary)}'
    )
    return results
