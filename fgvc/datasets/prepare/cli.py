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
#: The options of one dataset each (given for another, they are refused):
#: option -> (its dataset, the preparer's keyword, its default).
DATASET_OPTIONS = {
    '--resolution': ('davis', 'resolution', SOURCE_RESOLUTION),
    '--jhmdb-split': ('jhmdb', 'split', JHMDB_SPLIT),
    '--davis-root': ('badja', 'davis_root', DAVIS_DIR),
    '--split': ('flyingthings', 'split', DEFAULT_SPLIT),
}


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
        '--resolution', help=f'davis: the resolution folder to read (default {SOURCE_RESOLUTION})'
    )
    parser.add_argument(
        '--jhmdb-split', type=int, help=f'jhmdb: list the test videos of it (default {JHMDB_SPLIT})'
    )
    parser.add_argument(
        '--davis-root',
        help=f'badja: the DAVIS folder, relative to SOURCE_DIR (default {DAVIS_DIR})',
    )
    parser.add_argument('--split', help=f'flyingthings: TRAIN or TEST (default {DEFAULT_SPLIT})')
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
    own = {}
    for option, (dataset, keyword, default) in DATASET_OPTIONS.items():
        value = getattr(args, option[2:].replace('-', '_'))
        if value is not None and dataset != args.dataset:
            raise ValueError(f'{option} is used only with {dataset}')
        if dataset == args.dataset:
            own[keyword] = default if value is None else value
    return {
        'davis': dict(short_side=args.short_side, progress=True),
        'tapvid': dict(progress=True, trust=args.trust_pickle),
        'youtube-vos': dict(short_side=args.short_side, progress=True),
    }.get(args.dataset, {}) | own


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
