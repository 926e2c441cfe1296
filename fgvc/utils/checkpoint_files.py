"""Finding checkpoints: ``last_checkpoint`` files, work dirs and their newest
complete checkpoint.

A training work dir holds ``last_checkpoint``, a one-line file naming the
latest checkpoint relative to the work dir (absolute paths, as older runs
wrote them, are read too). Checkpoints are written to a temporary name and
then renamed (:class:`fgvc.engine.AtomicCheckpointHook`), so every
``*.pth`` in a work dir is complete; a zip check also rejects files cut short
by other writers.
"""

import glob
import os
import os.path as osp
import re
import warnings
import zipfile
from typing import Optional

from fgvc.fileio import atomic_write

#: The file mmengine's Runner leaves in a work dir, naming the latest checkpoint.
LAST_CHECKPOINT = 'last_checkpoint'
#: The first bytes of a zip archive, torch's checkpoint format.
ZIP_MAGIC = b'PK'
# Checkpoints the Runner writes: epoch_<n>.pth or iter_<n>.pth.
_CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def write_last_checkpoint(work_dir: str, checkpoint: str) -> None:
    """Point ``work_dir/last_checkpoint`` at ``checkpoint`` (atomically, with a
    path relative to ``work_dir`` so that the folder can be moved)."""
    relative = osp.relpath(osp.abspath(checkpoint), osp.abspath(work_dir))
    atomic_write(osp.join(work_dir, LAST_CHECKPOINT), relative.encode())


def read_last_checkpoint(path: str) -> str:
    """The checkpoint path a ``last_checkpoint`` file names (relative to its folder)."""
    with open(path, 'rb') as f:
        target = os.fsdecode(f.read().strip())
    if not target:
        raise ValueError(f'{path} is empty: it names no checkpoint')
    return osp.normpath(osp.join(osp.dirname(osp.abspath(path)), target))


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole torch checkpoint (a zip archive with its
    central directory, which is written last)."""
    return osp.isfile(path) and zipfile.is_zipfile(path)


def check_not_truncated(path: str) -> None:
    """Raise a ``ValueError`` naming ``path`` when it is empty or a zip
    archive (torch's format) cut short, before anything is built to load it."""
    with open(path, 'rb') as f:
        magic = f.read(len(ZIP_MAGIC))
    if not magic:
        raise ValueError(f'Cannot read checkpoint {path}: the file is empty')
    if magic == ZIP_MAGIC and not zipfile.is_zipfile(path):
        raise ValueError(f'Cannot read checkpoint {path}: truncated (an incomplete zip archive)')


def latest_checkpoint(folder: str) -> Optional[str]:
    """The complete ``epoch_<n>.pth`` / ``iter_<n>.pth`` in ``folder`` with the
    largest n (the most recent file when both kinds exist), or None."""
    found = []
    for path in glob.glob(osp.join(glob.escape(folder), '*.pth')):
        match = _CHECKPOINT_NAME.match(osp.basename(path))
        if match and is_complete_checkpoint(path):
            found.append((osp.getmtime(path), int(match.group(2)), path))
    return max(found)[2] if found else None


def resolve_checkpoint(path: str) -> str:
    """The checkpoint file ``path`` names: the file itself, or the checkpoint
    a ``last_checkpoint`` file (or a training work dir holding one) points to.

    When ``last_checkpoint`` names a file that is gone or incomplete (cut
    short), the newest complete checkpoint in its folder is used instead, with
    a warning saying so. A named file that is empty or cut short is an error
    (:func:`check_not_truncated`).
    """
    path = osp.expanduser(str(path))
    if osp.isdir(path):
        folder = path
        path = osp.join(path, LAST_CHECKPOINT)
        if not osp.isfile(path):
            found = latest_checkpoint(folder)
            if found is None:
                raise FileNotFoundError(f'No {LAST_CHECKPOINT} file and no checkpoint in {folder}')
            warnings.warn(
                f'No {LAST_CHECKPOINT} in {folder}: using its newest checkpoint {found}',
                stacklevel=2,
            )
            return found
    if osp.basename(path) == LAST_CHECKPOINT and osp.isfile(path):
        target = read_last_checkpoint(path)
        if is_complete_checkpoint(target):
            return target
        problem = 'is incomplete (cut short)' if osp.isfile(target) else 'does not exist'
        found = latest_checkpoint(osp.dirname(osp.abspath(path)))
        if found is None:
            raise FileNotFoundError(
                f'{path} points to {target}, which {problem}, and there is no other '
                'complete checkpoint beside it'
            )
        warnings.warn(
            f'{path} points to {target}, which {problem}: using the newest complete '
            f'checkpoint in the folder, {found}',
            stacklevel=2,
        )
        return found
    if not osp.isfile(path):
        raise FileNotFoundError(f'Checkpoint not found: {path}')
    check_not_truncated(path)
    return path


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint an automatic ``--resume`` continues from: the one
    ``work_dir/last_checkpoint`` names (or the fallback of
    :func:`resolve_checkpoint`); None when the work dir holds no checkpoint."""
    if not osp.isfile(osp.join(work_dir, LAST_CHECKPOINT)) and latest_checkpoint(work_dir) is None:
        return None
    return resolve_checkpoint(work_dir)
