"""Encoders on real clips, with and without test-time adaptation, beside
trackers without learnt features: ``tools/eval_real.py --encoder NAME=CKPT ...
[--davis DIR] [--badja DIR] [--jhmdb DIR]``.

Every row is one :func:`fgvc.cli.evaluate.evaluate_task` run per benchmark,
so it has the registered dataset, metric, protocol record, per-video records
(``--resume``) and dumped predictions (``--dump``, re-scored by
``tools/score.py``) of ``tools/test.py``, in ``<work dir>/<row>/``:

* VOS J&F on DAVIS (the ``vos`` task) from the first mask;
* PCK@0.2 on BADJA and PCK@0.1 on JHMDB (the ``badja`` and ``jhmdb`` tasks),
  each joint queried at its first visible frame;

for every encoder, the same encoder adapted to each clip (``--adapt``), and
the registered references ``static`` (:class:`~fgvc.models.trackers.StaticTracker`)
and ``dis`` (:class:`~fgvc.models.trackers.DISTracker`).
"""

import argparse
import json
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional

from mmengine.config import Config
from mmengine.logging import MessageHub

from fgvc.apis.predictor import DEFAULT_CONFIG, encoder_size
from fgvc.apis.weights import is_untrained_arg, names_no_file
from fgvc.benchmark.memory import peak_rss_mib
from fgvc.datasets.davis import only_resolution
from fgvc.engine.adaptation import check_adaptation_options

from .evaluate import evaluate_task
from .options import (
    DEFAULT_ADAPT_SEED,
    add_adaptation_args,
    add_cfg_options,
    check_adaptation_args,
    one_line_errors,
)

#: Row key -> (config task, summary metric).
BENCHMARKS = {
    'davis_jf': ('vos', 'J&F-Mean'),
    'badja_pck@0.2': ('badja', 'PCK@0.2'),
    'jhmdb_pck@0.1': ('jhmdb', 'PCK@0.1'),
}
#: Reference rows -> the registered tracker that makes them.
REFERENCES = {'static': 'StaticTracker', 'dis': 'DISTracker'}
MIB_PER_GIB = 2**10
#: Encoder input short side of every row unless ``--short-side`` says otherwise.
DEFAULT_SHORT_SIDE = 120
DEFAULT_WORK_DIR = osp.join('work_dirs', 'eval_real')


class Row(NamedTuple):
    """One row of the table: a checkpoint (None: untrained), or a reference
    tracker, with the adaptation steps of its runs."""

    name: str
    checkpoint: Optional[str] = None
    tracker: Optional[str] = None
    adapt: int = 0


class Benchmark(NamedTuple):
    """Where a benchmark's data is, and dataset options besides the root."""

    data_root: str
    dataset: Dict[str, object]


def parse_encoders(specs: List[str]) -> Dict[str, Optional[str]]:
    """``NAME=CKPT`` specs as ``{name: checkpoint}``: CKPT a file or one of
    the checkpoint rule's words (default, zoo:NAME; none, any case, is None
    for the untrained encoder)."""
    encoders = {}
    for spec in specs:
        name, sep, path = spec.partition('=')
        if not sep or not name or not path:
            raise ValueError(f'--encoder takes NAME=CKPT (CKPT may be none), got {spec!r}')
        if not names_no_file(path) and not osp.exists(path):
            raise FileNotFoundError(f'Checkpoint of encoder {name!r} not found: {path}')
        encoders[name] = None if is_untrained_arg(path) else path
    return encoders


def rows(encoders: Dict[str, Optional[str]], adapt: int, references: bool) -> List[Row]:
    """Each encoder, then (with ``adapt``) each adapted, then the references."""
    out = [Row(name, checkpoint) for name, checkpoint in encoders.items()]
    if adapt:
        out += [Row(f'{n} + adapt {adapt}', c, adapt=adapt) for n, c in encoders.items()]
    if references:
        out += [Row(name, tracker=tracker) for name, tracker in REFERENCES.items()]
    return out


def folder_name(row: str) -> str:
    """A row's results folder: its name with every run of other characters as '_'."""
    return re.sub(r'[^A-Za-z0-9.@-]+', '_', row)


def task_options(config: Config, task: str, row: Row, short_side: Optional[int]) -> dict:
    """The row's ``--cfg-options`` for ``task``: the reference tracker's type,
    or the task's encoder input scaled to ``short_side`` (aspect kept)."""
    if row.tracker is not None:
        return {'model.type': row.tracker}
    size = config.tasks[task].model.get('data_preprocessor', {}).get('input_size')
    if short_side is None or size is None:
        return {}
    return {'model.data_preprocessor.input_size': encoder_size(*size, short_side)}


