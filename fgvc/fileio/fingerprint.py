"""Content fingerprints of files and folders (sha256), to tell whether an
output or a record was made from the input at hand."""

import hashlib
import os
import os.path as osp
from typing import Optional, Sequence

__all__ = ['file_sha256', 'path_sha256']

HASH_CHUNK_BYTES = 1 << 20


def _update_with_file(digest, path: str) -> None:
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK_BYTES), b''):
            digest.update(chunk)


def file_sha256(path: str) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    _update_with_file(digest, path)
    return digest.hexdigest()


def path_sha256(path: str, extensions: Optional[Sequence[str]] = None) -> str:
    """sha256 of a file's bytes, or of a folder's files (sorted by name,
    each name and its bytes; with ``extensions``, only files ending so)."""
    if not osp.isdir(path):
        return file_sha256(path)
    digest = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        full = osp.join(path, name)
        if not osp.isfile(full) or (extensions and not name.lower().endswith(tuple(extensions))):
            continue
        digest.update(os.fsencode(name) + b'\0')
        _update_with_file(digest, full)
    return digest.hexdigest()
