"""Run by torchrun from test_train_runner.py: train like tools/train.py with
``--launcher pytorch``, then check that every rank holds the same parameters.

Usage: torchrun --nproc_per_node N dist_train_check.py CONFIG WORK_DIR RESULT_JSON
"""

import json
import sys
from argparse import Namespace
from pathlib import Path

import torch
import torch.distributed as dist
from mmengine.runner import Runner

from fgvc.cli.train import build_config
from fgvc.utils import finish_distributed, init_distributed, register_all_modules


def main() -> None:
    config, work_dir, result = sys.argv[1:4]
    register_all_modules()
    args = Namespace(
        config=config,
        work_dir=work_dir,
        resume=None,
        amp=False,
        cfg_options={},
        launcher='pytorch',
        port=0,
    )
    cfg = build_config(args)
    init_distributed('pytorch')
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model.module
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    if dist.get_rank() == 0:
        diffs = [float((g - gathered[0]).abs().max()) for g in gathered]
        Path(result).write_text(
            json.dumps(
                dict(
                    world_size=dist.get_world_size(),
                    max_abs_diff=diffs,
                    wrapper=type(runner.model).__name__,
                    iters=runner.iter,
                    checkpoint_diff=float(
                        max(
                            (v.float() - model.state_dict()[k].float()).abs().max()
                            for k, v in torch.load(
                                Path(work_dir) / f'epoch_{runner.epoch}.pth', weights_only=False
                            )['state_dict'].items()
                        )
                    ),
                )
            )
        )
    finish_distributed()


if __name__ == '__main__':
    main()
