"""BADJA as :class:`~fgvc.datasets.BadjaDataset` reads it.

Source: ``joint_annotations/<seq>.json`` and the DAVIS frames and masks they
name (``DAVIS/{JPEGImages,Annotations}/<res>/<seq>/``, res Full-Resolution
or 480p), the DAVIS folder at ``davis_root`` relative to the source. Only
sequences on DAVIS frames are kept (the others, ``extra_videos``, are left
out as in FGVC's evaluation, and said). Every annotated frame and its mask
must be there.

The prepared folder holds the kept annotations in ``joint_annotations`` and
links the DAVIS folder as ``DAVIS``.
"""

import os
import os.path as osp
import shutil
from glob import glob
from typing import List, Optional

from fgvc.datasets.badja import BadjaDataset, read_badja_json

from .common import Checklist, link, same_folder

NAME = 'badja'
ANNOTATIONS = 'joint_annotations'
DAVIS_DIR = 'DAVIS'
#: Joints per BADJA record, and the resolutions tried for the DAVIS files, as the loader has them.
NUM_JOINTS = 37
RESOLUTIONS = ('Full-Resolution', '480p')


def _on_davis(records: List[dict]) -> bool:
    return all(r['image_path'].split('/')[0] == DAVIS_DIR for r in records)


def _davis_folder(davis: str, kind: str, seq: str) -> Optional[str]:
    for res in RESOLUTIONS:
        folder = osp.join(davis, kind, res, seq)
        if osp.isdir(folder):
            return folder
    return None


def _check_sequence(check: Checklist, davis: str, seq: str, records: List[dict]) -> None:
    for kind, key in (('JPEGImages', 'image_path'), ('Annotations', 'segmentation_path')):
        folder = _davis_folder(davis, kind, seq)
        if folder is None:
            tried = ' or '.join(RESOLUTIONS)
            check.add(osp.join(davis, kind, RESOLUTIONS[0], seq), f'DAVIS {kind} ({tried})')
            continue
        for record in records:
            path = osp.join(folder, osp.basename(record[key]))
            check.need_file(path, f'annotated in {ANNOTATIONS}/{seq}.json')


def prepare_badja(source: str, out: str, davis_root: str = DAVIS_DIR) -> List[str]:
    """Check the BADJA download in ``source`` (DAVIS at ``source/davis_root``)
    and prepare ``out`` (see the module's docstring); returns what was done."""
    if same_folder(source, out):
        raise ValueError(
            f'Prepare BADJA into another folder than {source}: --out holds a selection'
        )
    check = Checklist(NAME, source)
    davis = osp.normpath(osp.join(source, davis_root))
    files = sorted(glob(osp.join(source, ANNOTATIONS, '*.json')))
    if not files:
        check.add(osp.join(source, ANNOTATIONS, '<seq>.json'), 'joint annotations')
    check.need_dir(davis, 'DAVIS frames and masks')
    check.check()
    kept, skipped = [], []
    for path in files:
        seq = osp.splitext(osp.basename(path))[0]
        records = read_badja_json(path, NUM_JOINTS)
        if not _on_davis(records):
            skipped.append(seq)
            continue
        _check_sequence(check, davis, seq, records)
        kept.append(path)
    if not kept:
        check.add(osp.join(source, ANNOTATIONS, '<seq>.json'), 'annotations on DAVIS frames')
    check.check()
    os.makedirs(osp.join(out, ANNOTATIONS), exist_ok=True)
    for path in kept:
        shutil.copyfile(path, osp.join(out, ANNOTATIONS, osp.basename(path)))
    done = [f'{ANNOTATIONS}: {len(kept)} sequences on DAVIS frames']
    if skipped:
        done.append(f'left out (not on DAVIS frames): {", ".join(skipped)}')
    done.append(link(davis, osp.join(out, DAVIS_DIR)))
    BadjaDataset(out, [], davis_root=DAVIS_DIR, lazy_init=True).load_data_list()
    done.append(
        'Evaluate: python tools/test.py configs/eval/res18_d1_eval.py CKPT --task badja '
        f'--data-root {out} --cfg-options test_dataloader.dataset.davis_root={DAVIS_DIR}'
    )
    return done
