"""The user-facing API: track points and propagate masks through any video."""

from .online import OnlineTracker
from .predictor import Predictor

__all__ = ['OnlineTracker', 'Predictor']
