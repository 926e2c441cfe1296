"""Checkpoints that are never lost: each new one is complete on disk and named
by ``last_checkpoint`` before an old one is removed."""

from pathlib import Path
from typing import Union

from mmengine.dist import is_main_process
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook

from fgvc.fileio import atomic_write, remove_partial_writes
from fgvc.registry import HOOKS
from fgvc.utils import LAST_CHECKPOINT, write_last_checkpoint

ATOMIC_BACKEND = 'atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """Local files written to a temporary file in the same folder, then moved
    over the destination (:func:`fgvc.fileio.atomic_write`), with the
    permissions of ordinary files."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(str(filepath), obj)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's :class:`CheckpointHook` (intervals, ``max_keep_ckpts``, best
    checkpoints), reordered so that a crash at any moment leaves a usable
    checkpoint: the new checkpoint is written atomically
    (:class:`AtomicLocalBackend`), then ``last_checkpoint`` is pointed at it
    (atomically, relative to the work dir), and only then are checkpoints
    beyond ``max_keep_ckpts`` removed. mmengine removes first, so a kill while
    saving with ``max_keep_ckpts=1`` can leave none. Temporary files of a run
    killed while writing are removed when training starts. Takes the same arguments
    except ``backend_args``."""

    def __init__(self, *args, **kwargs) -> None:
        if 'backend_args' in kwargs or 'file_client_args' in kwargs:
            raise ValueError('AtomicCheckpointHook chooses its own storage backend')
        super().__init__(*args, backend_args=dict(backend=ATOMIC_BACKEND), **kwargs)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process():
            # what a run killed while writing left behind
            remove_partial_writes(self.out_dir, ('.pth',))
            remove_partial_writes(runner.work_dir, (LAST_CHECKPOINT,))

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        retired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:
                retired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args,
        )
        if not is_main_process():
            return
        write_last_checkpoint(runner.work_dir, self.last_ckpt)
        for old_step in retired:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
