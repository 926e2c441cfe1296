"""Unlabelled frame pairs from real video on disk, in any of four layouts.

* YouTube-VOS: ``JPEGImages/<video>/*.jpg``, optionally with a json beside
  ``JPEGImages`` listing the videos (``{video: [frame files]}``, or the
  official ``{"videos": {video: ...}}`` meta file);
* DAVIS: ``JPEGImages/<resolution>/<sequence>/*.jpg``, restricted to the
  sequences of the split's list when there is one, read as
  :class:`~fgvc.datasets.DavisVOSDataset` reads it (``ImageSets/2017/<split>.txt``,
  sequence names, else ``ImageSets/<resolution>/<split>.txt``, DAVIS-2016 lines
  of ``/JPEGImages/... /Annotations/...``);
* a plain folder of frame folders: ``<video>/*.jpg``;
* a folder of video files (``*.mp4``, ``*.avi``, ...).

No annotation is read. The index of videos and frames is built from disk
once and, with ``index_file``, cached there as json (rebuilt when the data
root, layout options or the file's format differ). A frame that cannot be
read stops training with an error naming its path.
"""

import json
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from fgvc.fileio import atomic_write, read_video
from fgvc.fileio.video_reader import (
    FRAME_EXTENSIONS,
    VIDEO_EXTENSIONS,
    CaptureVideo,
    read_frames,
)
from fgvc.registry import DATASETS

from .davis import find_sequences, only_resolution
from .youtube_vos import draw_pair, fewest_frames, frame_step_range

INDEX_VERSION = 1


def _image_names(folder: str) -> List[str]:
    return sorted(n for n in os.listdir(folder) if n.lower().endswith(FRAME_EXTENSIONS))


def _subfolders(folder: str) -> List[str]:
    return sorted(n for n in os.listdir(folder) if osp.isdir(osp.join(folder, n)))


def _frame_folder(name: str, folder: str, names: Optional[Sequence[str]] = None) -> dict:
    names = _image_names(folder) if names is None else list(names)
    return dict(video=name, frames=[osp.join(folder, n) for n in names], num_frames=len(names))


def _davis_videos(root: str, resolution: Optional[str], split: Optional[str]) -> List[dict]:
    """The sequences of the split's DAVIS list (:func:`fgvc.datasets.davis.find_sequences`),
    or every sequence folder when there is no list (or no split)."""
    resolution = resolution or only_resolution(root)
    folder = osp.join(root, 'JPEGImages', resolution)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'DAVIS resolution folder not found: {folder}')
    names = _subfolders(folder)
    found = None if split is None else find_sequences(root, split, resolution)
    if found is not None:
        _, path, listed = found
        if not listed:
            raise ValueError(f'Sequence list {path} names no sequence')
        missing = sorted(set(listed) - set(names))
        if missing:
            raise FileNotFoundError(f'{path} lists sequences missing from {folder}: {missing}')
        names = listed
    return [_frame_folder(n, osp.join(folder, n)) for n in names]


def _youtube_vos_videos(root: str) -> List[dict]:
    images = osp.join(root, 'JPEGImages')
    metas = sorted(n for n in os.listdir(root) if n.endswith('.json'))
    if not metas:
        return [_frame_folder(n, osp.join(images, n)) for n in _subfolders(images)]
    path = osp.join(root, metas[0])
    with open(path) as f:
        meta = json.load(f)
    if not isinstance(meta, dict):
        raise ValueError(f'{path}: expected a json object of videos')
    if isinstance(meta.get('videos'), dict):  # the official meta.json: list folders
        return [_frame_folder(n, osp.join(images, n)) for n in sorted(meta['videos'])]
    videos = []
    for name, frames in sorted(meta.items()):
        if not isinstance(frames, list):
            raise ValueError(f'{path}: video {name!r} maps to {type(frames).__name__}, not a list')
        videos.append(_frame_folder(name, osp.join(images, name), frames))
    return videos


def _video_files(root: str) -> List[dict]:
    videos = []
    for name in sorted(os.listdir(root)):
        if name.lower().endswith(VIDEO_EXTENSIONS):
            path = osp.join(root, name)
            videos.append(dict(video=name, file=path, num_frames=len(CaptureVideo(path))))
    return videos


