"""Progress bars with an ETA for training iterations and evaluated videos."""

import sys
from typing import Optional

from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from tqdm import tqdm

from fgvc.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """On rank 0, on stderr: a bar over the training iterations (all epochs,
    from where a resumed run left off), and one over the videos of rank 0's
    share of each validation or test set.

    Args:
        desc: label of the evaluation bars.
        min_interval_s: shortest time between redraws.
    """

    priority = 'VERY_LOW'

    def __init__(self, desc: str = 'evaluating', min_interval_s: float = 1.0):
        self.desc = desc
        self.min_interval_s = min_interval_s
        self.train_bar: Optional[tqdm] = None
        self.eval_bar: Optional[tqdm] = None

    def _bar(self, total: int, desc: str, unit: str, initial: int = 0) -> Optional[tqdm]:
        if get_rank() != 0:
            return None
        return tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit=unit,
            file=sys.stderr,
            mininterval=self.min_interval_s,
        )

    def _eval_bar(self, dataloader) -> Optional[tqdm]:
        world = get_world_size()
        skipped = getattr(dataloader.dataset, 'num_skipped', 0)
        desc = self.desc + (f', rank 0 of {world}' if world > 1 else '')
        desc += f', {skipped} done before' if skipped else ''
        return self._bar(len(dataloader), desc, 'video')

    @staticmethod
    def _close(bar: Optional[tqdm]) -> None:
        if bar is not None:
            bar.close()

    def before_train(self, runner) -> None:
        self.train_bar = self._bar(runner.max_iters, 'training', 'iter', initial=runner.iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.train_bar is not None:
            self.train_bar.update(1)

    def after_train(self, runner) -> None:
        self._close(self.train_bar)
        self.train_bar = None

    def before_val_epoch(self, runner) -> None:
        self.eval_bar = self._eval_bar(runner.val_dataloader)

    def before_test_epoch(self, runner) -> None:
        self.eval_bar = self._eval_bar(runner.test_dataloader)

    def _eval_step(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.eval_bar is not None:
            self.eval_bar.update(1)

    def _eval_done(self, runner, metrics=None) -> None:
        self._close(self.eval_bar)
        self.eval_bar = None

    after_val_iter = after_test_iter = _eval_step
    after_val_epoch = after_test_epoch = _eval_done
