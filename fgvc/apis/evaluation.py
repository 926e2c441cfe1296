"""Turning an evaluation config plus a task name into a runnable config."""

import copy
from typing import Dict, Optional

from mmengine.config import Config

from fgvc.utils import check_override_keys, load_encoder_weights

__all__ = ['prepare_test_config', 'format_table', 'load_encoder_weights']


def prepare_test_config(
    cfg: Config,
    task: str,
    work_dir: str,
    data_root: Optional[str] = None,
    options: Optional[Dict] = None,
) -> Config:
    """Select ``cfg.tasks[task]``: its model settings, dataset and evaluator.

    ``data_root`` replaces the dataset's location; ``options`` (dotted keys,
    as from ``--cfg-options``) are applied last and must name existing keys.
    """
    tasks = cfg.get('tasks', {})
    if task not in tasks:
        raise KeyError(f"Unknown task '{task}': config defines {sorted(tasks)}")
    spec = copy.deepcopy(tasks[task])
    cfg.merge_from_dict(dict(model=spec['model']))
    dataset = spec['dataset']
    if data_root is not None:
        dataset['data_root'] = data_root
    cfg.test_dataloader.dataset = dataset
    cfg.test_evaluator = dict(spec['evaluator'], out_dir=work_dir, task=task)
    cfg.work_dir = work_dir
    if options:
        check_override_keys(cfg, options, allow_new=('model.propagation',))
        cfg.merge_from_dict(options)
    return cfg


def format_table(title: str, metrics: Dict[str, float]) -> str:
    """Two-column text table of metric values."""
    width = max(len(k) for k in metrics)
    rule = '-' * (width + 12)
    rows = [f'{k:<{width}}  {v:>9.4f}' for k, v in metrics.items()]
    return '\n'.join([rule, f'{title}', rule, *rows, rule])
