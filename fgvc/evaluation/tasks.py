"""Turning an evaluation config plus a task name into a runnable, recorded,
resumable evaluation."""

import copy
import inspect
import os.path as osp
import platform
import subprocess
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.dist import barrier, broadcast_object_list, get_rank, get_world_size

import fgvc
from fgvc.fileio import file_sha256
from fgvc.models.trackers.reference import ReferenceTracker
from fgvc.registry import DATASETS, METRICS, MODELS
from fgvc.utils import apply_overrides

from .records import prepare_records, resumed_records_path, write_run

__all__ = [
    'DEFAULT_PROTOCOL',
    'task_protocols',
    'prepare_test_config',
    'format_table',
    'config_protocol',
    'describe_protocol',
    'start_records',
    'provenance',
    'file_sha256',
    'check_done_videos',
]

#: The protocol of a task that names none: this project's settings as written in the task.
DEFAULT_PROTOCOL = 'standard'
#: Where protocol options may add keys the task does not write (besides built parts).
NEW_KEYS = ('model.propagation',)


def task_protocols(spec: dict) -> Dict[str, Dict[str, object]]:
    """A task's named protocols: ``{name: {dotted config key: value}}``.

    ``spec['protocols']`` maps names to the options (keys as for
    ``--cfg-options``) applied over the task's own settings; the task's
    settings themselves are the protocol ``DEFAULT_PROTOCOL`` (empty options),
    named or not."""
    protocols = {DEFAULT_PROTOCOL: {}}
    protocols.update({name: dict(opts) for name, opts in (spec.get('protocols') or {}).items()})
    return protocols


def prepare_test_config(
    cfg: Config,
    task: str,
    work_dir: str,
    data_root: Optional[str] = None,
    options: Optional[Dict] = None,
    dump_dir: Optional[str] = None,
    protocol: Optional[str] = None,
    trust_pickle: bool = False,
) -> Config:
    """Select ``cfg.tasks[task]``: its model settings, dataset and evaluator,
    under one of its protocols.

    ``protocol`` names one of the task's protocols (:func:`task_protocols`;
    default: the task's ``protocol`` entry, else ``DEFAULT_PROTOCOL``); its
    options are applied over the task's settings. ``data_root`` replaces the
    dataset's location; ``options`` (dotted keys, as from ``--cfg-options``)
    are applied last. Options must name existing keys (or new arguments of a
    part built from a ``type``). ``trust_pickle`` lets a dataset that reads
    pickles unpickle any type (:func:`fgvc.fileio.load_pickle`); it is no part
    of the protocol. The evaluator gets the protocol record of the resulting
    settings (:func:`config_protocol`) and ``dump_dir``; a per-video progress
    bar is added to the hooks.
    """
    tasks = cfg.get('tasks', {})
    if task not in tasks:
        raise KeyError(f"Unknown task '{task}': config defines {sorted(tasks)}")
    spec = copy.deepcopy(tasks[task])
    protocols = task_protocols(spec)
    name = protocol or spec.get('protocol', DEFAULT_PROTOCOL)
    if name not in protocols:
        raise KeyError(
            f"Unknown protocol '{name}' for task '{task}': the config defines {sorted(protocols)}"
        )
    cfg.merge_from_dict(dict(model=spec['model']))
    dataset = spec['dataset']
    if data_root is not None:
        dataset['data_root'] = data_root
    cfg.test_dataloader.dataset = dataset
    cfg.test_evaluator = dict(spec['evaluator'], out_dir=work_dir, task=task)
    cfg.work_dir = work_dir
    for overrides in (protocols[name], options):
        apply_overrides(cfg, overrides, allow_new=NEW_KEYS)
    record = dict(name=name, options=protocols[name], overrides=dict(options or {}))
    cfg.test_evaluator.update(protocol=config_protocol(cfg, record), dump_dir=dump_dir)
    reader = DATASETS.get(cfg.test_dataloader.dataset['type'])
    if trust_pickle and reader and 'trust_pickle' in inspect.signature(reader).parameters:
        cfg.test_dataloader.dataset['trust_pickle'] = True
    hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'ProgressBarHook']
    cfg.custom_hooks = [*hooks, dict(type='ProgressBarHook', desc=task)]
    return cfg


