from . import functional  # noqa: F401
from .metrics import *  # noqa: F401,F403
from .skip_done import SkipDoneVideos  # noqa: F401
