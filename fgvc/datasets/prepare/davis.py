"""DAVIS (2017, or 2016 with BADJA) as :class:`~fgvc.datasets.DavisVOSDataset` reads it.

Source: ``JPEGImages/<res>/<seq>/%05d.jpg``, ``Annotations/<res>/<seq>/%05d.png``
and the lists of ``ImageSets/2017/*.txt`` (sequence names) or
``ImageSets/<res>/*.txt`` (DAVIS-2016 frame and mask pairs). Every listed
sequence must have its frames and a mask per frame. Where no list exists,
``ImageSets/2017/val.txt`` is written listing every sequence with masks.

The prepared folder links the frames and masks (or, with ``short_side``,
holds them downscaled under ``JPEGImages/<short_side>p`` and
``Annotations/<short_side>p`` with DAVIS-2016 lists rewritten into
``ImageSets/<short_side>p``) and the lists.
"""

import os.path as osp
from glob import glob
from typing import Dict, List, Optional, Tuple

from tqdm import tqdm

from fgvc.datasets.davis import (
    FRAME_EXTENSIONS,
    MASK_EXTENSIONS,
    DavisVOSDataset,
    paired_files,
    sequences_2016,
    sequences_2017,
)

from .common import Checklist, files_with, link_into, same_folder, subfolders, write_text
from .resize import resize_frames, resize_masks, resolution_name

NAME = 'davis'
SOURCE_RESOLUTION = '480p'
BUILT_LIST = osp.join('ImageSets', '2017', 'val.txt')


def read_lists(root: str, resolution: str) -> Dict[str, Tuple[str, List[str]]]:
    """``{list path relative to root: (layout '2017' or '2016', sequence names)}``."""
    lists = {}
    for path in sorted(glob(osp.join(root, 'ImageSets', '2017', '*.txt'))):
        lists[osp.relpath(path, root)] = ('2017', sequences_2017(path))
    for path in sorted(glob(osp.join(root, 'ImageSets', resolution, '*.txt'))):
        lists[osp.relpath(path, root)] = ('2016', sequences_2016(path))
    return lists


def _check_sequences(check: Checklist, frames_root: str, masks_root: str, lists: dict) -> None:
    seen = set()
    for rel, (_, names) in lists.items():
        for seq in names:
            if seq in seen:
                continue
            seen.add(seq)
            frames, masks = osp.join(frames_root, seq), osp.join(masks_root, seq)
            found = check.need_dir(frames, f'frames of sequence {seq}, listed in {rel}')
            found &= check.need_dir(masks, f'masks of sequence {seq}, listed in {rel}')
            if found:
                try:
                    paired_files(frames, masks, seq)
                except (FileNotFoundError, ValueError) as err:
                    check.add(masks, str(err))


def _rewritten_2016_line(line: str, resolution: str, new: str) -> str:
    """A DAVIS-2016 list line with its resolution folders renamed."""
    paths = []
    for path in line.split():
        parts = path.split('/')
        paths.append('/'.join(new if p == resolution else p for p in parts))
    return ' '.join(paths)


def _downscale(source: str, out: str, resolution: str, short_side: int, sequences, progress):
    new = resolution_name(short_side)
    for seq in tqdm(sequences, desc=f'DAVIS to {new}', unit='sequence', disable=not progress):
        for kind, extensions, resize in (
            ('JPEGImages', FRAME_EXTENSIONS, resize_frames),
            ('Annotations', MASK_EXTENSIONS, resize_masks),
        ):
            src = osp.join(source, kind, resolution, seq)
            resize(files_with(src, extensions), src, osp.join(out, kind, new, seq), short_side)


def prepare_davis(
    source: str,
    out: str,
    short_side: Optional[int] = None,
    resolution: str = SOURCE_RESOLUTION,
    progress: bool = False,
) -> List[str]:
    """Check the DAVIS download in ``source`` and prepare ``out`` (see the
    module's docstring); returns what was done, a line each."""
    check = Checklist(NAME, source)
    frames_root = osp.join(source, 'JPEGImages', resolution)
    masks_root = osp.join(source, 'Annotations', resolution)
    check.need_dir(frames_root, f'frames at {resolution}')
    check.need_dir(masks_root, f'masks at {resolution}')
    check.check()
    lists = read_lists(source, resolution)
    built = not lists
    if built:
        on_disk = [s for s in subfolders(frames_root) if osp.isdir(osp.join(masks_root, s))]
        if not on_disk:
            check.add(osp.join(masks_root, '<sequence>'), 'masks of any sequence')
        lists = {BUILT_LIST: ('2017', on_disk)}
    _check_sequences(check, frames_root, masks_root, lists)
    check.check()

    done = []
    target = resolution if short_side is None else resolution_name(short_side)
    if short_side is None:
        done += [
            link_into(source, out, osp.join(kind, resolution))
            for kind in ('JPEGImages', 'Annotations')
        ]
    else:
        sequences = sorted({seq for _, names in lists.values() for seq in names})
        _downscale(source, out, resolution, short_side, sequences, progress)
        done.append(
            f'{len(sequences)} sequences downscaled to short side {short_side}: '
            f'JPEGImages/{target}, Annotations/{target}'
        )
    for rel, (layout, names) in lists.items():
        if built:
            write_text(osp.join(out, rel), names)
            done.append(
                f'{rel}: written, listing the {len(names)} sequences with masks '
                '(no list came with the download)'
            )
            continue
        with open(osp.join(source, rel)) as f:
            lines = [line.strip() for line in f if line.strip()]
        if layout == '2016' and target != resolution:
            rel = osp.join('ImageSets', target, osp.basename(rel))
            lines = [_rewritten_2016_line(line, resolution, target) for line in lines]
        if not same_folder(osp.join(source, rel), osp.join(out, rel)):
            write_text(osp.join(out, rel), lines)
        done.append(f'{rel}: {len(names)} sequences, each with frames and masks')
    splits = sorted({osp.splitext(osp.basename(rel))[0] for rel in lists})
    for split in splits:
        DavisVOSDataset(out, [], split=split, resolution=target, lazy_init=True).load_data_list()
    hint = (
        f' --cfg-options test_dataloader.dataset.resolution={target}'
        if target != SOURCE_RESOLUTION
        else ''
    )
    done.append(
        f'Evaluate: python tools/test.py configs/eval/res18_d1_eval.py CKPT --task vos '
        f'--data-root {out}{hint}'
    )
    return done
