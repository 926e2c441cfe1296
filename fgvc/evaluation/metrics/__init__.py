from .tapvid_metric import TapVidMetric, write_json_atomic

__all__ = ['TapVidMetric', 'write_json_atomic']
