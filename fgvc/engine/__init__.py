"""Hooks, loops and optimisation parts registered in the fgvc scope."""

from .adaptation_hook import TestTimeAdaptationHook
from .checkpoint_hook import AtomicCheckpointHook, AtomicLocalBackend
from .epoch_seed_hook import EpochSeedHook
from .progress_hook import ProgressBarHook
from .quiet_runner import QuietRunner
from .strict_runner import StrictRunner

__all__ = [
    'AtomicCheckpointHook',
    'AtomicLocalBackend',
    'EpochSeedHook',
    'ProgressBarHook',
    'QuietRunner',
    'StrictRunner',
    'TestTimeAdaptationHook',
]