def evaluate_rows(
    config: str,
    benchmarks: Dict[str, Benchmark],
    table: List[Row],
    work_dir: str,
    short_side: Optional[int] = None,
    cfg_options: Optional[dict] = None,
    adapt_seed: int = 0,
    resume: bool = False,
    dump: Optional[str] = None,
) -> dict:
    """Run every row on every benchmark (keys of :data:`BENCHMARKS`); returns
    ``results`` ({row: {benchmark: score}}) and the ``adaptation_cost``."""
    cfg = Config.fromfile(config)
    results, cost = {}, None
    for row in table:
        scores = {}
        for key, benchmark in benchmarks.items():
            task, metric = BENCHMARKS[key]
            folder = folder_name(row.name)
            dataset = {f'test_dataloader.dataset.{k}': v for k, v in benchmark.dataset.items()}
            options = {**(cfg_options or {}), **dataset, **task_options(cfg, task, row, short_side)}
            metrics = evaluate_task(
                config,
                row.checkpoint,
                task,
                work_dir=osp.join(work_dir, folder),
                data_root=benchmark.data_root,
                cfg_options=options,
                resume=resume,
                dump=osp.join(dump, folder, task) if dump else None,
                adapt=row.adapt,
                adapt_seed=adapt_seed,
                experiment_name=f'eval_real_{folder}_{task}',
            )
            scores[key] = metrics[metric]
            seconds = MessageHub.get_current_instance().get_info('adaptation_seconds_per_step')
            if row.adapt and cost is None and seconds is not None:
                cost = dict(seconds_per_step=seconds, task=task)
        results[row.name] = scores
        print(f'{row.name}: ' + ', '.join(f'{k} {v:.4f}' for k, v in scores.items()), flush=True)
    if cost is not None:
        cost['peak_rss_gb'] = peak_rss_mib() / MIB_PER_GIB
    return dict(results=results, adaptation_cost=cost)


def format_results(results: Dict[str, Dict[str, float]]) -> str:
    """The rows' scores as a text table, one column per benchmark run."""
    columns = [b for b in BENCHMARKS if any(b in row for row in results.values())]
    width = max(len(n) for n in results)
    lines = [f'{"method":<{width}}  ' + '  '.join(f'{c:>14}' for c in columns)]
    for name, row in results.items():
        cells = '  '.join(f'{row.get(c, float("nan")):>14.4f}' for c in columns)
        lines.append(f'{name:<{width}}  {cells}')
    return '\n'.join(lines)


def report(outcome: dict, short_side: Optional[int], out: Optional[str]) -> None:
    """Print the table, the adaptation's cost and one JSON line (also to ``out``)."""
    print(format_results(outcome['results']))
    cost = outcome['adaptation_cost']
    if cost:
        print(
            f'adaptation: {cost["seconds_per_step"]:.2f} s/step ({cost["task"]} task), peak '
            f'resident memory {cost["peak_rss_gb"]:.2f} GB'
        )
    line = json.dumps(dict(outcome, short_side=short_side))
    print(line)
    if out:
        with open(out, 'w') as f:
            f.write(line + '\n')


def benchmarks_of(
    davis: Optional[str],
    split: str,
    resolution: Optional[str],
    badja: Optional[str],
    jhmdb: Optional[str],
) -> Dict[str, Benchmark]:
    """The benchmarks whose data is given, by key of :data:`BENCHMARKS`."""
    benchmarks = {}
    if davis:
        dataset = dict(split=split, resolution=resolution or only_resolution(davis, '--resolution'))
        benchmarks['davis_jf'] = Benchmark(davis, dataset)
    if badja:
        benchmarks['badja_pck@0.2'] = Benchmark(badja, {})
    if jhmdb:
        benchmarks['jhmdb_pck@0.1'] = Benchmark(jhmdb, {})
    if not benchmarks:
        raise ValueError('Nothing to evaluate: give --davis, --badja and/or --jhmdb')
    return benchmarks


def run(
    config: str,
    encoder: List[str],
    davis: Optional[str] = None,
    split: str = 'dev',
    resolution: Optional[str] = None,
    badja: Optional[str] = None,
    jhmdb: Optional[str] = None,
    adapt: int = 0,
    adapt_seed: int = DEFAULT_ADAPT_SEED,
    short_side: Optional[int] = None,
    cfg_options: Optional[dict] = None,
    no_references: bool = False,
    work_dir: str = DEFAULT_WORK_DIR,
    resume: bool = False,
    dump: Optional[str] = None,
    out: Optional[str] = None,
) -> dict:
    """``tools/eval_real.py`` with its options: check them (an error naming
    a bad one, before any work), evaluate every row and report."""
    encoders = parse_encoders(encoder)
    check_adaptation_options(adapt, Config.fromfile(config).get('adaptation'), '--adapt')
    benchmarks = benchmarks_of(davis, split, resolution, badja, jhmdb)
    table = rows(encoders, adapt, not no_references)
    outcome = evaluate_rows(
        config, benchmarks, table, work_dir, short_side, cfg_options, adapt_seed, resume, dump
    )
    report(outcome, short_side, out)
    return outcome


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Encoders on real clips, with and without test-time adaptation, beside '
        'references (each row a tools/test.py run per benchmark)'
    )
    parser.add_argument(
        '--encoder',
        action='append',
        default=[],
        metavar='NAME=CKPT',
        help="an encoder to evaluate (CKPT 'none': untrained, 'zoo:NAME' or 'default': a "
        'shipped model); repeatable',
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
        default=DEFAULT_SHORT_SIDE,
        help="encoder input short side: each task's input size scaled to it, aspect kept",
    )
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    add_cfg_options(parser, 'model.backbone.base_channels=16 (every row)')
    parser.add_argument('--no-references', action='store_true', help='skip static and dis')
    parser.add_argument(
        '--work-dir',
        default=DEFAULT_WORK_DIR,
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
    args = parse_args(argv)
    with one_line_errors():
        check_adaptation_args(args)
        run(
            args.config,
            args.encoder,
            davis=args.davis,
            split=args.split,
            resolution=args.resolution,
            badja=args.badja,
            jhmdb=args.jhmdb,
            adapt=args.adapt,
            adapt_seed=args.adapt_seed,
            short_side=args.short_side,
            cfg_options=args.cfg_options,
            no_references=args.no_references,
            work_dir=args.work_dir,
            resume=args.resume,
            dump=args.dump,
            out=args.out,
        )
