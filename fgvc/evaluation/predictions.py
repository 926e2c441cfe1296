"""Tracker predictions on disk: what ``tools/test.py --dump`` writes and
``tools/score.py`` reads, for this project's tracker or any other.

* Points (TAP-Vid): ``<dir>/<video>.npz`` (or one trusted pickle
  ``{video: {'tracks', 'occluded'}}``) with ``tracks`` float [n, T, 2]
  (x, y), ``occluded`` bool [n, T] and optionally ``raster_hw`` [2], the
  (height, width) of the raster the tracks are in (without it, the raster is
  given to the reader). Rows are either one per query, in the order of
  :func:`fgvc.datasets.transforms.queries.sample_queries_first` /
  ``sample_queries_strided``, or one per ground-truth track.
* Keypoints (JHMDB, BADJA): ``<dir>/<video>.npz`` with ``tracks`` float
  [n, T, 2] (x, y) in the frames' own pixels (pixel i covers [i, i + 1)) and
  ``joint_ids`` [n] (the joint of each row, an index into the dataset's joint
  list); without ``joint_ids``, one row per joint of that list.
* Masks (DAVIS VOS): ``<dir>/<video>/%05d.png``, palette or grey PNGs of
  object ids, one per frame (the official DAVIS results layout).

JHMDB video names are ``<class>/<video>``, so their files sit in class
folders. Every name is checked before it becomes part of a path.
"""

import os
import os.path as osp
from typing import Dict, Mapping, Optional, Sequence, Union

import numpy as np

from fgvc.fileio import atomic_write_npz, read_index_png, read_npz, write_palette_png
from fgvc.utils.paths import safe_join

__all__ = [
    'write_point_predictions',
    'read_point_predictions',
    'write_keypoint_predictions',
    'read_keypoint_predictions',
    'write_mask_predictions',
    'read_mask_predictions',
]


def _load_npz(path: str, required: Sequence[str]) -> Dict[str, np.ndarray]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'Prediction file not found: {path}')
    return read_npz(path, required, 'prediction file')


def _check_tracks(tracks: np.ndarray, rows: int, num_frames: int, path: str) -> np.ndarray:
    tracks = np.asarray(tracks)
    if tracks.shape != (rows, num_frames, 2) or not np.issubdtype(tracks.dtype, np.number):
        raise ValueError(
            f'Prediction file {path}: field tracks is {tracks.dtype} {tracks.shape}, '
            f'expected numbers [{rows}, {num_frames}, 2]'
        )
    if not np.isfinite(tracks).all():
        raise ValueError(f'Prediction file {path}: field tracks holds values that are not finite')
    return tracks


def write_point_predictions(
    root: str, name: str, tracks: np.ndarray, occluded: np.ndarray, raster_hw: Sequence[int]
) -> None:
    path = safe_join(root, name, 'video') + '.npz'
    atomic_write_npz(
        path,
        tracks=np.asarray(tracks),
        occluded=np.asarray(occluded, bool),
        raster_hw=np.asarray(raster_hw, np.int64),
    )


def _rows(pred: np.ndarray, num_queries: int, track_ids: np.ndarray, path: str) -> np.ndarray:
    """Rows per query from rows per query or per ground-truth track."""
    if len(pred) == num_queries:
        return pred
    if len(track_ids) and len(pred) > track_ids.max():
        return pred[track_ids]
    raise ValueError(
        f'Prediction file {path} has {len(pred)} rows; expected one per query '
        f'({num_queries}) or one per ground-truth track'
    )


