"""Train an FGVC encoder: ``tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``."""

import argparse
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from fgvc.utils import (
    check_override_keys,
    finish_distributed,
    init_distributed,
    register_all_modules,
)


def parse_args() -> argparse.Namespace:
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
        help='resume from CKPT, or without a value from the latest checkpoint in the work dir',
    )
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override config entries, e.g. train_cfg.max_epochs=2',
    )
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--port', type=int, default=29500, help='master port for slurm')
    return parser.parse_args()


def build_config(args: argparse.Namespace) -> Config:
    """The config with the command line's overrides applied."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_override_keys(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = (
        args.work_dir
        or cfg.get('work_dir')
        or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    cfg.launcher = args.launcher
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.launcher != 'none' and not torch.cuda.is_available():
        # DistributedDataParallel on CPU processes takes no device ids.
        cfg.setdefault('model_wrapper_cfg', dict(type='MMDistributedDataParallel', device_ids=None))
    return cfg


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = build_config(args)
    init_distributed(args.launcher, port=args.port)
    runner = Runner.from_cfg(cfg)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
