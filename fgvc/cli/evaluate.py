"""One task of an evaluation config, through mmengine's Runner and test loop:
``tools/test.py CONFIG CKPT --task TASK`` (the ``fgvc-test`` command once
installed), and ``tools/eval_real.py`` for each of its rows.

The task's registered dataset, model and metric; the protocol record and
provenance in its summary; per-video records (``--resume``); predictions in
the files ``tools/score.py`` reads (``--dump``); per-video test-time
adaptation (``--adapt``) and drawings (``--show-dir``) as hooks. One run at a
time writes into a work dir (a lock), and the input's errors end the tool
with one line.
"""

import argparse
import contextlib
import json
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.dist import get_rank

from fgvc.apis.weights import CHECKPOINT_HELP, Weights, encoder_type_of, resolve_weights
from fgvc.engine import QuietRunner, StrictRunner
from fgvc.engine.adaptation import check_adaptation_options
from fgvc.engine.adaptation_hook import TestTimeAdaptationHook
from fgvc.evaluation.tasks import (
    describe_protocol,
    format_table,
    prepare_test_config,
    provenance,
    start_records,
)
from fgvc.fileio import work_dir_lock
from fgvc.utils import check_config, finish_distributed, init_distributed, register_all_modules
from fgvc.visualization import PredictionVisualizationHook

from .options import (
    DEFAULT_ADAPT_SEED,
    DEFAULT_PORT,
    add_adaptation_args,
    add_cfg_options,
    add_launcher_args,
    add_protocol_arg,
    add_trust_flag,
    check_adaptation_args,
    check_launcher_args,
    one_line_errors,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate an FGVC encoder on one task')
    parser.add_argument('config', help='evaluation config file')
    parser.add_argument(
        'checkpoint',
        help=f'{CHECKPOINT_HELP}. The encoder width and depth come from the training config '
        'stored in the checkpoint (or the zoo manifest)',
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
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
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


def adaptation_hook(cfg: Config, steps: int, seed: int) -> dict:
    """The hook config of ``--adapt STEPS``; an error names the bad option."""
    check_adaptation_options(steps, cfg.get('adaptation'), '--adapt')
    return dict(type=TestTimeAdaptationHook.__name__, steps=steps, cfg=cfg.adaptation, seed=seed)


def add_hooks(cfg: Config, task: str, show_dir: Optional[str], adapt: int, seed: int) -> None:
    """The drawing hook of ``--show-dir`` and the adaptation hook of ``--adapt``."""
    hooks = list(cfg.get('custom_hooks', []))
    if show_dir:
        hooks.append(
            dict(type=PredictionVisualizationHook.__name__, out_dir=osp.join(show_dir, task))
        )
    if adapt:
        hooks.append(adaptation_hook(cfg, adapt, seed))
    cfg.custom_hooks = hooks


def run_test(cfg: Config, weights: Weights, resume: bool, verbose: bool) -> Dict[str, float]:
    """Start the records and run the test loop with ``weights`` loaded strictly."""
    start_records(cfg, resume)
    runner = (StrictRunner if verbose else QuietRunner).from_cfg(cfg)
    if weights.checkpoint is not None:
        # strict: a key that maps nowhere (CheckpointMismatchError) is a one-line error
        weights.checkpoint.load_into(runner.model)
    elif any(True for _ in runner.model.parameters()):  # reference trackers learn nothing
        reason = f' ({weights.fallback})' if weights.fallback else ''
        runner.logger.warning(
            f'No checkpoint: evaluating an untrained (randomly initialised) encoder{reason}'
        )
    return runner.test()


def evaluate_task(
    config: str,
    checkpoint: str,
    task: str,
    work_dir: Optional[str] = None,
    trust_pickle: bool = False,
    data_root: Optional[str] = None,
    protocol: Optional[str] = None,
    cfg_options: Optional[dict] = None,
    show_dir: Optional[str] = None,
    resume: bool = False,
    dump: Optional[str] = None,
    print_protocol: bool = False,
    adapt: int = 0,
    adapt_seed: int = DEFAULT_ADAPT_SEED,
    launcher: str = 'none',
    port: int = DEFAULT_PORT,
    verbose: bool = False,
    experiment_name: Optional[str] = None,
) -> Optional[Dict[str, float]]:
    """Evaluate the encoder whose weights ``checkpoint`` names (the rule of
    :mod:`fgvc.apis.weights`; 'none': untrained) on ``task`` of ``config``
    under its ``protocol``; results go to ``work_dir`` (default
    ``work_dirs/<config>``) and the summary table is printed. Returns the
    summary metrics (None with ``print_protocol``, which prints the protocol
    record instead). The other arguments are ``tools/test.py``'s options of
    the same names; ``experiment_name`` names the Runner's logger (one per
    run in a process). The input's errors are raised (``ValueError``,
    ``KeyError``, ``OSError``, naming what is wrong).
    """
    register_all_modules()
    cfg = Config.fromfile(config)
    weights = resolve_weights(checkpoint, trust_pickle, encoder_type_of(cfg, cfg_options))
    work_dir = work_dir or osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    cfg = prepare_test_config(
        cfg,
        task,
        work_dir=work_dir,
        data_root=data_root,
        options={**weights.options, **(cfg_options or {})},
        dump_dir=dump,
        protocol=protocol,
        trust_pickle=trust_pickle,
    )
    check_config(cfg)
    if print_protocol:
        print(json.dumps(describe_protocol(cfg), indent=2, default=str))
        return None
    cfg.launcher = launcher
    if experiment_name is not None:
        cfg.experiment_name = experiment_name
    add_hooks(cfg, task, show_dir, adapt, adapt_seed)
    init_distributed(launcher, port=port)
    # one run at a time writes into a work dir: rank 0 holds its lock to the end
    with work_dir_lock(work_dir) if get_rank() == 0 else contextlib.nullcontext():
        cfg.test_evaluator['provenance'] = provenance(weights.path, config)
        metrics = run_test(cfg, weights, resume, verbose)
    if get_rank() == 0:
        print(format_table(task, metrics))
        print(f'Results written to {osp.join(work_dir, task + "_summary.json")}')
    finish_distributed()
    return metrics


def main(argv=None) -> None:
    args = parse_args(argv)
    with one_line_errors(traceback=args.verbose):
        check_args(args)
        evaluate_task(
            args.config,
            args.checkpoint,
            args.task,
            work_dir=args.work_dir,
            trust_pickle=args.trust_pickle,
            data_root=args.data_root,
            protocol=args.protocol,
            cfg_options=args.cfg_options,
            show_dir=args.show_dir,
            resume=args.resume,
            dump=args.dump,
            print_protocol=args.print_protocol,
            adapt=args.adapt,
            adapt_seed=args.adapt_seed,
            launcher=args.launcher,
            port=args.port,
            verbose=args.verbose,
        )
