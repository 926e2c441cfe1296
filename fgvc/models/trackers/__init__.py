from .base import PropagationTracker
from .lazy_features import LazyFeatures
from .mask_tracker import MaskTracker
from .mixed_tracker import MixedTracker
from .point_tracker import PointTracker

__all__ = ['LazyFeatures', 'PointTracker', 'MaskTracker', 'PropagationTracker', 'MixedTracker']
