"""YouTube-VOS frame pairs (unlabelled real video)."""

import json
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from fgvc.fileio import read_rgb
from fgvc.registry import DATASETS


def frame_step_range(frame_steps: Sequence[int]) -> Tuple[int, int]:
    """``(min, max)`` frames between the two frames of a pair, checked."""
    low, high = frame_steps
    if not 1 <= low <= high:
        raise ValueError(
            f'frame_steps must be (min, max) with 1 <= min <= max, got {tuple(frame_steps)}'
        )
    return low, high


@DATASETS.register_module()
class YouTubeVOSPairs(BaseDataset):
    """One item per video: two of its frames ``step`` list entries apart,
    ``step`` drawn uniformly from ``frame_steps`` and the first frame
    uniformly among those that leave room for it.

    Items: ``imgs`` uint8 ``[2, H, W, 3]`` (reference = earlier frame,
    target = later frame) and ``sources`` (the two files).

    Args:
        data_root: Folder holding ``JPEGImages/<video>/<frame>.jpg``.
        ann_file: Json ``{video: [frame file names]}``, relative to data_root.
        frame_steps: (min, max) distance of the two frames in the list.
        pipeline: Transforms applied to each item.
    """

    def __init__(
        self,
        data_root: str,
        ann_file: str,
        pipeline: List[dict],
        frame_steps: Sequence[int] = (1, 1),
        **kwargs,
    ) -> None:
        self.frame_steps = frame_step_range(frame_steps)
        super().__init__(data_root=data_root, ann_file=ann_file, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'YouTube-VOS frame list not found: {self.ann_file}')
        with open(self.ann_file) as f:
            videos = json.load(f)
        data_list = []
        for name, frames in sorted(videos.items()):
            if len(frames) < 2:
                continue
            paths = [osp.join(self.data_root, 'JPEGImages', name, frame) for frame in frames]
            data_list.append(dict(video_name=name, frames=paths))
        if not data_list:
            raise ValueError(f'{self.ann_file} lists no video with two frames or more')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        frames = info['frames']
        step = np.random.randint(self.frame_steps[0], self.frame_steps[1] + 1)
        step = min(step, len(frames) - 1)
        first = np.random.randint(0, len(frames) - step)
        sources = (frames[first], frames[first + step])
        return dict(imgs=np.stack([read_rgb(p) for p in sources]), sources=sources)
