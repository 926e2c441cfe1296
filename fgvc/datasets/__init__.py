from .badja import BadjaDataset
from .davis import DavisVOSDataset
from .jhmdb import JhmdbDataset
from .tapvid import TapVidDataset
from .transforms import *  # noqa: F401,F403
from .flyingthings import FlyingThingsPairs
from .mixed import MixedPairs
from .youtube_vos import YouTubeVOSPairs

__all__ = ['TapVidDataset', 'BadjaDataset', 'DavisVOSDataset', 'JhmdbDataset', 'FlyingThingsPairs', 'MixedPairs', 'YouTubeVOSPairs']
