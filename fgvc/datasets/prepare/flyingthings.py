"""FlyingThings3D as :class:`~fgvc.datasets.FlyingThingsPairs` reads it.

Source: ``frames_cleanpass_webp/<split>/<letter>/<NNNN>/<view>/<FFFF>.webp``
and ``optical_flow/<split>/<letter>/<NNNN>/{into_future,into_past}/<view>/
OpticalFlowInto{Future,Past}_<FFFF>_<L|R>.pfm``. Every frame but a
sequence's last needs its into_future flow, every frame but the first its
into_past flow. No index file is needed: the prepared folder links the two.
"""

import os.path as osp
from glob import glob
from typing import List, Sequence

from fgvc.datasets.flyingthings import (
    FLOW_DIR,
    FRAME_DIR,
    FUTURE,
    PAST,
    VIEW_LETTER,
    FlyingThingsPairs,
    missing_flows,
    sequence_files,
)

from .common import Checklist, link_into

NAME = 'flyingthings'
DEFAULT_SPLIT = 'TRAIN'
DEFAULT_VIEWS = ('left',)


def flow_path(root: str, split: str, rel_seq: str, direction: str, view: str, n: int) -> str:
    """Where the official release keeps one flow file."""
    word = 'Future' if direction == FUTURE else 'Past'
    name = f'OpticalFlowInto{word}_{n:04d}_{VIEW_LETTER[view]}.pfm'
    return osp.join(root, FLOW_DIR, split, rel_seq, direction, view, name)


def prepare_flyingthings(
    source: str, out: str, split: str = DEFAULT_SPLIT, views: Sequence[str] = DEFAULT_VIEWS
) -> List[str]:
    """Check the FlyingThings3D download in ``source`` and prepare ``out``
    (see the module's docstring); returns what was done, a line each."""
    check = Checklist(NAME, source)
    frame_root = osp.join(source, FRAME_DIR, split)
    check.need_dir(frame_root, f'{split} frames (cleanpass, WebP)')
    check.need_dir(osp.join(source, FLOW_DIR, split), f'{split} optical flow')
    check.check()
    count = 0
    for view in views:
        if view not in VIEW_LETTER:
            raise ValueError(f'Unknown view {view!r}; use {sorted(VIEW_LETTER)}')
        for frame_dir in sorted(glob(osp.join(frame_root, '*', '*', view))):
            rel_seq = osp.relpath(osp.dirname(frame_dir), frame_root)
            files = sequence_files(source, split, rel_seq, view)
            for direction, numbers in zip((FUTURE, PAST), missing_flows(**files)):
                for n in numbers:
                    path = flow_path(source, split, rel_seq, direction, view, n)
                    check.add(path, f'{direction} flow of frame {n}')
            count += 1
    if not count:
        check.add(osp.join(frame_root, '<letter>', '<sequence>', views[0]), 'any sequence')
    check.check()
    done = [link_into(source, out, rel) for rel in (FRAME_DIR, FLOW_DIR)]
    pairs = FlyingThingsPairs(out, [], split=split, views=views, lazy_init=True).load_data_list()
    done.append(f'{count} sequence views, {len(pairs)} training pairs (both directions)')
    done.append(f"Train: the config's flow-labelled data_root is {out}")
    return done
