from .keypoints import SampleKeypointQueries
from .video import PackTrackInputs, ResizeVideo, SampleTapVidQueries
from .pair import (PackMixedInputs, PairGaussianBlur, PairRandomCrop, PairRandomFlip,
                   PairRandomResizedCrop, PairResize)

__all__ = ['PackTrackInputs', 'ResizeVideo', 'SampleTapVidQueries', 'SampleKeypointQueries', 'PackMixedInputs', 'PairGaussianBlur', 'PairRandomCrop', 'PairRandomFlip', 'PairRandomResizedCrop', 'PairResize']