#: The keys of a protocol record that name it (see :func:`prepare_test_config`).
PROTOCOL_NAMING = ('name', 'options', 'overrides')


def _pipeline_step(cfg: Config, name: str) -> Optional[dict]:
    steps = [t for t in cfg.test_dataloader.dataset.get('pipeline', []) if t['type'] == name]
    return steps[0] if steps else None


def _reference_tracker(model: dict) -> Optional[Dict[str, object]]:
    """The record of a tracker without learnt features (its type and own
    options; the encoder and propagation settings do not apply), or None."""
    tracker = MODELS.get(model['type'])
    if getattr(tracker, 'learnt', True):
        return None
    unused = set(inspect.signature(ReferenceTracker.__init__).parameters)
    options = {k: v for k, v in model.items() if k not in unused | {'type'}}
    return dict(tracker=model['type'], encoder=None, tracker_options=options)


def config_protocol(
    cfg: Config, named: Optional[Dict[str, object]] = None, with_model: bool = True
) -> Dict[str, object]:
    """The evaluation settings a prepared config applies: ``named`` (the
    protocol's name, its options and the overrides given), queries and
    resizing, and with ``with_model`` the encoder's input, propagation and
    occlusion (left out when scoring another tracker's predictions)."""
    if named is None:
        named = {k: cfg.test_evaluator.get('protocol', {}).get(k) for k in PROTOCOL_NAMING}
    model = cfg.model
    resize = _pipeline_step(cfg, 'ResizeVideo')
    tapvid_queries = _pipeline_step(cfg, 'SampleTapVidQueries')
    keypoint_queries = _pipeline_step(cfg, 'SampleKeypointQueries')
    if tapvid_queries is not None:
        mode = tapvid_queries.get('query_mode', 'first')
        queries = mode + (
            f' (every {tapvid_queries.get("query_stride", 5)} frames)'
            if mode == 'strided'
            else ' (each track at its first visible frame)'
        )
    elif keypoint_queries is not None:
        queries = (
            'every joint at the first frame (visible or not)'
            if keypoint_queries.get('seed') == 'first_frame'
            else 'first (each joint at its first visible frame)'
        )
    else:
        queries = 'first-frame masks'
    record = dict(
        **named,
        query_mode=queries,
        frames_resized_to=list(resize['size']) if resize else 'kept (scored in their own pixels)',
        dataset={
            k: v
            for k, v in cfg.test_dataloader.dataset.items()
            if k not in ('pipeline', 'type', 'trust_pickle')
        }
        | dict(type=cfg.test_dataloader.dataset['type']),
    )
    reference = _reference_tracker(model) if with_model else None
    if reference is not None:
        record.update(reference)
    elif with_model:
        preprocessor = model.get('data_preprocessor', {})
        input_size = preprocessor.get('input_size')
        record.update(
            encoder=model.backbone.get('type'),
            encoder_input_size=list(input_size) if input_size else 'the frames',
            input_backend=preprocessor.get('backend', 'torch'),
            resize_rule='bilinear (frames, then encoder input); predictions mapped back to '
            'the scored raster',
            occlusion_threshold=model.get('occlusion_threshold'),
            occluded_everywhere=model.get('occluded_everywhere', False),
            propagation=dict(model.get('propagation', {})),
        )
        if tapvid_queries is not None and tapvid_queries.get('query_mode') == 'strided':
            # the memory policy these queries are propagated with
            record.update(strided_memory=model.get('strided_memory'))
    return record


def describe_protocol(cfg: Config) -> Dict[str, object]:
    """The protocol record ``<task>_summary.json`` will carry, without
    evaluating: the data fingerprint is made from the scored ground truth."""
    metric_cfg = dict(cfg.test_evaluator, out_dir=None, dump_dir=None)
    record = dict(METRICS.build(metric_cfg).protocol)
    try:
        record['num_videos'] = len(DATASETS.build(cfg.test_dataloader.dataset))
    except (OSError, ValueError) as err:
        record['num_videos'] = f'unknown ({err})'
    record['data_fingerprint'] = 'sha256 of the scored ground truth, made when evaluating'
    return record


