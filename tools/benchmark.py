"""Inference cost of the propagation matchers, measured side by side in one process.

With no options it runs the matcher comparison only: the three matchers
(local, coarse_to_fine, dense) track 100 points queried in frame 0 of a
generated 192x192 video of 20 frames, on the features of the untrained
full-width ResNet-18 of configs/eval/res18_d1_eval.py, then their per-stage
profile over 8 frames. That takes about 4 minutes (240 s on one thread
beside another one-thread job, 2026-12-03), most of it the dense matcher
(docs/performance.md). The heavy workloads are opt-in;
each option's help gives its time on two idle cores of an AMD EPYC
(docs/performance.md). Example, a TAP-Vid-DAVIS-sized run:

    python tools/benchmark.py --size 256 --frames 20 --predictor-frames 24 --vos-frames 70
"""

import argparse
from typing import List, Optional

from fgvc.benchmark import BenchmarkOptions, run_benchmark
from fgvc.benchmark.options import ORDER, memory_option
from fgvc.cli.options import add_cfg_options, add_trust_flag, one_line_errors

DEFAULTS = BenchmarkOptions()
#: The workloads sized in frames (0 skips one), with their time on two idle cores.
FRAME_OPTIONS = {
    '--profile-frames': 'frames of the per-stage profile of each mode (0 skips it)',
    '--predictor-frames': 'frames of the end-to-end Predictor workload (854x480, short side '
    '256, full-width encoder; 24 frames: about 1.5 minutes)',
    '--spread-frames': 'frames of the many-query-frames workload (96x128, --points spread '
    'evenly over the frames against all queried in frame 0, local matcher; 300 frames with '
    '400 points: about 23 minutes)',
    '--vos-frames': "frames of the VOS workload (432x240, the vos task's 20 memory frames, "
    'full-width encoder; 70 frames: about 4.5 minutes)',
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Each option's default, and the description as it is written."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument(
        '--size', type=int, default=DEFAULTS.size, help='input height and width (256: TAP-Vid)'
    )
    parser.add_argument(
        '--frames',
        type=int,
        default=DEFAULTS.frames,
        help='frames of the comparison (at --size 256, 20 frames took about 3.4 minutes on two '
        'idle cores, 180 s of it dense)',
    )
    parser.add_argument('--points', type=int, default=DEFAULTS.points)
    parser.add_argument(
        '--late-queries',
        action='store_true',
        help='query some points after frame 0 (several query groups); '
        'by default every point is queried in frame 0',
    )
    parser.add_argument(
        '--checkpoint',
        help='encoder weights, as the other tools take them (a checkpoint file, its '
        "last_checkpoint file or a training work dir, 'default', 'zoo:NAME'); the training "
        "config stored with them sets the encoder's width and depth (default: untrained)",
    )
    add_trust_flag(parser)
    parser.add_argument('--modes', nargs='+', default=DEFAULTS.modes, choices=ORDER)
    parser.add_argument(
        '--scaling-sizes',
        type=int,
        nargs='*',
        default=DEFAULTS.scaling_sizes,
        help='input sizes of the memory-growth check, e.g. 128 192 256 (about 2 minutes)',
    )
    parser.add_argument('--scaling-frames', type=int, default=DEFAULTS.scaling_frames)
    parser.add_argument(
        '--correlation-radius',
        type=int,
        default=DEFAULTS.correlation_radius,
        help='radius of the correlation timing, e.g. 24 (about 10 s; negative skips it)',
    )
    parser.add_argument(
        '--peak-gflops',
        type=float,
        help="the device's peak fp32 GFLOP/s: correlation times are then "
        'also given against this roofline',
    )
    add_cfg_options(
        parser,
        help="propagation options, and options of one compared mode's matcher prefixed by "
        'the mode, e.g. topk=5 coarse_to_fine.refine_radius=12 dense.step=4096 (other keys '
        'are refused); not with --predictor-frames or --vos-frames, which run the '
        "config's task settings",
    )
    for flag, help in FRAME_OPTIONS.items():
        default = getattr(DEFAULTS, flag[2:].replace('-', '_'))
        parser.add_argument(flag, type=int, default=default, help=help)
    parser.add_argument(
        '--memory',
        nargs='+',
        metavar='TYPE [KEY=VALUE]',
        help="memory policy of the spread workload's spread queries (its frame-0 queries stay "
        'exact), e.g. KeyframeMemory horizon=15 interval=5; default: exact',
    )
    parser.add_argument(
        '--under-load',
        action='store_true',
        help='run the comparison, the profile and the Predictor, spread and VOS workloads '
        'while a second process keeps one core busy (about twice as long)',
    )
    parser.add_argument('--device', default=DEFAULTS.device, help="'cpu', 'cuda' or 'auto'")
    parser.add_argument('--json', help='also write every measurement to this file')
    parser.add_argument('--seed', type=int, default=DEFAULTS.seed)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    options = vars(parse_args(argv))
    del options['trust_checkpoint']  # the trust flag's earlier name
    with one_line_errors():
        options['memory'] = memory_option(options['memory'])
        run_benchmark(BenchmarkOptions(**options))


if __name__ == '__main__':
    main()