def detect_layout(root: str) -> str:
    """'davis', 'youtube_vos', 'frame_folders' or 'video_files'."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'Real video folder not found: {root}')
    images = osp.join(root, 'JPEGImages')
    if osp.isdir(images):
        first = _subfolders(images)
        if first and all(not _image_names(osp.join(images, n)) for n in first):
            return 'davis'
        return 'youtube_vos'
    if any(n.lower().endswith(VIDEO_EXTENSIONS) for n in os.listdir(root)):
        return 'video_files'
    if any(_image_names(osp.join(root, n)) for n in _subfolders(root)):
        return 'frame_folders'
    raise ValueError(
        f'{root} holds no real video in a known layout: JPEGImages/<video>/ (YouTube-VOS), '
        'JPEGImages/<res>/<seq>/ (DAVIS), <video>/ frame folders, or video files'
    )


def build_index(root: str, resolution: Optional[str] = None, split: Optional[str] = None) -> dict:
    """The videos under ``root`` with their frames (or frame counts for files)."""
    layout = detect_layout(root)
    if layout == 'davis':
        videos = _davis_videos(root, resolution, split)
    elif layout == 'youtube_vos':
        videos = _youtube_vos_videos(root)
    elif layout == 'video_files':
        videos = _video_files(root)
    else:
        videos = [_frame_folder(n, osp.join(root, n)) for n in _subfolders(root)]
        videos = [v for v in videos if v['num_frames']]
    for video in videos:
        if video['num_frames'] < 2:
            where = video.get('file') or osp.join(root, video['video'])
            raise ValueError(f'{where} has {video["num_frames"]} frame(s); a pair needs two')
    if not videos:
        raise ValueError(f'No video found under {root} ({layout} layout)')
    return dict(
        version=INDEX_VERSION,
        root=osp.abspath(root),
        resolution=resolution,
        split=split,
        layout=layout,
        videos=videos,
    )


def load_index(
    root: str, index_file: Optional[str], resolution: Optional[str], split: Optional[str]
) -> dict:
    """The cached index when it matches, otherwise a new one (written when
    ``index_file`` is set)."""
    key = dict(version=INDEX_VERSION, root=osp.abspath(root), resolution=resolution, split=split)
    if index_file and osp.isfile(index_file):
        with open(index_file) as f:
            try:
                index = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'Frame index {index_file} is not valid json: {err}') from err
        if isinstance(index, dict) and all(index.get(k) == v for k, v in key.items()):
            return index
    index = build_index(root, resolution, split)
    if index_file:
        atomic_write(index_file, json.dumps(index).encode())
    return index


@DATASETS.register_module()
class RealVideoPairs(BaseDataset):
    """One item per video: two frames ``step`` apart
    (:func:`fgvc.datasets.youtube_vos.draw_pair`).

    Items: ``imgs`` uint8 ``[2, H, W, 3]`` (reference = earlier frame) and
    ``sources`` (the two frame files, or ``file#index`` for video files).

    Args:
        data_root: Folder in one of the layouts of this module.
        pipeline: Transforms applied to each item.
        frame_steps: (min, max) distance of the two frames.
        last_pair: Whether a pair may end on the video's last frames (see
            :class:`fgvc.datasets.YouTubeVOSPairs`; False: the release's sampler).
        split: DAVIS list name (``ImageSets/<res>/<split>.txt``); used only
            when that list exists; None uses every sequence.
        resolution: DAVIS resolution folder (needed when there are several).
        index_file: Json cache of the frame index (None: built every time).
    """

    def __init__(
        self,
        data_root: str,
        pipeline: List[dict],
        frame_steps: Sequence[int] = (1, 1),
        last_pair: bool = True,
        split: Optional[str] = 'train',
        resolution: Optional[str] = None,
        index_file: Optional[str] = None,
        **kwargs,
    ) -> None:
        self.frame_steps = frame_step_range(frame_steps)
        self.last_pair = last_pair
        self.split = split
        self.resolution = resolution
        self.index_file = index_file
        super().__init__(data_root=data_root, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        index = load_index(self.data_root, self.index_file, self.resolution, self.split)
        self.layout = index['layout']
        need = fewest_frames(self.frame_steps, self.last_pair)
        videos = [v for v in index['videos'] if v['num_frames'] >= need]
        if not videos:
            raise ValueError(f'{self.data_root}: no video has the {need} frames a pair needs')
        return videos

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        first, second = draw_pair(info['num_frames'], self.frame_steps, self.last_pair)
        if 'file' in info:
            video = CaptureVideo(info['file'], num_frames=info['num_frames'])
            imgs = read_frames(video, (first, second))
            sources = (f'{info["file"]}#{first}', f'{info["file"]}#{second}')
        else:
            sources = (info['frames'][first], info['frames'][second])
            imgs = read_video(sources)
        return dict(imgs=imgs, sources=sources)
