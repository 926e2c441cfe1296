"""BADJA animal keypoint tracking on DAVIS frames.

``<data_root>/<annotation_dir>/<seq>.json`` is a list of records
``{image_path, segmentation_path, joints [37 x (y, x)], visibility [37]}``
for the annotated frames. The paths name DAVIS files
``DAVIS/<JPEGImages|Annotations>/<resolution>/<seq>/<file>``; they are looked
up under ``davis_root`` in the first of ``resolutions`` that exists for the
sequence (the json says Full-Resolution, the disk may hold 480p only).
Joints are 0-based pixel indices at ``full_resolution`` (W, H) and are
rescaled to the frames found: x = (x_full + 0.5) * W / W_full (pixel-centre
convention, pixel i covering [i, i + 1)), or x = x_full * W / W_full with
``coordinates='pixel_index'``. Only the joints listed in ``joints`` are used.
The video is every frame of the sequence (or, with ``clip='annotated'``, the
frames from the first annotated one to the last), so that labels propagate
through consecutive frames; unannotated frames count as not visible.

The authors' release (``badja_dataset.py``, ``configs/eval/base_data.py``)
differs in the options marked "release" below; its configs and this dataset
class are the only record of its BADJA settings, as its own test path does
not run as shipped (``VanillaTracker.forward_test`` takes TAP-Vid batches).
"""

import json
import os.path as osp
from glob import glob
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.dataset import BaseDataset

from fgvc.fileio import list_images, read_index_png, read_video
from fgvc.registry import DATASETS
from fgvc.utils.paths import check_name

from .davis import FRAME_EXTENSIONS

#: What is added to the annotation's pixel indices in each coordinate convention.
INDEX_OFFSETS = {'pixel_centre': 0.5, 'pixel_index': 0.0}
CLIPS = ('sequence', 'annotated')
#: Annotations whose frames are not DAVIS frames carry this in their paths.
EXTRA_VIDEOS = 'extra_videos'
RECORD_KEYS = ('image_path', 'segmentation_path', 'joints', 'visibility')


def read_badja_json(path: str, num_joints: int) -> List[dict]:
    """Annotation records of one sequence, checked for the expected keys and
    for ``num_joints`` finite (y, x) joints and visibility flags per record;
    a joint marked invisible may hold anything finite or not."""
    try:
        with open(path) as f:
            records = json.load(f)
    except Exception as err:
        raise ValueError(f'Cannot read BADJA annotation {path}: {err}') from err
    if not isinstance(records, list) or not records:
        raise ValueError(f'BADJA annotation {path} should be a non-empty list of frame records')
    for i, record in enumerate(records):
        missing = [k for k in RECORD_KEYS if k not in record]
        if missing:
            raise ValueError(f'BADJA annotation {path}: record {i} lacks {missing}')
        check_record(record, num_joints, f'BADJA annotation {path}, record {i}')
    return records


def check_record(record: dict, num_joints: int, where: str) -> None:
    """Joints ``[num_joints, 2]`` and visibility ``[num_joints]``; visible joints finite."""
    try:
        joints = np.asarray(record['joints'], np.float64)
        visible = np.asarray(record['visibility'])
    except (TypeError, ValueError) as err:
        raise ValueError(f'{where} ({record["image_path"]}): joints or visibility: {err}') from None
    if joints.shape != (num_joints, 2):
        raise ValueError(
            f'{where} ({record["image_path"]}): field joints is {joints.shape}, '
            f'expected [{num_joints}, 2] (y, x)'
        )
    if visible.shape != (num_joints,):
        raise ValueError(
            f'{where} ({record["image_path"]}): field visibility has shape {visible.shape}, '
            f'expected [{num_joints}]'
        )
    bad = visible.astype(bool) & ~np.isfinite(joints).all(1)
    if bad.any():
        raise ValueError(
            f'{where} ({record["image_path"]}): field joints is not finite at visible '
            f'joint(s) {bad.nonzero()[0].tolist()}'
        )


