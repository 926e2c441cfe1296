"""TAP-Vid point-tracking benchmarks (DAVIS, Kinetics and generated videos).

Two pickle formats are read (docs/method.md section 7):

* DAVIS: a dict ``{name: {'video': uint8 [T,H,W,3], 'points': [N,T,2] (x, y)
  in [0, 1], 'occluded': bool [N,T]}}``;
* Kinetics: a list of such dicts whose ``'video'`` is a list of JPEG bytes
  (and which may carry a ``'video_id'``).

and one pickle-free format, one ``<name>.npz`` per video (written by
``tools/data/tapvid/split_pickle.py --format npz``) holding ``points``,
``occluded`` and either ``video`` uint8 [T,H,W,3] or the JPEG frames as
``jpeg_bytes`` (all frames' bytes concatenated) with ``jpeg_offsets`` [T + 1].

``data_root`` is one such file or a folder of them.

Security: pickles are read with :func:`fgvc.fileio.load_pickle`, which builds
only arrays, numbers, strings, lists and dicts (all the formats hold) and
refuses any other type, naming it, unless ``trust_pickle`` (the tools'
``--trust-pickle``). Converting the pickles once with
``tools/data/tapvid/split_pickle.py --format npz`` gives files loaded without
pickle at all.

Ground truth is checked when a video is read: ``points`` must be [N, T, 2]
and ``occluded`` [N, T] for the video's T frames, and every visible point
finite and inside [0, 1] (positions where a point is occluded are never
scored, so they are not checked). Video names must be usable as file names.
"""

import os.path as osp
from glob import glob
from typing import List

import cv2
import numpy as np
from mmengine.dataset import BaseDataset

from fgvc.fileio import atomic_write_npz, load_pickle, read_npz
from fgvc.registry import DATASETS
from fgvc.utils.paths import check_name

DATA_EXTENSIONS = ('.pkl', '.npz')
NPZ_KEYS = ('points', 'occluded')


def read_tapvid_pickle(path: str, trust: bool = False):
    """Load a TAP-Vid pickle safely (any other type than the format's is
    refused unless ``trust``), naming the file on any failure."""
    data = load_pickle(path, 'TAP-Vid pickle', trust)
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
        check_name(name, 'TAP-Vid video', path)
        missing = {'video', 'points', 'occluded'} - set(video)
        if missing:
            raise ValueError(f'Video {name!r} in {path} lacks {sorted(missing)}')
        yield name, key, video


