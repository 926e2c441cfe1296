"""Evaluate an encoder on one task: ``tools/test.py CONFIG CKPT --task TASK``."""

import argparse
import contextlib
import json
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.dist import get_rank

from fgvc.apis.adaptation_hook import TestTimeAdaptationHook
from fgvc.apis.cli import (
    add_adaptation_args,
    add_cfg_options,
    add_launcher_args,
    add_protocol_arg,
    add_trust_flag,
    check_adaptation_args,
    check_launcher_args,
    one_line_errors,
)
from fgvc.apis.evaluation import (
    describe_protocol,
    format_table,
    prepare_test_config,
    provenance,
    start_records,
)
from fgvc.engine import QuietRunner, StrictRunner
from fgvc.fileio import work_dir_lock
from fgvc.utils import (
    EncoderCheckpoint,
    check_config,
    finish_distributed,
    init_distributed,
    register_all_modules,
)
from fgvc.visualization import PredictionVisualizationHook


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate an FGVC encoder on one task')
    parser.add_argument('config', help='evaluation config file')
    parser.add_argument(
        'checkpoint',
        help="checkpoint file, a last_checkpoint file or a training work dir; 'none' for an "
        'untrained encoder. The encoder width and depth come from the training config '
        'stored in the checkpoint',
    )
    add_trust_flag(parser, 'a checkpoint or TAP-Vid pickle')
    parser.add_argument('--task', required=True, help="a key of the config's `tasks` dict")
    parser.add_argument('--work-dir', help='where results go (default work_dirs/<config>)')
    parser.add_argument('--data-root', help='dataset location for the task (overrides config)')
    add_protocol_arg(parser)
    add_cfg_options(parser)
    parser.add_argument(
        '--show-dir', help='draw predictions over the frames (images and mp4) into DIR/<task>/'
    )
    parser.add_argument(
        '--resume',
        action='store_true',
        help='keep the videos an interrupted run of this task finished in --work-dir (only '
        'records of this checkpoint, protocol and data; anything else is an error)',
    )
    parser.add_argument(
        '--dump', metavar='DIR', help='write the predictions in the formats tools/score.py reads'
    )
    parser.add_argument(
        '--print-protocol', action='store_true', help='print the protocol record and exit'
    )
    add_adaptation_args(parser, "each video's")
    add_launcher_args(parser)
    return parser.parse_args()


def check_args(args) -> None:
    """Every option, before any work; ``ValueError`` naming the first bad one."""
    check_adaptation_args(args)
    check_launcher_args(args)
    if args.print_protocol:
        ignored = [
            option
            for option, value in (
                ('--resume', args.resume),
                ('--dump', args.dump),
                ('--show-dir', args.show_dir),
                ('--adapt', args.adapt),
            )
            if value
        ]
        if ignored:
            raise ValueError(f'--print-protocol evaluates nothing: {ignored[0]} would be ignored')


def load_checkpoint_arg(args) -> Optional[EncoderCheckpoint]:
    """The encoder weights the checkpoint argument names (read once, safely
    unless trusted); None for 'none'."""
    if args.checkpoint.lower() == 'none':
        return None
    return EncoderCheckpoint(args.checkpoint, trust=args.trust_pickle)


def adaptation_hook(cfg: Config, args) -> dict:
    """The hook config of ``--adapt``; exits naming the problem on bad input."""
    if 'adaptation' not in cfg:
        raise KeyError(f'--adapt needs an `adaptation` dict in {args.config}')
    return dict(
        type=TestTimeAdaptationHook.__name__,
        steps=args.adapt,
        cfg=cfg.adaptation,
        seed=args.adapt_seed,
    )


def evaluate(args) -> None:
    check_args(args)
    register_all_modules()
    checkpoint = load_checkpoint_arg(args)
    cfg = Config.fromfile(args.config)
    work_dir = args.work_dir or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    options = {**(checkpoint.options if checkpoint else {}), **args.cfg_options}
    cfg = prepare_test_config(
        cfg,
        args.task,
        work_dir=work_dir,
        data_root=args.data_root,
        options=options,
        dump_dir=args.dump,
        protocol=args.protocol,
        trust_pickle=args.trust_pickle,
    )
    check_config(cfg)
    if args.print_protocol:
        print(json.dumps(describe_protocol(cfg), indent=2, default=str))
        return
    cfg.launcher = args.launcher
    if args.show_dir:
        cfg.custom_hooks = [
            *cfg.get('custom_hooks', []),
            dict(
                type=PredictionVisualizationHook.__name__,
                out_dir=osp.join(args.show_dir, args.task),
            ),
        ]
    if args.adapt:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), adaptation_hook(cfg, args)]
    init_distributed(args.launcher, port=args.port)
    # one run at a time writes into a work dir: rank 0 holds its lock to the end
    with work_dir_lock(work_dir) if get_rank() == 0 else contextlib.nullcontext():
        cfg.test_evaluator['provenance'] = provenance(checkpoint and checkpoint.path, args.config)
        start_records(cfg, args.resume)
        runner = (StrictRunner if args.verbose else QuietRunner).from_cfg(cfg)
        if checkpoint is not None:
            # strict: a key that maps nowhere (CheckpointMismatchError) is a one-line error
            checkpoint.load_into(runner.model)
        else:
            runner.logger.warning(
                'No checkpoint: evaluating an untrained (randomly initialised) encoder'
            )
        metrics = runner.test()
    if get_rank() == 0:
        print(format_table(args.task, metrics))
        print(f'Results written to {osp.join(work_dir, args.task + "_summary.json")}')
    finish_distributed()


def main():
    args = parse_args()
    with one_line_errors(traceback=args.verbose):
        evaluate(args)


if __name__ == '__main__':
    main()