def read_point_predictions(
    root: Union[str, Mapping],
    name: str,
    num_queries: int,
    track_ids: np.ndarray,
    num_frames: int,
    raster_hw: Sequence[int],
    default_raster_hw: Optional[Sequence[int]] = None,
) -> Dict[str, np.ndarray]:
    """``pred_tracks`` [num_queries, T, 2] in ``raster_hw`` and ``pred_occluded``.

    Tracks in another raster (the file's ``raster_hw``, else
    ``default_raster_hw``, else ``raster_hw``) are scaled to ``raster_hw``.
    """
    if isinstance(root, Mapping):  # one pickle of every video's predictions
        path = f'video {name!r} of the predictions pickle'
        if name not in root:
            raise KeyError(f'The predictions pickle has no video {name!r}')
        data = {k: np.asarray(v) for k, v in root[name].items()}
        missing = [k for k in ('tracks', 'occluded') if k not in data]
        if missing:
            raise ValueError(f'{path} lacks {missing}')
    else:
        path = safe_join(root, name, 'video') + '.npz'
        data = _load_npz(path, ('tracks', 'occluded'))
    track_ids = np.asarray(track_ids, np.int64)
    tracks = _rows(data['tracks'], num_queries, track_ids, path)
    occluded = _rows(np.asarray(data['occluded']), num_queries, track_ids, path)
    tracks = _check_tracks(tracks, num_queries, num_frames, path)
    if occluded.shape != (num_queries, num_frames):
        raise ValueError(
            f'Prediction file {path}: field occluded is {occluded.shape}, '
            f'expected {(num_queries, num_frames)}'
        )
    source = data.get('raster_hw', default_raster_hw if default_raster_hw else raster_hw)
    source = tuple(int(v) for v in np.asarray(source).ravel())
    if source != tuple(raster_hw):
        scale = np.array([raster_hw[1] / source[1], raster_hw[0] / source[0]])
        tracks = tracks * scale
    return dict(pred_tracks=tracks, pred_occluded=occluded.astype(bool))


def write_keypoint_predictions(
    root: str, name: str, tracks: np.ndarray, joint_ids: np.ndarray
) -> None:
    path = safe_join(root, name, 'video') + '.npz'
    atomic_write_npz(path, tracks=np.asarray(tracks), joint_ids=np.asarray(joint_ids, np.int64))


def read_keypoint_predictions(
    root: str, name: str, joint_ids: np.ndarray, num_frames: int
) -> Dict[str, np.ndarray]:
    """``pred_tracks`` [n, T, 2] for the sample's ``joint_ids``."""
    path = safe_join(root, name, 'video') + '.npz'
    data = _load_npz(path, ('tracks',))
    joint_ids = np.asarray(joint_ids, np.int64)
    tracks = np.asarray(data['tracks'])
    if 'joint_ids' in data:
        row = {int(j): i for i, j in enumerate(np.asarray(data['joint_ids']).ravel())}
        missing = [int(j) for j in joint_ids if int(j) not in row]
        if missing:
            raise ValueError(f'Prediction file {path} has no track for joint(s) {missing}')
        index = [row[int(j)] for j in joint_ids]
    else:
        index = joint_ids
        if len(joint_ids) and tracks.ndim == 3 and len(tracks) <= joint_ids.max():
            raise ValueError(
                f'Prediction file {path} has {len(tracks)} rows and no joint_ids; expected '
                'one row per joint of the dataset'
            )
    if tracks.ndim != 3:
        raise ValueError(f'Prediction file {path}: field tracks is {tracks.shape}, expected 3-d')
    tracks = _check_tracks(tracks[index], len(joint_ids), num_frames, path)
    return dict(pred_tracks=tracks)


def write_mask_predictions(root: str, name: str, masks: np.ndarray) -> None:
    folder = safe_join(root, name, 'sequence')
    for t, labels in enumerate(masks):
        write_palette_png(osp.join(folder, f'{t:05d}.png'), labels)


def read_mask_predictions(
    root: str, name: str, num_frames: int, raster_hw: Sequence[int]
) -> Dict[str, np.ndarray]:
    """``pred_masks`` uint8 [T, H, W] from ``<root>/<name>/*.png`` (sorted)."""

    folder = safe_join(root, name, 'sequence')
    if not osp.isdir(folder):
        raise FileNotFoundError(f'Prediction folder not found: {folder}')
    paths = sorted(osp.join(folder, n) for n in os.listdir(folder) if n.endswith('.png'))
    if len(paths) != num_frames:
        raise ValueError(f'Prediction folder {folder} has {len(paths)} PNGs, expected {num_frames}')
    masks = np.stack([read_index_png(p) for p in paths])
    if masks.shape[1:] != tuple(raster_hw):
        raise ValueError(
            f'Prediction masks in {folder} are {masks.shape[1:]}, ground truth {tuple(raster_hw)}'
        )
    return dict(pred_masks=masks)
