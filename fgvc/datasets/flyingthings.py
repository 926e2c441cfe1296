"""FlyingThings3D frame pairs with forward and backward optical flow."""

import os.path as osp
import re
from glob import glob
from typing import Dict, List, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from fgvc.fileio import read_rgb
from fgvc.registry import DATASETS

from .io import read_pfm

FRAME_DIR = 'frames_cleanpass_webp'
FLOW_DIR = 'optical_flow'
FUTURE, PAST = 'into_future', 'into_past'
VIEW_LETTER = {'left': 'L', 'right': 'R'}
# 'forward': the later frame is the target, correlated towards the earlier one.
DIRECTIONS = ('forward', 'backward')


def _numbered(pattern: str) -> Dict[int, str]:
    """Files matching ``pattern`` by the last number in their name."""
    return {int(re.findall(r'\d+', osp.basename(p))[-1]): p for p in sorted(glob(pattern))}


def _flow_files(root: str, split: str, rel_seq: str, direction: str, view: str) -> Dict[int, str]:
    return _numbered(osp.join(root, FLOW_DIR, split, rel_seq, direction, view, '*.pfm'))


def sequence_files(root: str, split: str, rel_seq: str, view: str) -> Dict[str, Dict[int, str]]:
    """One view of a sequence (``<letter>/<number>``): its frames and both
    flows, each ``{frame number: path}``."""
    return dict(
        frames=_numbered(osp.join(root, FRAME_DIR, split, rel_seq, view, '*.webp')),
        future=_flow_files(root, split, rel_seq, FUTURE, view),
        past=_flow_files(root, split, rel_seq, PAST, view),
    )


def missing_flows(frames: Dict[int, str], future: Dict[int, str], past: Dict[int, str]):
    """``(frame numbers lacking into_future, lacking into_past)``: a pair of
    consecutive frames needs the earlier one's into_future and the later
    one's into_past flow."""
    numbers = sorted(frames)
    return sorted(set(numbers[:-1]) - set(future)), sorted(set(numbers[1:]) - set(past))


@DATASETS.register_module()
class FlyingThingsPairs(BaseDataset):
    """Consecutive frame pairs of FlyingThings3D, in both temporal directions.

    Every pair of consecutive frames (n, n+1) gives one item per entry of
    ``directions``. 'forward' makes frame n+1 the target and frame n the
    reference: ``flow`` is n+1's into_past flow (target to reference) and
    ``flow_back`` n's into_future flow; 'backward' swaps the roles.

    Items: ``imgs`` uint8 ``[2, H, W, 3]`` (reference, target), ``flow`` and
    ``flow_back`` float32 ``[H, W, 2]``, ``sources`` (the frame files).

    Args:
        data_root: Folder holding ``frames_cleanpass_webp`` and ``optical_flow``.
        split: 'TRAIN' or 'TEST'.
        views: Camera views used ('left', 'right').
        directions: Any of 'forward', 'backward'.
        pipeline: Transforms applied to each item.

    Raises:
        FileNotFoundError: when no sequence is found.
        ValueError: naming the sequence, when a frame lacks the flow a pair
            needs (frame and flow counts disagree).
    """

    def __init__(
        self,
        data_root: str,
        pipeline: List[dict],
        split: str = 'TRAIN',
        views: Sequence[str] = ('left',),
        directions: Sequence[str] = DIRECTIONS,
        **kwargs,
    ) -> None:
        unknown = sorted(set(directions) - set(DIRECTIONS))
        if unknown:
            raise ValueError(f'Unknown direction(s) {unknown}; use {DIRECTIONS}')
        self.split = split
        self.views = tuple(views)
        self.directions = tuple(directions)
        super().__init__(data_root=data_root, pipeline=pipeline, **kwargs)

    def _sequence_pairs(self, frame_dir: str, rel_seq: str, view: str) -> List[dict]:
        files = sequence_files(self.data_root, self.split, rel_seq, view)
        frames, future, past = files['frames'], files['future'], files['past']
        numbers = sorted(frames)
        no_future, no_past = missing_flows(frames, future, past)
        if no_future or no_past:
            flow_dir = osp.join(self.data_root, FLOW_DIR, self.split, rel_seq)
            raise ValueError(
                f'FlyingThings3D sequence {frame_dir}: {len(frames)} frames but '
                f'{len(future)} {FUTURE} and {len(past)} {PAST} flows in {flow_dir}/*/{view}; '
                f'missing {FUTURE} for frames {no_future} and {PAST} for frames {no_past}'
            )
        pairs = []
        for earlier, later in zip(numbers[:-1], numbers[1:]):
            if later != earlier + 1:
                raise ValueError(
                    f'FlyingThings3D sequence {frame_dir}: frame {later} follows '
                    f'{earlier}; frame numbers must be consecutive'
                )
            # forward: earlier -> later, flow from the later frame's past
            # flow; backward: the other way round
            ends = dict(
                forward=(earlier, later, past[later], future[earlier]),
                backward=(later, earlier, future[earlier], past[later]),
            )
            for direction in self.directions:
                ref, tgt, flow, flow_back = ends[direction]
                pairs.append(dict(ref=frames[ref], tgt=frames[tgt], flow=flow, flow_back=flow_back))
        return pairs

    def load_data_list(self) -> List[dict]:
        frame_root = osp.join(self.data_root, FRAME_DIR, self.split)
        data_list = []
        for view in self.views:
            if view not in VIEW_LETTER:
                raise ValueError(f'Unknown view {view!r}; use {sorted(VIEW_LETTER)}')
            for frame_dir in sorted(glob(osp.join(frame_root, '*', '*', view))):
                rel_seq = osp.relpath(osp.dirname(frame_dir), frame_root)
                data_list += self._sequence_pairs(frame_dir, rel_seq, view)
        if not data_list:
            raise FileNotFoundError(
                f'No FlyingThings3D sequences under {frame_root}'
                f'/<letter>/<sequence>/{{{",".join(self.views)}}}'
            )
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        return dict(
            imgs=np.stack([read_rgb(info['ref']), read_rgb(info['tgt'])]),
            flow=read_pfm(info['flow'])[..., :2],
            flow_back=read_pfm(info['flow_back'])[..., :2],
            sources=(info['ref'], info['tgt']),
        )
