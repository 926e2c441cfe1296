from .keypoint_metric import BadjaPCKMetric, JhmdbPCKMetric
from .tapvid_metric import TapVidMetric, write_json_atomic
from .vos_metric import DavisVOSMetric

__all__ = [
    'TapVidMetric',
    'write_json_atomic',
    'JhmdbPCKMetric',
    'BadjaPCKMetric',
    'DavisVOSMetric',
]
