"""Encoders on real clips, with and without test-time adaptation, beside references.

``tools/eval_real.py --encoder NAME=CKPT ... [--davis DIR] [--badja DIR] [--jhmdb DIR]``

Each row (every encoder; with ``--adapt STEPS`` each encoder adapted to every
clip, never reading its labels; the references ``static`` and ``dis``, the
registered StaticTracker and DISTracker) is evaluated on each benchmark like
``tools/test.py`` evaluates a task (the config's ``vos``, ``badja`` and
``jhmdb`` tasks): results in ``--work-dir``/<row>/ (``<task>_summary.json``,
per-video records), resumable with ``--resume``, predictions written with
``--dump`` for ``tools/score.py``. Prints one table, the adaptation's cost
(seconds per step, peak resident memory) and one JSON line.
"""

import argparse
import os.path as osp

from fgvc.apis.predictor import DEFAULT_CONFIG
from fgvc.cli.eval_real import run
from fgvc.cli.options import add_adaptation_args, add_cfg_options


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--encoder',
        action='append',
        default=[],
        metavar='NAME=CKPT',
        help="an encoder to evaluate (CKPT 'none': untrained); repeatable",
    )
    parser.add_argument('--davis', help='DAVIS-layout root (JPEGImages/<res>/, Annotations/<res>/)')
    parser.add_argument('--split', default='dev', help='DAVIS ImageSets list (default dev)')
    parser.add_argument(
        '--resolution', help='DAVIS resolution folder (default: the only one under JPEGImages)'
    )
    parser.add_argument(
        '--badja', help='BADJA root (DAVIS frames beside it, as in the eval config)'
    )
    parser.add_argument('--jhmdb', help='JHMDB root with its list file')
    add_adaptation_args(parser, "each clip's")
    parser.add_argument(
        '--short-side',
        type=int,
        default=120,
        help="encoder input short side: each task's input size scaled to it, aspect kept",
    )
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    add_cfg_options(parser, 'model.backbone.base_channels=16 (every row)')
    parser.add_argument('--no-references', action='store_true', help='skip static and dis')
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'eval_real'),
        help='results: one folder per row, each as tools/test.py --work-dir',
    )
    parser.add_argument(
        '--resume', action='store_true', help='keep the videos an interrupted run finished'
    )
    parser.add_argument(
        '--dump', metavar='DIR', help="write each row's predictions to DIR/<row>/<task>/"
    )
    parser.add_argument('--out', help='also write the JSON line to this file')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    run(**vars(parse_args(argv)))


if __name__ == '__main__':
    main()
