"""Generate the synthetic datasets of a preset.

Example:
    python tools/data/synthetic/generate.py --out data/synthetic --preset quickstart
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..')))

from fgvc.datasets.synthetic import PRESETS, WRITERS, generate_datasets, get_preset  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/synthetic', help='output folder')
    parser.add_argument('--preset', default='quickstart', choices=sorted(PRESETS))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--formats',
        nargs='+',
        choices=list(WRITERS),
        default=None,
        help='formats to write (default: all)',
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    timings = generate_datasets(args.out, get_preset(args.preset), args.seed, args.formats)
    for name, seconds in timings.items():
        print(f'{name:>16s}: {seconds:6.2f} s')
    print(f'preset {args.preset!r} written to {args.out} in {time.perf_counter() - start:.2f} s')


if __name__ == '__main__':
    main()
