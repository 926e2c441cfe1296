from .badja import BadjaDataset
from .davis import DavisVOSDataset
from .eval_sampler import EvalSampler
from .flyingthings import FlyingThingsPairs
from .jhmdb import JhmdbDataset
from .mixed import MixedPairs
from .real_video import RealVideoPairs
from .tapvid import TapVidDataset
from .transforms import *  # noqa: F401,F403
from .youtube_vos import YouTubeVOSPairs

__all__ = [
    'TapVidDataset',
    'BadjaDataset',
    'DavisVOSDataset',
    'EvalSampler',
    'JhmdbDataset',
    'FlyingThingsPairs',
    'MixedPairs',
    'RealVideoPairs',
    'YouTubeVOSPairs',
]
