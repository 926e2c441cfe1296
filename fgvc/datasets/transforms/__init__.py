from .keypoints import SampleKeypointQueries
from .pair import (
    PackMixedInputs,
    PairGaussianBlur,
    PairRandomCrop,
    PairRandomFlip,
    PairRandomResizedCrop,
    PairResize,
    PairResizeShortSide,
)
from .video import PackTrackInputs, ResizeVideo, SampleTapVidQueries

__all__ = [
    'PackTrackInputs',
    'ResizeVideo',
    'SampleTapVidQueries',
    'SampleKeypointQueries',
    'PackMixedInputs',
    'PairGaussianBlur',
    'PairRandomCrop',
    'PairRandomFlip',
    'PairRandomResizedCrop',
    'PairResize',
    'PairResizeShortSide',
]
