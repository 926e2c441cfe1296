"""File names of any bytes.

A POSIX file name is bytes; Python hands names that are not valid UTF-8 over
as strings with surrogate escapes (PEP 383), which OpenCV cannot take (its
path arguments crash the process on them). Such paths reach OpenCV through
an alias with a plain name, a symbolic link in a temporary folder
(:class:`OpenCVPath`); messages show them with :func:`shown`.
"""

import os
import os.path as osp
import shutil
import tempfile
import weakref
from typing import Optional

__all__ = ['is_utf8', 'shown', 'OpenCVPath']

# Names of aliases: the temporary folder, the linked input or output folder.
_ALIAS_PREFIX = 'fgvc-alias-'
_LINK = 'target'


def is_utf8(path: str) -> bool:
    """Whether ``path`` is valid UTF-8 (no surrogate escapes), as OpenCV needs."""
    try:
        path.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


def shown(path) -> str:
    """``path`` as text that can be printed: its bytes as the operating system
    gives them, with those that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(path).decode('utf-8', 'backslashreplace')


def _plain_suffix(path: str) -> str:
    suffix = osp.splitext(path)[1]
    return suffix if suffix.isascii() and is_utf8(suffix) else ''


class OpenCVPath:
    """A path to ``path`` that OpenCV can take: ``path`` itself when it is
    valid UTF-8, else a symbolic link with a plain name in a temporary folder
    (removed by :meth:`close`, or when this object is collected).

    For reading, the link points at the file. For writing (``write=True``),
    it points at the file's folder and OpenCV writes a temporary plain name
    there, which :meth:`close` (``keep=True``) renames to ``path``.
    """

    def __init__(self, path: str, write: bool = False):
        self.target = path
        self.write = write
        self._written: Optional[str] = None
        self._folder: Optional[str] = None
        if is_utf8(path):
            self.path = path
            return
        self._folder = tempfile.mkdtemp(prefix=_ALIAS_PREFIX)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._folder, True)
        link = osp.join(self._folder, _LINK)
        if write:
            folder = osp.dirname(osp.abspath(path))
            os.symlink(folder, link)
            name = f'.{_ALIAS_PREFIX}{osp.basename(self._folder)}{_plain_suffix(path)}'
            self.path = osp.join(link, name)
            self._written = osp.join(folder, name)
        else:
            self.path = link + _plain_suffix(path)
            os.symlink(osp.abspath(path), self.path)

    def close(self, keep: bool = True) -> None:
        """Remove the alias; for writing, move what was written to the real
        name (``keep``) or delete it."""
        if self._written is not None and osp.lexists(self._written):
            if keep:
                os.replace(self._written, self.target)
            else:
                os.remove(self._written)
        self._written = None
        if self._folder is not None:
            self._finalizer()
            self._folder = None

    def __enter__(self) -> 'OpenCVPath':
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(keep=exc_type is None)
