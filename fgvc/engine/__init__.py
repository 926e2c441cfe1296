"""Hooks, loops and optimisation parts registered in the fgvc scope."""

from .checkpoint_hook import AtomicCheckpointHook, AtomicLocalBackend
from .epoch_seed_hook import EpochSeedHook

__all__ = ['AtomicCheckpointHook', 'AtomicLocalBackend', 'EpochSeedHook']