def start_records(cfg: Config, resume: bool) -> int:
    """Prepare the per-video record files of a run (rank 0, while the other
    ranks wait); with ``resume`` the dataset skips the videos already done and
    the metric summarises their records too. Returns how many were done.

    Resuming keeps records only of this run (same protocol and checkpoint,
    :func:`fgvc.evaluation.records.prepare_records`) and of the dataset's
    videos as they are now (each record's ground-truth fingerprint is
    compared with the video's); anything else stops every rank with one error
    saying what differs, before a video is evaluated.
    """
    out_dir, task = cfg.test_evaluator['out_dir'], cfg.test_evaluator['task']
    state = [None, None]  # videos done, error
    if get_rank() == 0:
        try:
            metric = METRICS.build(dict(cfg.test_evaluator, out_dir=None, dump_dir=None))
            done = prepare_records(out_dir, task, resume, metric.run_identity)
            check_done_videos(cfg, metric, done, resumed_records_path(out_dir, task))
            write_run(out_dir, task, metric.run_identity)
            state[0] = len(done)
        except (ValueError, KeyError, OSError) as err:
            state[1] = err
    broadcast_object_list(state)
    barrier()
    if state[1] is not None:
        raise state[1]
    if resume:
        cfg.test_dataloader.dataset = dict(
            type='SkipDoneVideos',
            dataset=cfg.test_dataloader.dataset,
            done_records=resumed_records_path(out_dir, task),
        )
        cfg.test_evaluator['resume'] = True
    return state[0]


def check_done_videos(cfg: Config, metric, done: Dict[str, dict], source: str) -> None:
    """Raise a ``ValueError`` unless every record in ``done`` is of a video the
    dataset holds, with the ground truth it holds now (the video's frames are
    read, not tracked)."""
    if not done:
        return
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    index = {
        str(BaseDataset.get_data_info(dataset, i)['video_name']): i for i in range(len(dataset))
    }
    root = cfg.test_dataloader.dataset.get('data_root')
    unknown = sorted(set(done) - set(index))
    if unknown:
        raise ValueError(
            f'{source}: {len(unknown)} record(s) of video(s) the dataset at {root} does not '
            f'hold (e.g. {unknown[0]!r}): they come from other data. Rerun without --resume'
        )
    changed = [
        name
        for name in sorted(done)
        if metric.video_fingerprint(dataset[index[name]]['data_samples'].to_dict())
        != done[name]['fingerprint']
    ]
    if changed:
        raise ValueError(
            f'{source}: {len(changed)} video(s) (e.g. {changed[0]!r}) differ from the data their '
            f'records were made from (ground-truth fingerprint): {root} changed since. Rerun '
            'without --resume'
        )


def git_commit(root: Optional[str] = None) -> Optional[str]:
    """The package's git commit (with '+dirty' for local changes), if it is a
    checkout: ``root`` (default: the folder above the package) holds ``.git``.
    An installed package has none, even inside someone else's repository."""
    root = root or osp.dirname(osp.dirname(osp.abspath(fgvc.__file__)))
    if not osp.exists(osp.join(root, '.git')):
        return None
    try:
        commit = subprocess.run(
            ['git', '-C', root, 'rev-parse', 'HEAD'], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ['git', '-C', root, 'status', '--porcelain', '--untracked-files=no'],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ('+dirty' if dirty else '')) or None


def provenance(checkpoint: Optional[str], config_file: str) -> Dict[str, object]:
    """Where the predictions come from: checkpoint, config, code, machine."""
    return dict(
        checkpoint=checkpoint,
        checkpoint_sha256=file_sha256(checkpoint) if checkpoint else None,
        config_file=config_file,
        fgvc_version=fgvc.__version__,
        git_commit=git_commit(),
        torch_version=torch.__version__,
        python_version=platform.python_version(),
        device='cuda' if torch.cuda.is_available() else 'cpu',
        num_processes=get_world_size(),
    )


def format_table(title: str, metrics: Dict[str, float]) -> str:
    """Two-column text table of metric values."""
    if not metrics:
        return f'{title}: nothing was scored'
    width = max(len(k) for k in metrics)
    rule = '-' * (width + 12)
    rows = [f'{k:<{width}}  {v:>9.4f}' for k, v in metrics.items()]
    return '\n'.join([rule, f'{title}', rule, *rows, rule])
