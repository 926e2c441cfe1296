"""A per-video progress bar with an ETA for evaluations."""

import sys
from typing import Optional, Sequence

from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from tqdm import tqdm

from fgvc.registry import HOOKS


@HOOKS.register_module()
class VideoProgressHook(Hook):
    """On rank 0, a bar over the videos of its share of the test set, with
    the time per video and the estimated time left (on stderr).

    Args:
        desc: the bar's label.
        min_interval_s: shortest time between redraws.
    """

    priority = 'VERY_LOW'

    def __init__(self, desc: str = 'evaluating', min_interval_s: float = 1.0):
        self.desc = desc
        self.min_interval_s = min_interval_s
        self.bar: Optional[tqdm] = None

    def before_test_epoch(self, runner) -> None:
        if get_rank() != 0:
            return
        dataset = runner.test_dataloader.dataset
        world = get_world_size()
        skipped = getattr(dataset, 'num_skipped', 0)
        label = self.desc + (f', rank 0 of {world}' if world > 1 else '')
        label += f', {skipped} done before' if skipped else ''
        self.bar = tqdm(
            total=len(runner.test_dataloader),
            desc=label,
            unit='video',
            file=sys.stderr,
            mininterval=self.min_interval_s,
        )

    def after_test_iter(
        self, runner, batch_idx: int, data_batch=None, outputs: Optional[Sequence] = None
    ) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
