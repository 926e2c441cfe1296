"""Checkpoints written atomically: a crash never leaves a truncated file."""

import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook

from fgvc.registry import HOOKS

ATOMIC_BACKEND = 'atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """Local files written to a temporary file in the same folder, then
    moved over the destination with ``os.replace``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        folder = osp.dirname(osp.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's :class:`CheckpointHook` (intervals, ``max_keep_ckpts``,
    best checkpoints, ``last_checkpoint``) writing through
    :class:`AtomicLocalBackend`. Takes the same arguments except
    ``backend_args``."""

    def __init__(self, *args, **kwargs) -> None:
        if 'backend_args' in kwargs or 'file_client_args' in kwargs:
            raise ValueError('AtomicCheckpointHook chooses its own storage backend')
        super().__init__(*args, backend_args=dict(backend=ATOMIC_BACKEND), **kwargs)
