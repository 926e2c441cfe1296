"""The command line of dataset preparation (``tools/data/prepare.py``)."""

import argparse
import sys
from typing import List, Optional

from fgvc.fileio import TRUST_FLAG

from . import PREPARERS, SOURCES, LayoutError
from .badja import DAVIS_DIR
from .davis import SOURCE_RESOLUTION
from .flyingthings import DEFAULT_SPLIT
from .jhmdb import DEFAULT_SPLIT as JHMDB_SPLIT

#: Datasets whose frames ``--short-side`` downscales.
RESIZABLE = ('davis', 'youtube-vos')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check a downloaded dataset, build the index files the loaders need and '
        'optionally downscale its frames (nothing is downloaded)',
        epilog='Sources and licences:\n'
        + '\n'.join(f'  {name}: {s.source}; licence: {s.licence}' for name, s in SOURCES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('dataset', choices=list(PREPARERS))
    parser.add_argument('source', metavar='SOURCE_DIR', help='the folder you downloaded')
    parser.add_argument(
        '--out', required=True, help='the prepared data root (links to SOURCE_DIR, index files)'
    )
    parser.add_argument(
        '--short-side',
        type=int,
        help=f'{" and ".join(RESIZABLE)}: downscale frames (and masks) to this short side, '
        'e.g. 240 for the 240p layout',
    )
    parser.add_argument(
        '--resolution', default=SOURCE_RESOLUTION, help='davis: the resolution folder to read'
    )
    parser.add_argument(
        '--jhmdb-split', type=int, default=JHMDB_SPLIT, help='jhmdb: list the test videos of it'
    )
    parser.add_argument(
        '--davis-root',
        default=DAVIS_DIR,
        help='badja: the DAVIS folder, relative to SOURCE_DIR',
    )
    parser.add_argument('--split', default=DEFAULT_SPLIT, help='flyingthings: TRAIN or TEST')
    parser.add_argument(
        TRUST_FLAG,
        '--trust-checkpoint',
        dest='trust_pickle',
        action='store_true',
        help='tapvid: unpickle pickles holding other types than arrays and containers '
        '(unpickling can run code, so only for files you trust)',
    )
    return parser.parse_args(argv)


def options(args: argparse.Namespace) -> dict:
    """The preparer's keyword arguments from the command line."""
    if args.short_side is not None:
        if args.dataset not in RESIZABLE:
            raise ValueError(f'--short-side downscales {" and ".join(RESIZABLE)} only')
        if args.short_side < 1:
            raise ValueError(f'--short-side must be >= 1, got {args.short_side}')
    if args.trust_pickle and args.dataset != 'tapvid':
        raise ValueError(f'{TRUST_FLAG} is used only with tapvid (the one dataset of pickles)')
    return {
        'davis': dict(short_side=args.short_side, resolution=args.resolution, progress=True),
        'tapvid': dict(progress=True, trust=args.trust_pickle),
        'jhmdb': dict(split=args.jhmdb_split),
        'badja': dict(davis_root=args.davis_root),
        'youtube-vos': dict(short_side=args.short_side, progress=True),
        'flyingthings': dict(split=args.split),
    }[args.dataset]


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        done = PREPARERS[args.dataset](args.source, args.out, **options(args))
    except LayoutError as err:
        sys.exit(f'error: {err}\n{err.note}')
    except (FileNotFoundError, FileExistsError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    for line in done:
        print(line)
