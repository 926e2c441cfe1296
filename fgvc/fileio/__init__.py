"""File reading and writing shared by datasets, metrics, visualization and tools.

Depends on no other part of the package.
"""

from .arrays import read_npz
from .atomic import (
    FILE_MODE,
    FOLDER_MODE,
    atomic_write,
    atomic_write_json,
    atomic_write_npz,
    current_umask,
    remove_partial_writes,
)
from .fingerprint import file_sha256, path_sha256
from .images import (
    VOID,
    davis_palette,
    encode_jpeg,
    list_images,
    read_index_png,
    read_rgb,
    read_video,
    write_grey_png,
    write_palette_png,
    write_rgb,
)
from .lock import WORK_DIR_LOCK, exclusive_lock, work_dir_lock
from .names import OpenCVPath, is_utf8, shown
from .pickles import TRUST_FLAG, UnsafePickleError, load_pickle, refused_global

__all__ = [
    'FILE_MODE',
    'FOLDER_MODE',
    'VOID',
    'atomic_write',
    'atomic_write_json',
    'atomic_write_npz',
    'current_umask',
    'remove_partial_writes',
    'davis_palette',
    'encode_jpeg',
    'list_images',
    'read_index_png',
    'read_npz',
    'read_rgb',
    'read_video',
    'write_grey_png',
    'write_palette_png',
    'write_rgb',
    'file_sha256',
    'path_sha256',
    'WORK_DIR_LOCK',
    'exclusive_lock',
    'work_dir_lock',
    'OpenCVPath',
    'is_utf8',
    'shown',
    'TRUST_FLAG',
    'UnsafePickleError',
    'load_pickle',
    'refused_global',
]
