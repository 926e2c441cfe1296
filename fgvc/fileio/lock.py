"""One writer at a time: an exclusive lock on a file, held for a whole run.

The lock is ``fcntl.flock`` on a lock file, so the operating system releases
it when the holder exits, however it exits (a crash or SIGKILL included); a
lock file left behind by a killed run is taken over by the next one.
"""

import contextlib
import fcntl
import os
import os.path as osp
from typing import Iterator

from .atomic import FILE_MODE

__all__ = ['exclusive_lock', 'work_dir_lock', 'WORK_DIR_LOCK']

#: The lock file of a work dir (tools/test.py, tools/score.py, tools/train.py).
WORK_DIR_LOCK = '.fgvc.lock'


@contextlib.contextmanager
def exclusive_lock(path: str, busy_message: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if needed, removed
    on release); raise ``FileExistsError(busy_message)`` at once when another
    process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FileExistsError(busy_message) from None
        # the holder before us may have removed the file after we opened it
        if not osp.exists(path) or os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise FileExistsError(busy_message)
        try:
            yield
        finally:
            os.remove(path)
    finally:
        os.close(fd)


@contextlib.contextmanager
def work_dir_lock(work_dir: str, option: str = '--work-dir') -> Iterator[None]:
    """Make ``work_dir`` (an error naming it if it is a file) and hold its
    lock for the run: a second run writing into it stops at once."""
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise FileExistsError(f'{option} {work_dir} is a file, not a folder')
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, WORK_DIR_LOCK)
    busy = (
        f'Another run is writing into {work_dir} (it holds {path}): wait for it to end '
        f'or choose another {option}'
    )
    with exclusive_lock(path, busy):
        yield
