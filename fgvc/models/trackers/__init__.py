from .mixed_tracker import MixedTracker
from .point_tracker import PointTracker

__all__ = ['PointTracker', 'MixedTracker']
