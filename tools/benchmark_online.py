"""Frames per second and memory of the online tracker on a long generated stream.

The stream is a smooth random texture panning across a 640x360 window (made
on the fly, so the stream itself holds no memory); ``--points`` points on a
grid are added at frame 0 and tracked by :class:`fgvc.apis.OnlineTracker`.
It prints frames per second, and the peak resident memory of the process at
each of ``--marks`` (default frames 200 and 2,000) with the growth between
the first and the last: bounded memory means that growth stays small (the
target: under 50 MB). The code is fgvc/benchmark/online.py. Example (2 CPU
cores; a learnt encoder at short side 256 costs about a second a frame)::

    python tools/benchmark_online.py --checkpoint CKPT --short-side 256 --points 100
    python tools/benchmark_online.py --config configs/eval/raw_patch_eval.py   # fast
"""

import argparse
from typing import List, Optional

from fgvc.benchmark.online import run_online_benchmark
from fgvc.cli.options import add_predictor_args, predictor_from_args


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', default=None, help='encoder weights (default: untrained)')
    parser.add_argument('--points', type=int, default=100)
    parser.add_argument('--marks', type=int, nargs='+', default=[200, 2000])
    add_predictor_args(parser, device='cpu')
    parser.add_argument('--threads', type=int, default=2, help='CPU threads (torch)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    run_online_benchmark(
        predictor_from_args(args), args.points, args.marks, args.threads, args.seed
    )


if __name__ == '__main__':
    main()
