"""JHMDB human keypoint tracking.

A list file holds ``<mat path> <frames dir>`` lines relative to the data
root's parent (docs/method.md section 7). ``joint_positions.mat`` holds ``pos_img``
[2, J, T]: (x, y) of J joints in T frames, in MATLAB 1-based pixels (pixel k
covers [k - 0.5, k + 0.5]); they are converted to the pixel-centre convention
(pixel i covers [i, i + 1)) by subtracting 0.5, or with
``coordinates='pixel_index'`` to 0-based pixel indices by subtracting 1 (the
authors' release, ``jhmdb_dataset.py``: ``pos_img - 1``). Frame t (0-based) is the file
``frame_template.format(t + first_frame_number)``.

JHMDB marks no joint invisible. ``visibility='all'`` (the default, FGVC's
protocol) scores every joint in every frame, and then every joint must be
finite; ``visibility='in_frame'`` takes visibility from the ground truth's
positions: a joint outside the frame (or not finite) is not visible there.
"""

import os.path as osp
from typing import Dict, List

import numpy as np
import scipy.io
from mmengine.dataset import BaseDataset

from fgvc.fileio import read_video
from fgvc.registry import DATASETS
from fgvc.utils.paths import check_name

VISIBILITY_RULES = ('all', 'in_frame')
#: What is added to MATLAB's 1-based positions in each coordinate convention.
MATLAB_OFFSETS = {'pixel_centre': -0.5, 'pixel_index': -1.0}


def read_joint_positions(path: str, coordinates: str = 'pixel_centre') -> np.ndarray:
    """``pos_img`` of a JHMDB mat file as float ``[J, T, 2]`` (x, y), in the
    pixel-centre convention or, with ``coordinates='pixel_index'``, as 0-based
    pixel indices."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'JHMDB joint file not found: {path}')
    try:
        pos = scipy.io.loadmat(path)['pos_img']
    except KeyError:
        raise ValueError(f'JHMDB joint file {path} has no pos_img') from None
    except Exception as err:
        raise ValueError(f'Cannot read JHMDB joint file {path}: {err}') from err
    if pos.ndim != 3 or pos.shape[0] != 2:
        raise ValueError(f'JHMDB joint file {path}: pos_img is {pos.shape}, expected [2, J, T]')
    return np.transpose(pos, (1, 2, 0)).astype(np.float32) + MATLAB_OFFSETS[coordinates]


@DATASETS.register_module()
class JhmdbDataset(BaseDataset):
    """One item per video: frames, joints and their visibility (all visible).

    Args:
        data_root: the JHMDB folder; the list file's paths are relative to its parent.
        pipeline: transforms (query sampling, packing).
        list_file: list file name inside ``data_root``.
        frame_template: file name of a frame from its number.
        first_frame_number: number of the first frame's file.
        visibility: 'all' (every joint visible) or 'in_frame' (joints inside
            the frame visible).
        coordinates: 'pixel_centre' (pixel i covers [i, i + 1)) or
            'pixel_index' (pixel i is at i, the authors' release).

    Only the release's configs (``configs/eval/base_data.py``) and its
    dataset class (``jhmdb_dataset.py``) record its JHMDB settings: its own
    test path does not run as shipped (``VanillaTracker.forward_test`` takes
    TAP-Vid batches, not the ``imgs``/``ref_seg_map`` this dataset gives).
    """

    def __init__(
        self,
        data_root: str,
        pipeline: List[dict],
        list_file: str = 'val_list.txt',
        frame_template: str = '{:05d}.png',
        first_frame_number: int = 1,
        visibility: str = 'all',
        coordinates: str = 'pixel_centre',
        **kwargs,
    ):
        if visibility not in VISIBILITY_RULES:
            raise ValueError(f'visibility must be one of {VISIBILITY_RULES}, got {visibility!r}')
        if coordinates not in MATLAB_OFFSETS:
            raise ValueError(
                f'coordinates must be one of {list(MATLAB_OFFSETS)}, got {coordinates!r}'
            )
        self.visibility = visibility
        self.coordinates = coordinates
        self.list_file = list_file
        self.frame_template = frame_template
        self.first_frame_number = first_frame_number
        super().__init__(data_root=data_root, pipeline=pipeline, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        list_path = osp.join(self.data_root, self.list_file)
        if not osp.isfile(list_path):
            raise FileNotFoundError(f'JHMDB list file not found: {list_path}')
        base = osp.dirname(osp.normpath(self.data_root))
        data_list = []
        with open(list_path) as f:
            for number, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2:
                    raise ValueError(
                        f'{list_path}:{number}: expected "<mat path> <frames dir>", '
                        f'got {line.strip()!r}'
                    )
                mat, frames = (osp.join(base, p) for p in parts)
                parts = osp.normpath(frames).split(osp.sep)[-2:]
                name = '/'.join(check_name(p, 'JHMDB video', list_path) for p in parts)
                data_list.append(dict(video_name=name, mat_path=mat, frames_dir=frames))
        if not data_list:
            raise ValueError(f'JHMDB list file {list_path} lists no video')
        return data_list

    def get_data_info(self, idx: int) -> Dict:
        info = dict(super().get_data_info(idx))
        joints = read_joint_positions(info['mat_path'], self.coordinates)
        numbers = range(self.first_frame_number, self.first_frame_number + joints.shape[1])
        paths = [osp.join(info['frames_dir'], self.frame_template.format(n)) for n in numbers]
        missing = [osp.basename(p) for p in paths if not osp.isfile(p)]
        if missing:
            raise FileNotFoundError(
                f'JHMDB joint file {info["mat_path"]} has {joints.shape[1]} frames but '
                f'{len(missing)} of them are missing from {info["frames_dir"]}: {missing[:10]}'
            )
        video = read_video(paths)
        info.update(
            video=video, keypoints=joints, keypoint_visible=self.visible(joints, video, info)
        )
        return info

    def visible(self, joints: np.ndarray, video: np.ndarray, info: dict) -> np.ndarray:
        """``[J, T]`` visibility under the ``visibility`` rule, joints checked."""
        finite = np.isfinite(joints).all(-1)
        if self.visibility == 'all':
            if not finite.all():
                j, t = np.argwhere(~finite)[0]
                raise ValueError(
                    f'JHMDB joint file {info["mat_path"]} (video {info["video_name"]!r}): field '
                    f'pos_img is not finite at {int((~finite).sum())} joint(s), e.g. joint {j} '
                    f"of frame {t}; use visibility='in_frame' to leave such joints out"
                )
            return np.ones(joints.shape[:2], bool)
        height, width = video.shape[1:3]
        with np.errstate(invalid='ignore'):
            x, y = joints[..., 0], joints[..., 1]
            return finite & (x >= 0) & (x < width) & (y >= 0) & (y < height)