@DATASETS.register_module()
class BadjaDataset(BaseDataset):
    """One item per sequence: all frames, joints at annotated frames, mask areas.

    Args:
        data_root: the BADJA folder.
        pipeline: transforms (query sampling, packing).
        davis_root: DAVIS folder (absolute, or relative to ``data_root``).
        annotation_dir: folder of the json files inside ``data_root``.
        resolutions: DAVIS resolution folders tried in order.
        full_resolution: (W, H) the joints are given in.
        joints: indices of the joints used.
        num_joints: joints per annotation record (37 in BADJA).
        coordinates: 'pixel_centre' (pixel i covers [i, i + 1)) or
            'pixel_index' (pixel i is at i; release).
        size: (h, w) the frames are resized to (``cv2.resize``, bilinear),
            the joints scaled to and the masks resized to (nearest) before
            their areas are counted; None keeps the frames found (release:
            (320, 512)).
        clip: 'sequence' (every frame) or 'annotated' (the first annotated
            frame to the last; release).
        skip_extra_videos: leave out annotations of BADJA's extra (non-DAVIS)
            videos, whose paths hold 'extra_videos' (release); otherwise
            their missing DAVIS folders are an error.
    """

    def __init__(
        self,
        data_root: str,
        pipeline: List[dict],
        davis_root: str = 'DAVIS',
        annotation_dir: str = 'joint_annotations',
        resolutions: Sequence[str] = ('Full-Resolution', '480p'),
        full_resolution: Sequence[int] = (1920, 1080),
        joints: Sequence[int] = tuple(range(37)),
        num_joints: int = 37,
        coordinates: str = 'pixel_centre',
        size: Optional[Sequence[int]] = None,
        clip: str = 'sequence',
        skip_extra_videos: bool = False,
        **kwargs,
    ):
        if coordinates not in INDEX_OFFSETS:
            raise ValueError(
                f'coordinates must be one of {list(INDEX_OFFSETS)}, got {coordinates!r}'
            )
        if clip not in CLIPS:
            raise ValueError(f'clip must be one of {CLIPS}, got {clip!r}')
        self.coordinates = coordinates
        self.size = tuple(size) if size is not None else None
        self.clip = clip
        self.skip_extra_videos = skip_extra_videos
        self.davis_root = davis_root
        self.annotation_dir = annotation_dir
        self.resolutions = tuple(resolutions)
        self.full_resolution = tuple(full_resolution)
        self.joints = list(joints)
        self.num_joints = num_joints
        if not all(0 <= j < num_joints for j in self.joints):
            raise ValueError(f'BADJA joints {self.joints} must index the {num_joints} joints')
        super().__init__(data_root=data_root, pipeline=pipeline, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        folder = osp.join(self.data_root, self.annotation_dir)
        files = sorted(glob(osp.join(folder, '*.json')))
        if not files:
            raise FileNotFoundError(f'No BADJA annotation (*.json) in {folder}')
        if self.skip_extra_videos:
            files = [p for p in files if not _is_extra_video(p, self.num_joints)]
        return [
            dict(
                video_name=check_name(osp.splitext(osp.basename(p))[0], 'BADJA sequence', p),
                json_path=p,
            )
            for p in files
        ]

    def davis_folder(self, kind: str, seq: str, json_path: str) -> str:
        """``<davis_root>/<kind>/<first resolution on disk>/<seq>``."""
        root = osp.join(self.data_root, self.davis_root)
        tried = [osp.join(root, kind, res, seq) for res in self.resolutions]
        for folder in tried:
            if osp.isdir(folder):
                return folder
        raise FileNotFoundError(
            f'BADJA annotation {json_path}: no DAVIS {kind} folder for {seq!r}; tried {tried}'
        )

    def get_data_info(self, idx: int) -> Dict:
        info = dict(super().get_data_info(idx))
        path, seq = info['json_path'], info['video_name']
        records = read_badja_json(path, self.num_joints)
        frame_paths = list_images(
            self.davis_folder('JPEGImages', seq, path),
            FRAME_EXTENSIONS,
            f'frames of sequence {seq}',
        )
        names = [osp.basename(p) for p in frame_paths]
        mask_dir = self.davis_folder('Annotations', seq, path)
        missing = [r['image_path'] for r in records if osp.basename(r['image_path']) not in names]
        missing += [
            r['segmentation_path']
            for r in records
            if not osp.isfile(osp.join(mask_dir, osp.basename(r['segmentation_path'])))
        ]
        if missing:
            raise FileNotFoundError(
                f'BADJA annotation {path} references {len(missing)} '
                f'file(s) missing from the DAVIS folders: {missing[:10]}'
            )
        annotated = [names.index(osp.basename(r['image_path'])) for r in records]
        first = min(annotated) if self.clip == 'annotated' else 0
        last = max(annotated) + 1 if self.clip == 'annotated' else len(names)
        video = read_video(frame_paths[first:last])
        found_hw = video.shape[1:3]
        if self.size is not None and found_hw != self.size:
            video = np.stack(
                [cv2.resize(f, self.size[::-1], interpolation=cv2.INTER_LINEAR) for f in video]
            )
        num_frames, height, width = video.shape[:3]
        scale = np.array([width / self.full_resolution[0], height / self.full_resolution[1]])
        keypoints = np.zeros((len(self.joints), num_frames, 2), np.float32)
        visible = np.zeros((len(self.joints), num_frames), bool)
        mask_areas = np.zeros(num_frames, np.float64)
        for record, t in zip(records, annotated):
            t -= first
            yx = np.asarray(record['joints'], np.float64)[self.joints]
            visible[:, t] = np.asarray(record['visibility'], bool)[self.joints]
            xy = np.where(visible[:, t, None], yx[:, ::-1], 0)  # invisible joints: any value
            keypoints[:, t] = (xy + INDEX_OFFSETS[self.coordinates]) * scale
            mask = read_index_png(osp.join(mask_dir, osp.basename(record['segmentation_path'])))
            if mask.shape != found_hw:
                raise ValueError(
                    f'BADJA sequence {seq!r}: mask {record["segmentation_path"]} '
                    f'is {mask.shape}, frames are {found_hw}'
                )
            if mask.shape != (height, width):
                mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)
            mask_areas[t] = np.count_nonzero(mask)
        info.update(
            video=video, keypoints=keypoints, keypoint_visible=visible, mask_areas=mask_areas
        )
        return info


def _is_extra_video(path: str, num_joints: int) -> bool:
    """Whether the annotation ``path`` is of one of BADJA's extra (non-DAVIS) videos."""
    return EXTRA_VIDEOS in read_badja_json(path, num_joints)[0]['segmentation_path']