def decode_frames(video, name: str, path: str) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` RGB from an array or a list of JPEG bytes."""
    if isinstance(video, np.ndarray):
        if video.ndim != 4 or video.shape[-1] != 3 or video.dtype != np.uint8:
            raise ValueError(
                f'TAP-Vid video {name!r} in {path}: field video is {video.dtype} '
                f'{video.shape}, expected uint8 [T, H, W, 3]'
            )
        return video
    frames = []
    for i, data in enumerate(video):
        frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise ValueError(f'Frame {i} of video {name!r} in {path} is not a decodable image')
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return np.stack(frames)


def read_tapvid_npz(path: str) -> dict:
    """One video of the npz format, loaded without pickle, as the pickle's video dict."""
    video = read_npz(path, NPZ_KEYS, 'TAP-Vid npz')
    if 'video' not in video and 'jpeg_bytes' not in video:
        raise ValueError(f'TAP-Vid npz {path} lacks video or jpeg_bytes')
    if 'video' not in video:
        data, offsets = video.pop('jpeg_bytes'), video.pop('jpeg_offsets')
        video['video'] = [data[a:b].tobytes() for a, b in zip(offsets[:-1], offsets[1:])]
    return video


def write_tapvid_npz(video: dict, path: str) -> None:
    """Write one video dict (either pickle format) as the npz format, atomically."""
    frames = video['video']
    arrays = dict(
        points=np.asarray(video['points'], np.float32),
        occluded=np.asarray(video['occluded'], bool),
    )
    if isinstance(frames, np.ndarray):
        arrays['video'] = frames
    else:
        chunks = [np.frombuffer(f, np.uint8) for f in frames]
        arrays['jpeg_bytes'] = np.concatenate(chunks) if chunks else np.zeros(0, np.uint8)
        arrays['jpeg_offsets'] = np.cumsum([0] + [len(c) for c in chunks]).astype(np.int64)
    atomic_write_npz(path, **arrays)


def check_tracks(points: np.ndarray, occluded: np.ndarray, num_frames: int, where: str) -> None:
    """Shapes, and finite in-range visible points; ``where`` names the video and file."""
    if points.ndim != 3 or points.shape[1:] != (num_frames, 2):
        raise ValueError(
            f'{where}: field points is {points.shape}, expected [N, {num_frames}, 2] (x, y)'
        )
    if occluded.shape != points.shape[:2]:
        raise ValueError(
            f'{where}: field occluded is {occluded.shape}, expected {points.shape[:2]}'
        )
    visible = points[~occluded]
    bad = ~np.isfinite(visible).all(1) | (visible < 0).any(1) | (visible > 1).any(1)
    if bad.any():
        raise ValueError(
            f'{where}: field points has {int(bad.sum())} visible point(s) that are not finite '
            f'or outside [0, 1] (normalised x, y), e.g. {visible[bad][0].tolist()}'
        )


def as_occlusion(values, where: str) -> np.ndarray:
    """Boolean occlusion flags from bools or 0/1 numbers."""
    values = np.asarray(values)
    if values.dtype != bool:
        if not np.isin(values, (0, 1)).all():
            raise ValueError(f'{where}: field occluded holds values other than 0/1 or bool')
        values = values.astype(bool)
    return values


@DATASETS.register_module()
class TapVidDataset(BaseDataset):
    """One item per video: frames, normalised tracks and occlusion flags.

    Args:
        data_root: a ``.pkl`` or ``.npz`` file or a folder of them.
        pipeline: transforms (resize, query sampling, packing).
        trust_pickle: unpickle pickles holding other types than the format's
            (runs any code they name; only for files you trust).
    """

    def __init__(self, data_root: str, pipeline: List[dict], trust_pickle: bool = False, **kwargs):
        self._cache = (None, None)
        self.trust_pickle = trust_pickle
        super().__init__(data_root=data_root, pipeline=pipeline, serialize_data=False, **kwargs)

    def _data_files(self) -> List[str]:
        root = self.data_root
        if osp.isfile(root):
            return [root]
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'TAP-Vid data root not found: {root} '
                '(expected a .pkl or .npz file or a folder of them)'
            )
        files = sorted(p for ext in DATA_EXTENSIONS for p in glob(osp.join(root, f'*{ext}')))
        if not files:
            raise FileNotFoundError(f'No .pkl or .npz files in TAP-Vid data root {root}')
        return files

    def _load(self, path: str):
        if self._cache[0] != path:
            data = (
                read_tapvid_npz(path)
                if path.endswith('.npz')
                else read_tapvid_pickle(path, self.trust_pickle)
            )
            self._cache = (path, data)
        return self._cache[1]

    def load_data_list(self) -> List[dict]:
        data_list = []
        for path in self._data_files():
            if path.endswith('.npz'):
                name = check_name(osp.basename(path)[: -len('.npz')], 'TAP-Vid video', path)
                data_list.append(dict(pickle_path=path, key=None, video_name=name))
                continue
            for name, key, _ in iter_videos(self._load(path), path):
                data_list.append(dict(pickle_path=path, key=key, video_name=name))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = dict(super().get_data_info(idx))
        path = info['pickle_path']
        data = self._load(path)
        video = data if info['key'] is None else data[info['key']]
        where = f'TAP-Vid video {info["video_name"]!r} in {path}'
        info['video'] = decode_frames(video['video'], info['video_name'], path)
        points = np.asarray(video['points'])
        if not np.issubdtype(points.dtype, np.number):
            raise ValueError(f'{where}: field points has dtype {points.dtype}, expected numbers')
        info['points'] = points.astype(np.float32)
        info['occluded'] = as_occlusion(video['occluded'], where)
        check_tracks(info['points'], info['occluded'], info['video'].shape[0], where)
        return info
