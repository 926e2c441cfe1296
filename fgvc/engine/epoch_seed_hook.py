"""Seeding per epoch, so that a run resumed at an epoch boundary repeats an
uninterrupted run exactly."""

from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.runner import set_random_seed

from fgvc.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed python, numpy and torch before every training epoch.

    The seed is ``runner.seed + epoch * world_size + rank``: it depends only
    on the run's seed and position, not on how many random numbers earlier
    epochs (or validation) drew, so resuming from an epoch checkpoint draws
    the same augmentations, unlabelled pairs and channel drops as the
    uninterrupted run; every rank draws differently.
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        set_random_seed(runner.seed + runner.epoch * get_world_size() + get_rank())
