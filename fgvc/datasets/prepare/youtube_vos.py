"""YouTube-VOS 2018 frames as :class:`~fgvc.datasets.YouTubeVOSPairs` reads them.

Source: ``train/JPEGImages/<video>/*.jpg`` (``train/meta.json``, when there,
names the videos that must be present). The prepared folder holds
``train/JPEGImages`` (linked, or with ``short_side`` downscaled, same names)
and the frame list ``train/youtube2018_train.json`` (``{video: [frames]}``)
the loader needs. Annotations are not read (training uses frames only).
"""

import json
import os.path as osp
from typing import List, Optional

from tqdm import tqdm

from fgvc.datasets.youtube_vos import YouTubeVOSPairs
from fgvc.fileio import atomic_write

from .common import Checklist, files_with, link_into, subfolders
from .resize import resize_frames

NAME = 'youtube-vos'
SPLIT = 'train'
FRAMES_DIR = 'JPEGImages'
META = 'meta.json'
LIST_NAME = 'youtube2018_train.json'
FRAME_EXTENSIONS = ('.jpg',)
#: A video needs this many frames to give a training pair.
MIN_FRAMES = 2


def _meta_videos(path: str) -> List[str]:
    """The videos ``meta.json`` names (``{"videos": {video: ...}}``)."""
    try:
        with open(path) as f:
            return sorted(json.load(f)['videos'])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f'Cannot read the video names of {path}: {err}') from err


def prepare_youtube_vos(
    source: str, out: str, short_side: Optional[int] = None, progress: bool = False
) -> List[str]:
    """Check the YouTube-VOS download in ``source`` and prepare ``out`` (see
    the module's docstring); returns what was done, a line each."""
    check = Checklist(NAME, source)
    frames_root = osp.join(source, SPLIT, FRAMES_DIR)
    check.need_dir(frames_root, 'frames of the 2018 train split')
    check.check()
    videos = {
        name: files_with(osp.join(frames_root, name), FRAME_EXTENSIONS)
        for name in subfolders(frames_root)
    }
    meta = osp.join(source, SPLIT, META)
    if osp.isfile(meta):
        for name in _meta_videos(meta):
            if name not in videos:
                check.add(osp.join(frames_root, name), f'frames of video {name}, named in {META}')
    for name, frames in videos.items():
        if not frames:
            check.add(osp.join(frames_root, name, '*.jpg'), f'frames of video {name}')
    if not videos:
        check.add(osp.join(frames_root, '<video>'), 'any video')
    check.check()

    done = []
    rel = osp.join(SPLIT, FRAMES_DIR)
    if short_side is None:
        done.append(link_into(source, out, rel))
    else:
        for name, frames in tqdm(
            videos.items(), desc='YouTube-VOS', unit='video', disable=not progress
        ):
            resize_frames(frames, osp.join(frames_root, name), osp.join(out, rel, name), short_side)
        done.append(f'{len(videos)} videos downscaled to short side {short_side}: {rel}')
    atomic_write(osp.join(out, SPLIT, LIST_NAME), json.dumps(videos).encode())
    short = sum(len(frames) < MIN_FRAMES for frames in videos.values())
    done.append(
        f'{osp.join(SPLIT, LIST_NAME)}: {len(videos)} videos, {sum(map(len, videos.values()))} frames'
        + (f' ({short} with fewer than {MIN_FRAMES} frames, which training skips)' if short else '')
    )
    YouTubeVOSPairs(osp.join(out, SPLIT), LIST_NAME, [], lazy_init=True).load_data_list()
    done.append(f"Train: the config's unlabelled data_root is {osp.join(out, SPLIT)}")
    return done
