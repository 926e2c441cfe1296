from .base import PropagationTracker, VideoTracker
from .lazy_features import LazyFeatures
from .mask_tracker import MaskTracker
from .mixed_tracker import MixedTracker
from .point_tracker import PointTracker
from .reference import DISTracker, ReferenceTracker, StaticTracker

__all__ = [
    'VideoTracker',
    'DISTracker',
    'LazyFeatures',
    'MaskTracker',
    'MixedTracker',
    'PointTracker',
    'PropagationTracker',
    'ReferenceTracker',
    'StaticTracker',
]
