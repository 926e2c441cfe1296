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


def fewest_frames(frame_steps: Tuple[int, int], last_pair: bool) -> int:
    """Frames a video needs to give pairs: 2, or without the last pair (the
    release's sampler) more than twice the longest step."""
    return 2 if last_pair else 2 * frame_steps[1] + 1


def draw_pair(num_frames: int, frame_steps: Tuple[int, int], last_pair: bool) -> Tuple[int, int]:
    """Indices ``(first, first + step)`` of a pair, drawn with numpy's global
    generator: ``step`` uniform in ``frame_steps`` (at most ``num_frames - 1``),
    ``first`` uniform among the frames that leave room for it. Without
    ``last_pair`` (the release's sampler) ``first`` also leaves room for a
    second step, so the last ``step`` frames never end a pair."""
    step = min(np.random.randint(frame_steps[0], frame_steps[1] + 1), num_frames - 1)
    room = step if last_pair else 2 * step
    first = np.random.randint(0, num_frames - room)
    return first, first + step


@DATASETS.register_module()
class YouTubeVOSPairs(BaseDataset):
    """One item per video: two of its frames ``step`` list entries apart
    (:func:`draw_pair`).

    Items: ``imgs`` uint8 ``[2, H, W, 3]`` (reference = earlier frame,
    target = later frame) and ``sources`` (the two files).

    Args:
        data_root: Folder holding ``JPEGImages/<video>/<frame>.jpg``.
        ann_file: Json ``{video: [frame file names]}``, relative to data_root.
        frame_steps: (min, max) distance of the two frames in the list.
        last_pair: Whether a pair may end on the video's last frames (the
            release's sampler never ends one on the last ``step`` frames and
            skips videos of ``2 * max step`` frames or fewer).
        pipeline: Transforms applied to each item.
    """

    def __init__(
        self,
        data_root: str,
        ann_file: str,
        pipeline: List[dict],
        frame_steps: Sequence[int] = (1, 1),
        last_pair: bool = True,
        **kwargs,
    ) -> None:
        self.frame_steps = frame_step_range(frame_steps)
        self.last_pair = last_pair
        super().__init__(data_root=data_root, ann_file=ann_file, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'YouTube-VOS frame list not found: {self.ann_file}')
        with open(self.ann_file) as f:
            videos = json.load(f)
        need = fewest_frames(self.frame_steps, self.last_pair)
        data_list = []
        for name, frames in sorted(videos.items()):
            if len(frames) < need:
                continue
            paths = [osp.join(self.data_root, 'JPEGImages', name, frame) for frame in frames]
            data_list.append(dict(video_name=name, frames=paths))
        if not data_list:
            raise ValueError(f'{self.ann_file} lists no video with {need} frames or more')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        frames = info['frames']
        first, second = draw_pair(len(frames), self.frame_steps, self.last_pair)
        sources = (frames[first], frames[second])
        return dict(imgs=np.stack([read_rgb(p) for p in sources]), sources=sources)
