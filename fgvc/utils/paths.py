"""Names read from datasets that become parts of output paths."""

import os.path as osp
from typing import Optional

__all__ = ['check_name', 'safe_join', 'flat_name']


def check_name(name, what: str, source: Optional[str] = None) -> str:
    """``name`` as a string if it is one harmless path component.

    A dataset's video, sequence or frame name becomes a file or folder name in
    an output folder; a separator, ``..``, ``.``, an empty or an absolute name
    would write elsewhere. ``what`` and ``source`` (the file it came from)
    name it in the error.
    """
    text = str(name)
    bad = (
        not text
        or text in ('.', '..')
        or '/' in text
        or '\\' in text
        or '\x00' in text
        or osp.isabs(text)
    )
    if bad:
        where = f' in {source}' if source else ''
        raise ValueError(
            f'Unsafe {what} name {text!r}{where}: a name must be one path component '
            '(no separators, not ".." or ".", not absolute)'
        )
    return text


def safe_join(root: str, name, what: str, source: Optional[str] = None) -> str:
    """``root/<name>`` where ``name`` is one or more ``/``-separated components
    (e.g. JHMDB's ``class/video``), each one checked by :func:`check_name`."""
    text = str(name)
    try:
        parts = [check_name(part, what, source) for part in text.split('/')]
    except ValueError:
        check_name(text, what, source)  # names the whole name
        raise
    return osp.join(root, *parts)


def flat_name(name, what: str, source: Optional[str] = None) -> str:
    """One file name from a ``/``-separated name (``class/video`` ->
    ``class_video``), each component checked by :func:`check_name`."""
    text = str(name)
    try:
        return '_'.join(check_name(part, what, source) for part in text.split('/'))
    except ValueError:
        check_name(text, what, source)
        raise
