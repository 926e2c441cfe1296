"""Files that appear complete or not at all, with ordinary permissions."""

import io
import json
import os
import os.path as osp
import re
import tempfile
from typing import List

import numpy as np

#: Mode of new files and folders before the umask, as ``open`` and ``mkdir`` use.
FILE_MODE = 0o666
FOLDER_MODE = 0o777
# Temporary files of atomic_write: '.<name>.' and mkstemp's 8 random characters.
_TEMPORARY = re.compile(r'^\.(?P<name>.+)\.[a-z0-9_]{8}$')


def current_umask() -> int:
    """The process umask (reading it means setting it, so it is set back at once)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk and
    move it over ``path``: readers and crashes see the old file or the new one,
    never a part. The file gets the permissions of an ordinary new file."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            os.fchmod(f.fileno(), FILE_MODE & ~current_umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_npz(path: str, **arrays: np.ndarray) -> None:
    """``arrays`` as an ``.npz`` file (loadable without pickle), atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


def atomic_write_json(path: str, obj) -> None:
    """``obj`` as an indented json file, atomically."""
    atomic_write(path, json.dumps(obj, indent=2).encode())


def remove_partial_writes(folder: str, suffixes: tuple) -> List[str]:
    """Remove the temporaries that :func:`atomic_write` left in ``folder`` when
    killed, for files ending with one of ``suffixes``; returns their paths."""
    removed = []
    for name in os.listdir(folder) if osp.isdir(folder) else []:
        match = _TEMPORARY.match(name)
        if match and match.group('name').endswith(suffixes):
            os.remove(osp.join(folder, name))
            removed.append(osp.join(folder, name))
    return removed
