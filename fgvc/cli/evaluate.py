"""One task of an evaluation config, through mmengine's Runner and test loop:
what ``tools/test.py`` runs, and ``tools/eval_real.py`` for each of its rows.

The task's registered dataset, model and metric; the protocol record and
provenance in its summary; per-video records (``--resume``); predictions in
the files ``tools/score.py`` reads (``--dump``); per-video test-time
adaptation (``--adapt``) and drawings (``--show-dir``) as hooks.
"""

import json
import os.path as osp
import sys
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.dist import get_rank
from mmengine.runner import Runner

from fgvc.engine import QuietRunner
from fgvc.engine.adaptation import check_adaptation_options
from fgvc.engine.adaptation_hook import TestTimeAdaptationHook
from fgvc.evaluation.tasks import (
    describe_protocol,
    format_table,
    prepare_test_config,
    provenance,
    start_records,
)
from fgvc.utils import (
    EncoderCheckpoint,
    UnsafeCheckpointError,
    check_config,
    finish_distributed,
    init_distributed,
    register_all_modules,
)
from fgvc.visualization import PredictionVisualizationHook


def load_checkpoint_arg(checkpoint: str, trust: bool = False) -> Optional[EncoderCheckpoint]:
    """The encoder weights the checkpoint argument names (read once, safely
    unless trusted); None for 'none'. Exits naming the problem."""
    if checkpoint.lower() == 'none':
        return None
    try:
        return EncoderCheckpoint(checkpoint, trust=trust)
    except (UnsafeCheckpointError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')


def adaptation_hook(cfg: Config, steps: int, seed: int) -> dict:
    """The hook config of ``--adapt STEPS``; exits naming the problem on bad input."""
    try:
        check_adaptation_options(steps, cfg.get('adaptation'), '--adapt')
    except (ValueError, KeyError) as err:
        sys.exit(f'error: {err.args[0]}')
    return dict(type=TestTimeAdaptationHook.__name__, steps=steps, cfg=cfg.adaptation, seed=seed)


def evaluate_task(
    config: str,
    checkpoint: str,
    task: str,
    work_dir: Optional[str] = None,
    trust_checkpoint: bool = False,
    data_root: Optional[str] = None,
    cfg_options: Optional[dict] = None,
    show_dir: Optional[str] = None,
    resume: bool = False,
    dump: Optional[str] = None,
    print_protocol: bool = False,
    adapt: int = 0,
    adapt_seed: int = 0,
    launcher: str = 'none',
    port: int = 29500,
    verbose: bool = False,
    experiment_name: Optional[str] = None,
) -> Optional[Dict[str, float]]:
    """Evaluate the encoder of ``checkpoint`` ('none': untrained) on ``task``
    of ``config``; results go to ``work_dir`` (default ``work_dirs/<config>``)
    and the summary table is printed. Returns the summary metrics (None with
    ``print_protocol``, which prints the protocol record instead). The other
    arguments are ``tools/test.py``'s options of the same names;
    ``experiment_name`` names the Runner's logger (one per run in a process).
    """
    register_all_modules()
    weights = load_checkpoint_arg(checkpoint, trust_checkpoint)
    cfg = Config.fromfile(config)
    work_dir = work_dir or osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    options = {**(weights.options if weights else {}), **(cfg_options or {})}
    cfg = prepare_test_config(
        cfg, task, work_dir=work_dir, data_root=data_root, options=options, dump_dir=dump
    )
    check_config(cfg)
    if print_protocol:
        print(json.dumps(describe_protocol(cfg), indent=2, default=str))
        return None
    cfg.launcher = launcher
    if experiment_name is not None:
        cfg.experiment_name = experiment_name
    if show_dir:
        hook = dict(type=PredictionVisualizationHook.__name__, out_dir=osp.join(show_dir, task))
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), hook]
    if adapt:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), adaptation_hook(cfg, adapt, adapt_seed)]
    init_distributed(launcher, port=port)
    cfg.test_evaluator['provenance'] = provenance(weights and weights.path, config)
    start_records(cfg, resume)
    runner = (Runner if verbose else QuietRunner).from_cfg(cfg)
    if weights is not None:
        weights.load_into(runner.model)
    elif any(True for _ in runner.model.parameters()):  # reference trackers learn nothing
        runner.logger.warning(
            'No checkpoint: evaluating an untrained (randomly initialised) encoder'
        )
    metrics = runner.test()
    if get_rank() == 0:
        print(format_table(task, metrics))
        print(f'Results written to {osp.join(work_dir, task + "_summary.json")}')
    finish_distributed()
    return metrics
