"""FlyingThings3D layout (frames_cleanpass_webp + optical_flow PFMs).

    frames_cleanpass_webp/TRAIN/A/NNNN/{left,right}/FFFF.webp
    optical_flow/TRAIN/A/NNNN/into_future/{left,right}/OpticalFlowIntoFuture_FFFF_{L,R}.pfm
    optical_flow/TRAIN/A/NNNN/into_past/{left,right}/OpticalFlowIntoPast_FFFF_{L,R}.pfm

Frame numbers FFFF start at 0006 as in FlyingThings3D. into_future exists
for every frame but the last, into_past for every frame but the first (the
flows a pair loader uses). The right view repeats the left one (hard links
where the file system allows). Frames are lossless WebP, flows (u, v, 0)
little-endian PFM; see :mod:`..flow` for the flow definition.
"""

import os
import shutil
from functools import partial
from typing import Callable

import numpy as np

from fgvc.datasets.io.pfm import write_pfm
from fgvc.fileio import write_rgb

from ..flow import future_flows, past_flows
from ..scene import Scene

FIRST_FRAME_NUMBER = 6
SPLIT = 'TRAIN'
LETTER = 'A'
VIEWS = (('left', 'L'), ('right', 'R'))


def _link_or_copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.exists(dst):
        os.remove(dst)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _write_views(path_of: Callable[[str], str], write: Callable[[str], None]) -> None:
    """Write the left view with ``write(path)`` and repeat it as the right view."""
    left = path_of('left')
    write(left)
    _link_or_copy(left, path_of('right'))


def frame_path(root: str, seq: int, number: int, view: str = 'left') -> str:
    return os.path.join(
        root, 'frames_cleanpass_webp', SPLIT, LETTER, f'{seq:04d}', view, f'{number:04d}.webp'
    )


def flow_path(root: str, seq: int, number: int, direction: str, view: str = 'left') -> str:
    """direction: 'into_future' or 'into_past'."""
    word = 'Future' if direction == 'into_future' else 'Past'
    letter = dict(VIEWS)[view]
    return os.path.join(
        root,
        'optical_flow',
        SPLIT,
        LETTER,
        f'{seq:04d}',
        direction,
        view,
        f'OpticalFlowInto{word}_{number:04d}_{letter}.pfm',
    )


def write_sequence(root: str, seq: int, scene: Scene, frames: np.ndarray, ids: np.ndarray) -> None:
    """Write one sequence's frames and both flow directions under ``root``."""
    for t, frame in enumerate(frames):
        n = FIRST_FRAME_NUMBER + t
        _write_views(partial(frame_path, root, seq, n), partial(write_rgb, rgb=frame))
    for t, flow in enumerate(future_flows(scene, ids)):
        n = FIRST_FRAME_NUMBER + t
        _write_views(
            partial(flow_path, root, seq, n, 'into_future'), partial(write_pfm, array=flow)
        )
    for t, flow in enumerate(past_flows(scene, ids)):
        n = FIRST_FRAME_NUMBER + t + 1
        _write_views(partial(flow_path, root, seq, n, 'into_past'), partial(write_pfm, array=flow))
