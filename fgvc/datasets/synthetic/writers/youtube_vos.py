"""YouTube-VOS 2018 layout (frames only, as used for unlabelled training).

train/JPEGImages/<video>/<frame>.jpg   frames named 00000.jpg, 00005.jpg, ...
train/youtube2018_train.json           {video: [frame file names]}
"""

import json
import os
from typing import Dict, List

import numpy as np

from fgvc.fileio import write_rgb

SPLIT = 'train'
LIST_NAME = 'youtube2018_train.json'
# YouTube-VOS keeps every 5th frame of the source video; names count source frames.
FRAME_STEP = 5


def write_video(root: str, name: str, frames: np.ndarray) -> List[str]:
    """Write one video's frames; returns their file names."""
    names = [f'{FRAME_STEP * t:05d}.jpg' for t in range(len(frames))]
    for fname, frame in zip(names, frames):
        write_rgb(os.path.join(root, SPLIT, 'JPEGImages', name, fname), frame)
    return names


def write_list(root: str, videos: Dict[str, List[str]]) -> None:
    path = os.path.join(root, SPLIT, LIST_NAME)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(videos, f, indent=1)
