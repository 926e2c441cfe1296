from .base import VideoMetric
from .keypoint_metric import BadjaPCKMetric, JhmdbPCKMetric
from .tapvid_metric import TapVidMetric
from .vos_metric import DavisVOSMetric

__all__ = ['VideoMetric', 'TapVidMetric', 'JhmdbPCKMetric', 'BadjaPCKMetric', 'DavisVOSMetric']
