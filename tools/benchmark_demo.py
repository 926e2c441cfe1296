"""Peak memory of tools/demo.py on a long generated video.

Generates a video (default 2,000 frames of 640x360: a textured rectangle
moving over a static textured background, rendered and written a chunk at a
time), runs the demo on it in a subprocess and reports the subprocess's peak
resident memory against the target (4 GB) and its run time (the code is
fgvc/benchmark/demo.py):

    python tools/benchmark_demo.py [--frames 2000] [--short-side 64] [--checkpoint CKPT]
"""

import argparse
import os.path as osp
import sys

from fgvc.benchmark.demo import DemoBenchmarkOptions, run_demo_benchmark
from fgvc.cli.options import add_trust_flag

DEFAULTS = DemoBenchmarkOptions()
#: The demo measured: this folder's demo.py, run by this Python.
DEMO_COMMAND = (sys.executable, osp.join(osp.dirname(__file__), 'demo.py'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument('--frames', type=int, default=DEFAULTS.frames)
    parser.add_argument('--height', type=int, default=DEFAULTS.height)
    parser.add_argument('--width', type=int, default=DEFAULTS.width)
    parser.add_argument('--queries', default=DEFAULTS.queries)
    parser.add_argument(
        '--short-side',
        type=int,
        default=DEFAULTS.short_side,
        help='encoder input short side passed to the demo',
    )
    parser.add_argument('--config', help="demo --config (default: the demo's)")
    parser.add_argument(
        '--checkpoint', help="demo --checkpoint (default: the demo's, the shipped model)"
    )
    add_trust_flag(parser, 'a checkpoint (passed to the demo)')
    parser.add_argument('--work-dir', default=DEFAULTS.work_dir)
    parser.add_argument('--seed', type=int, default=DEFAULTS.seed)
    return parser.parse_args()


def main() -> None:
    options = vars(parse_args())
    del options['trust_checkpoint']  # the trust flag's earlier name
    sys.exit(run_demo_benchmark(DemoBenchmarkOptions(**options), DEMO_COMMAND))


if __name__ == '__main__':
    main()
