"""Score any tracker's predictions: ``tools/score.py TASK PREDICTIONS --data-root ROOT``.

PREDICTIONS is a folder in the format ``tools/test.py --dump`` writes (see
:mod:`fgvc.evaluation.predictions`): for TAP-Vid (davis, kinetics) one
``<video>.npz`` per video with ``tracks`` [N, T, 2] (x, y), ``occluded``
[N, T] and optionally ``raster_hw`` (else ``--raster``, else 256x256); for
jhmdb and badja one ``<video>.npz`` with ``tracks`` (and ``joint_ids``); for
vos ``<sequence>/%05d.png``. The same dataset, metric and summary file as
``tools/test.py`` (``<work-dir>/<task>_summary.json``) are used.
"""

import argparse
import os.path as osp

from mmengine.config import Config

from fgvc.apis.predictor import DEFAULT_CONFIG
from fgvc.evaluation.scoring import check_scoring_options, score_predictions
from fgvc.evaluation.tasks import format_table, prepare_test_config
from fgvc.fileio import work_dir_lock
from fgvc.utils import register_all_modules

from .options import add_cfg_options, add_protocol_arg, add_trust_flag, one_line_errors


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Score a tracker's predictions on one task")
    parser.add_argument('task', help='davis, kinetics, jhmdb, badja or vos (a config task)')
    parser.add_argument('predictions', help='folder of per-video predictions (or a .pkl)')
    parser.add_argument('--data-root', help='dataset location for the task (overrides config)')
    parser.add_argument('--work-dir', required=True, help='where the summary goes')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='evaluation config (protocol)')
    add_protocol_arg(parser)
    parser.add_argument(
        '--raster',
        nargs=2,
        type=int,
        metavar=('H', 'W'),
        help='TAP-Vid: the raster of tracks whose files do not name it (default 256 256)',
    )
    add_trust_flag(parser, 'a TAP-Vid data or predictions pickle')
    add_cfg_options(parser, 'test_evaluator.averaging=track')
    return parser.parse_args(argv)


def score(args: argparse.Namespace) -> None:
    register_all_modules()
    cfg = prepare_test_config(
        Config.fromfile(args.config),
        args.task,
        work_dir=args.work_dir,
        data_root=args.data_root,
        options=args.cfg_options,
        protocol=args.protocol,
        trust_pickle=args.trust_pickle,
    )
    check_scoring_options(cfg, args.predictions, args.raster, '--raster')
    with work_dir_lock(args.work_dir):
        metrics = score_predictions(cfg, args.predictions, args.trust_pickle, args.raster)
    print(format_table(args.task, metrics))
    print(f'Results written to {osp.join(args.work_dir, args.task + "_summary.json")}')


def main(argv=None) -> None:
    args = parse_args(argv)
    with one_line_errors():
        score(args)


if __name__ == '__main__':
    main()
