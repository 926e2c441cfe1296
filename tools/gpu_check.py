"""Prove the CUDA path in one run and write everything measured to one JSON file.

Steps: tests, dist_train, dist_test, benchmark, tapvid_davis_full (see
:mod:`fgvc.benchmark.gpu_check`). ``--cpu-dry-run`` runs them on the CPU with
small sizes. Usage::

    bash tools/gpu_check.sh [--cpu-dry-run] [--out work_dirs/gpu_check]
"""

import argparse
import os.path as osp
import sys
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from fgvc.benchmark.gpu_check import STEPS, run_gpu_check  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--cpu-dry-run', action='store_true', help='every step on the CPU with small sizes'
    )
    parser.add_argument('--out', default=osp.join('work_dirs', 'gpu_check'), help='output folder')
    parser.add_argument(
        '--steps', nargs='+', choices=list(STEPS), default=list(STEPS), help='run only these steps'
    )
    parser.add_argument(
        '--peak-gflops',
        type=float,
        help="the device's fp32 peak (default: measured with a large matrix product)",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    return run_gpu_check(**vars(parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
