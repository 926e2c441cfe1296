"""Preparing downloaded datasets for the loaders: check the layout the user
downloaded (naming every missing path, with the dataset's official source and
licence), build the index files the loaders need, and downscale DAVIS or
YouTube-VOS frames. Nothing is downloaded."""

from typing import Callable, Dict, List

from .badja import prepare_badja
from .common import LayoutError
from .davis import prepare_davis
from .flyingthings import prepare_flyingthings
from .jhmdb import prepare_jhmdb
from .sources import SOURCES, DatasetSource, source_note
from .tapvid import prepare_tapvid, split_tapvid_pickles
from .youtube_vos import prepare_youtube_vos

#: ``prepare(source, out, **options) -> lines saying what was done`` per dataset.
PREPARERS: Dict[str, Callable[..., List[str]]] = {
    'davis': prepare_davis,
    'tapvid': prepare_tapvid,
    'jhmdb': prepare_jhmdb,
    'badja': prepare_badja,
    'youtube-vos': prepare_youtube_vos,
    'flyingthings': prepare_flyingthings,
}

__all__ = [
    'LayoutError',
    'PREPARERS',
    'SOURCES',
    'DatasetSource',
    'source_note',
    'split_tapvid_pickles',
    'prepare_badja',
    'prepare_davis',
    'prepare_flyingthings',
    'prepare_jhmdb',
    'prepare_tapvid',
    'prepare_youtube_vos',
]
