"""BADJA joint annotations (frames and masks go to a DAVIS-2016 layout).

    joint_annotations/<seq>.json: list of {image_path, segmentation_path,
        joints [37 x (y, x)], visibility [37]} for every ANNOTATION_STEP-th frame

Paths point at DAVIS ``Full-Resolution`` frames as in the real files; joints
are (y, x) at the declared FULL_RESOLUTION (width, height), in 0-based pixel
indices (a pixel's centre at an integer): y_full = y * FULL_H / H - 0.5 for a
pixel-centre-convention y. Only the joints of USED_JOINTS are real; the others
are (0, 0) and invisible.
"""

import json
import os
from typing import Dict, List

import numpy as np

FULL_RESOLUTION = (1920, 1080)
NUM_JOINTS = 37
USED_JOINTS = (8, 9, 10, 12, 13, 14, 15, 18, 19, 20, 22, 23, 24, 25, 28, 31, 32, 33, 35, 36)
ANNOTATION_STEP = 5
INDEX_OFFSET = 0.5


def to_full_resolution(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """(x, y) pixel-centre coordinates [..., 2] -> (y, x) full-resolution pixel indices."""
    scale = np.array([FULL_RESOLUTION[0] / width, FULL_RESOLUTION[1] / height])
    return (points * scale - INDEX_OFFSET)[..., ::-1]


def annotations(
    seq: str, points: np.ndarray, occluded: np.ndarray, height: int, width: int
) -> List[Dict]:
    """Annotation records for joints [20, T, 2] / occlusion [20, T] of one sequence."""
    full = to_full_resolution(points, height, width)
    records = []
    for t in range(0, points.shape[1], ANNOTATION_STEP):
        joints = np.zeros((NUM_JOINTS, 2))
        visible = np.zeros(NUM_JOINTS, bool)
        joints[list(USED_JOINTS)] = full[:, t]
        visible[list(USED_JOINTS)] = ~occluded[:, t]
        joints[~visible] = 0.0
        records.append(
            {
                'segmentation_path': f'DAVIS/Annotations/Full-Resolution/{seq}/{t:05d}.png',
                'image_path': f'DAVIS/JPEGImages/Full-Resolution/{seq}/{t:05d}.jpg',
                'visibility': visible.tolist(),
                'joints': joints.tolist(),
            }
        )
    return records


def write_annotations(root: str, seq: str, records: List[Dict]) -> None:
    path = os.path.join(root, 'joint_annotations', f'{seq}.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(records, f)
