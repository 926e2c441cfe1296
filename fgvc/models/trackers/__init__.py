from .point_tracker import PointTracker

__all__ = ['PointTracker']
