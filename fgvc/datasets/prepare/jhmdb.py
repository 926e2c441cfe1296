"""JHMDB as :class:`~fgvc.datasets.JhmdbDataset` reads it.

Source: ``Rename_Images/<class>/<video>/%05d.png`` (from 00001),
``joint_positions/<class>/<video>/joint_positions.mat`` and the official
splits ``splits/<class>_test_split<N>.txt`` (``<video>.avi <id>`` lines, id 2
for a test video). The list file ``val_list.txt`` holds the test videos of
split N (split 1: the protocol of FGVC and the works it compares with;
without a splits folder every video with joints, which is said). Every video
listed must have its joints and a frame for each of their frames.

The prepared folder links ``Rename_Images`` and ``joint_positions`` and holds
``val_list.txt``, whose paths are relative to the folder's parent.
"""

import os.path as osp
from glob import glob
from typing import List, Tuple

from fgvc.datasets.jhmdb import JhmdbDataset, read_joint_positions

from .common import Checklist, link_into, subfolders, write_text

NAME = 'jhmdb'
FRAMES_DIR, JOINTS_DIR, SPLITS_DIR = 'Rename_Images', 'joint_positions', 'splits'
JOINTS_FILE = 'joint_positions.mat'
LIST_NAME = 'val_list.txt'
#: The split-file id of a test video.
TEST_ID = '2'
DEFAULT_SPLIT = 1
#: As :class:`JhmdbDataset` reads frames by default.
FRAME_TEMPLATE, FIRST_FRAME_NUMBER = '{:05d}.png', 1


def split_videos(source: str, split: int) -> Tuple[List[Tuple[str, str]], str]:
    """``([(class, video)], where they came from)``: the test videos of the
    split files, or every video with joints when there is no splits folder."""
    files = sorted(glob(osp.join(source, SPLITS_DIR, f'*_test_split{split}.txt')))
    if not files:
        joints = osp.join(source, JOINTS_DIR)
        videos = [(c, v) for c in subfolders(joints) for v in subfolders(osp.join(joints, c))]
        return videos, f'every video with joints (no {osp.join(SPLITS_DIR, "*")} files)'
    videos = []
    suffix = f'_test_split{split}.txt'
    for path in files:
        cls = osp.basename(path)[: -len(suffix)]
        with open(path) as f:
            for number, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2:
                    raise ValueError(f'{path}:{number}: expected "<video>.avi <id>", got {line!r}')
                if parts[1] == TEST_ID:
                    videos.append((cls, osp.splitext(parts[0])[0]))
    return videos, f'the test videos of split {split}'


def _check_video(check: Checklist, source: str, cls: str, video: str) -> None:
    frames = osp.join(source, FRAMES_DIR, cls, video)
    mat = osp.join(source, JOINTS_DIR, cls, video, JOINTS_FILE)
    if check.need_file(mat, f'joints of {cls}/{video}') and check.need_dir(
        frames, f'frames of {cls}/{video}'
    ):
        count = read_joint_positions(mat).shape[1]
        for n in range(FIRST_FRAME_NUMBER, FIRST_FRAME_NUMBER + count):
            path = osp.join(frames, FRAME_TEMPLATE.format(n))
            if not osp.isfile(path):
                check.add(path, f'frame {n} of {cls}/{video}, which has joints in {count} frames')
                break


def prepare_jhmdb(source: str, out: str, split: int = DEFAULT_SPLIT) -> List[str]:
    """Check the JHMDB download in ``source`` and prepare ``out`` (see the
    module's docstring); returns what was done, a line each."""
    check = Checklist(NAME, source)
    check.need_dir(osp.join(source, FRAMES_DIR), 'frames')
    check.need_dir(osp.join(source, JOINTS_DIR), 'joint positions')
    check.check()
    videos, chosen = split_videos(source, split)
    if not videos:
        check.add(osp.join(source, JOINTS_DIR, '<class>', '<video>'), 'any video')
    for cls, video in videos:
        _check_video(check, source, cls, video)
    check.check()
    done = [link_into(source, out, rel) for rel in (FRAMES_DIR, JOINTS_DIR)]
    name = osp.basename(osp.normpath(out))
    write_text(
        osp.join(out, LIST_NAME),
        [
            f'{osp.join(name, JOINTS_DIR, c, v, JOINTS_FILE)} {osp.join(name, FRAMES_DIR, c, v)}'
            for c, v in videos
        ],
    )
    JhmdbDataset(out, [], list_file=LIST_NAME, lazy_init=True).load_data_list()
    done.append(f'{LIST_NAME}: {len(videos)} videos, {chosen}')
    done.append(
        'Evaluate: python tools/test.py configs/eval/res18_d1_eval.py CKPT --task jhmdb '
        f'--data-root {out}'
    )
    return done
