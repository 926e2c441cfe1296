"""TAP-Vid point-tracking benchmarks (DAVIS, Kinetics and generated videos).

Two pickle formats are read (METHOD.md section 7):

* DAVIS: a dict ``{name: {'video': uint8 [T,H,W,3], 'points': [N,T,2] (x, y)
  in [0, 1], 'occluded': bool [N,T]}}``;
* Kinetics: a list of such dicts whose ``'video'`` is a list of JPEG bytes
  (and which may carry a ``'video_id'``).

``data_root`` is one pickle or a folder of them (for example the one-video
pickles written by ``tools/data/tapvid/split_pickle.py``).
"""

import os.path as osp
import pickle
from glob import glob
from typing import List

import cv2
import numpy as np
from mmengine.dataset import BaseDataset

from fgvc.registry import DATASETS


def read_tapvid_pickle(path: str):
    """Load a TAP-Vid pickle, naming the file on any failure."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'TAP-Vid pickle not found: {path}')
    try:
        with open(path, 'rb') as f:
            data = pickle.load(f)
    except Exception as err:
        raise ValueError(f'Corrupt TAP-Vid pickle {path}: {type(err).__name__}: {err}') from err
    if not isinstance(data, (dict, list)):
        raise ValueError(
            f'TAP-Vid pickle {path} holds a {type(data).__name__}, '
            'expected a dict of videos or a list of videos'
        )
    return data


def iter_videos(data, path: str):
    """Yield ``(name, key, video_dict)`` for both pickle formats."""
    if isinstance(data, dict):
        items = [(str(name), name, video) for name, video in data.items()]
    else:
        stem = osp.splitext(osp.basename(path))[0]
        items = [
            (str(video.get('video_id', f'{stem}_{i:04d}')), i, video)
            for i, video in enumerate(data)
        ]
    for name, key, video in items:
        missing = {'video', 'points', 'occluded'} - set(video)
        if missing:
            raise ValueError(f'Video {name!r} in {path} lacks {sorted(missing)}')
        yield name, key, video


def decode_frames(video, name: str, path: str) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` RGB from an array or a list of JPEG bytes."""
    if isinstance(video, np.ndarray):
        return video
    frames = []
    for i, data in enumerate(video):
        frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise ValueError(f'Frame {i} of video {name!r} in {path} is not a decodable image')
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return np.stack(frames)


@DATASETS.register_module()
class TapVidDataset(BaseDataset):
    """One item per video: frames, normalised tracks and occlusion flags.

    Args:
        data_root: a pickle file or a folder of ``*.pkl`` files.
        pipeline: transforms (resize, query sampling, packing).
    """

    def __init__(self, data_root: str, pipeline: List[dict], **kwargs):
        self._cache = (None, None)
        super().__init__(data_root=data_root, pipeline=pipeline, serialize_data=False, **kwargs)

    def _pickle_files(self) -> List[str]:
        root = self.data_root
        if osp.isfile(root):
            return [root]
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'TAP-Vid data root not found: {root} (expected a .pkl file or a folder of them)'
            )
        files = sorted(glob(osp.join(root, '*.pkl')))
        if not files:
            raise FileNotFoundError(f'No .pkl files in TAP-Vid data root {root}')
        return files

    def _load(self, path: str):
        if self._cache[0] != path:
            self._cache = (path, read_tapvid_pickle(path))
        return self._cache[1]

    def load_data_list(self) -> List[dict]:
        data_list = []
        for path in self._pickle_files():
            for name, key, _ in iter_videos(self._load(path), path):
                data_list.append(dict(pickle_path=path, key=key, video_name=name))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = dict(super().get_data_info(idx))
        path = info['pickle_path']
        video = self._load(path)[info['key']]
        info['video'] = decode_frames(video['video'], info['video_name'], path)
        info['points'] = np.asarray(video['points'], dtype=np.float32)
        info['occluded'] = np.asarray(video['occluded'], dtype=bool)
        num_frames = info['video'].shape[0]
        if info['points'].shape[1] != num_frames or info['occluded'].shape[1] != num_frames:
            raise ValueError(
                f'Video {info["video_name"]!r} in {path}: {num_frames} frames but '
                f'points {info["points"].shape} and occluded {info["occluded"].shape}'
            )
        return info
