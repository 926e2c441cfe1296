"""Train an FGVC encoder through mmengine's Runner: ``tools/train.py CONFIG
[--work-dir DIR] [--resume [CKPT]]`` (the ``fgvc-train`` command once installed).

The config with the command line's overrides, mixed precision (``--amp``), the
checkpoint to resume from (found in the work dir), CPU processes wrapped for
distributed training; one run at a time writes into a work dir (a lock), and
the input's errors end the tool with one line.
"""

import argparse
import contextlib
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config
from mmengine.dist import get_rank

from fgvc.engine import QuietRunner, StrictRunner
from fgvc.fileio import work_dir_lock
from fgvc.utils import (
    apply_overrides,
    check_config,
    find_resume_checkpoint,
    finish_distributed,
    init_distributed,
    register_all_modules,
    register_checkpoint_loader,
    resolve_checkpoint,
)

from .options import (
    add_cfg_options,
    add_launcher_args,
    add_trust_flag,
    check_launcher_args,
    one_line_errors,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train an FGVC encoder')
    parser.add_argument('config', help='training config file')
    parser.add_argument(
        '--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)'
    )
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from CKPT (a checkpoint, a last_checkpoint file or a work dir), or '
        'without a value from the latest checkpoint in the work dir (none there yet: start '
        "as without --resume, from the config's load_from if it has one)",
    )
    add_trust_flag(parser, 'checkpoints (--resume, load_from, pretrained weights)')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision (needs a CUDA device)'
    )
    add_cfg_options(parser, 'train_cfg.max_epochs=2')
    add_launcher_args(parser)
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """The config with the command line's overrides applied."""
    cfg = Config.fromfile(args.config)
    apply_overrides(cfg, args.cfg_options)
    cfg.work_dir = (
        args.work_dir
        or cfg.get('work_dir')
        or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    cfg.launcher = args.launcher
    cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='ProgressBarHook')]
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    stage_start = cfg.get('load_from')
    if args.resume is not None:
        cfg.resume, cfg.load_from = True, None if args.resume == 'auto' else args.resume
    if cfg.get('resume') and not cfg.get('load_from'):
        # mmengine's own lookup reads last_checkpoint as an absolute path
        found = find_resume_checkpoint(cfg.work_dir)
        cfg.resume, cfg.load_from = found is not None, found
        # Nothing to resume yet: the run starts, from the config's load_from
        # (where a later training stage starts) when it has one.
        if found is None and stage_start:
            cfg.load_from = resolve_checkpoint(stage_start)
    elif cfg.get('load_from'):
        cfg.load_from = resolve_checkpoint(cfg.load_from)
    if args.launcher != 'none' and not torch.cuda.is_available():
        # DistributedDataParallel on CPU processes takes no device ids.
        cfg.setdefault('model_wrapper_cfg', dict(type='MMDistributedDataParallel', device_ids=None))
    return cfg


def check_args(args: argparse.Namespace) -> None:
    """The options no config can fix, before any work."""
    check_launcher_args(args)
    if args.amp and not torch.cuda.is_available():
        raise ValueError(
            '--amp (mixed precision) needs a CUDA device, and none is available here; '
            'train without --amp on the CPU'
        )


def train(args: argparse.Namespace) -> None:
    """Train as the parsed command line says; the input's errors are raised
    (``ValueError``, ``KeyError``, ``OSError``, naming what is wrong)."""
    check_args(args)
    register_all_modules()
    register_checkpoint_loader(trust=args.trust_pickle)
    cfg = build_config(args)
    check_config(cfg)
    init_distributed(args.launcher, port=args.port)
    # one run at a time writes into a work dir: rank 0 holds its lock to the end
    with work_dir_lock(cfg.work_dir) if get_rank() == 0 else contextlib.nullcontext():
        # strict loading: CheckpointMismatchError (a ValueError) ends it in one line
        runner = (StrictRunner if args.verbose else QuietRunner).from_cfg(cfg)
        runner.train()
    finish_distributed()


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    with one_line_errors(traceback=args.verbose):
        train(args)
