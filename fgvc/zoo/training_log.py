"""A summary of a training run from mmengine's logs: losses per epoch and time.

A training work dir holds one folder per start of ``tools/train.py``
(``<YYYYMMDD_HHMMSS>/``, several when the run was resumed), each with the
logged scalars (``vis_data/scalars.json``, one json object a line: ``step``,
``epoch``, ``lr``, ``time`` and the losses) and the text log
(``<YYYYMMDD_HHMMSS>.log``). A step logged by several starts (the work an
interrupted start did after its last checkpoint, done again by the next) is
taken from the latest start. Each logged value is mmengine's mean over the
iterations of its window (``log_processor.window_size``), so per-epoch means
are means of those, weighted by the steps since the previous record.
"""

import glob
import json
import os.path as osp
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

#: mmengine's log folder names: the start time of each run.
RUN_FOLDER = re.compile(r'^\d{8}_\d{6}$')
#: Where a log line's time is, and its format.
LOG_TIME = re.compile(r'^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) - ')
LOG_TIME_FORMAT = '%Y/%m/%d %H:%M:%S'
#: Scalars that are not losses.
NOT_LOSSES = ('lr', 'time', 'data_time', 'grad_norm', 'epoch', 'iter', 'step')


@dataclass
class RunStretch:
    """One start of the training, up to the summarised checkpoint."""

    name: str
    first_step: int
    last_step: int
    #: Seconds from its first log line to its last one before the checkpoint
    #: (None without a text log).
    elapsed_s: Optional[float]


@dataclass
class EpochSummary:
    epoch: int
    last_step: int
    losses: Dict[str, float]
    lr: float
    seconds_per_iter: float


@dataclass
class TrainingLog:
    """What a work dir's logs say about the training up to one checkpoint."""

    work_dir: str
    until_step: int
    runs: List[RunStretch] = field(default_factory=list)
    epochs: List[EpochSummary] = field(default_factory=list)
    #: Sum of the logged seconds per iteration times the iterations they cover.
    iteration_time_s: float = 0.0

    @property
    def elapsed_s(self) -> Optional[float]:
        """Wall time of all starts (redone work included), None if a log lacks."""
        times = [run.elapsed_s for run in self.runs]
        return None if not times or None in times else float(sum(times))

    def record(self) -> Dict[str, object]:
        """The key numbers, for the zoo manifest."""
        return dict(
            epochs=self.epochs[-1].epoch if self.epochs else None,
            iterations=self.until_step,
            runs=len(self.runs),
            iteration_time_s=round(self.iteration_time_s, 1),
            elapsed_s=None if self.elapsed_s is None else round(self.elapsed_s, 1),
        )


def run_folders(work_dir: str) -> List[str]:
    """The run folders of a work dir, oldest first."""
    folders = glob.glob(osp.join(glob.escape(work_dir), '*', ''))
    names = [osp.basename(osp.dirname(f)) for f in folders]
    return sorted(osp.join(work_dir, n) for n in names if RUN_FOLDER.match(n))


def read_scalars(path: str) -> List[Dict[str, float]]:
    """The training records (those with a loss) of a ``scalars.json``."""
    records = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ValueError(f'{path} line {number} is not json: {line[:80]!r}') from None
            if 'step' in record and any(_is_loss(k) for k in record):
                records.append(record)
    return records


def _is_loss(key: str) -> bool:
    return key not in NOT_LOSSES and key.endswith('loss')


def _elapsed(log_file: str, stop_markers: List[str]) -> Optional[float]:
    """Seconds from the first timestamped line of ``log_file`` to the last one
    up to (and including) the first line holding one of ``stop_markers``."""
    if not osp.isfile(log_file):
        return None
    first = last = None
    with open(log_file, errors='replace') as f:
        for line in f:
            match = LOG_TIME.match(line)
            if match is None:
                continue
            moment = datetime.strptime(match.group(1), LOG_TIME_FORMAT)
            first = first or moment
            last = moment
            if any(marker in line for marker in stop_markers):
                break
    return None if first is None else (last - first).total_seconds()


def summarise_training(
    work_dir: str, until_step: int, until_epoch: Optional[int] = None
) -> TrainingLog:
    """Summarise the logs of ``work_dir`` up to the checkpoint at step
    ``until_step`` (and epoch ``until_epoch`` for by-epoch checkpoints).

    Raises:
        FileNotFoundError: the work dir has no ``*/vis_data/scalars.json``.
    """
    by_step: Dict[int, dict] = {}
    runs = []
    for folder in run_folders(work_dir):
        scalars = osp.join(folder, 'vis_data', 'scalars.json')
        if not osp.isfile(scalars):
            continue
        records = [r for r in read_scalars(scalars) if r['step'] <= until_step]
        if not records:
            continue
        for record in records:
            by_step[record['step']] = record
        name = osp.basename(folder)
        markers = [f'Saving checkpoint at {until_step} iterations']
        if until_epoch is not None:
            markers.append(f'Saving checkpoint at {until_epoch} epochs')
        elapsed = _elapsed(osp.join(folder, f'{name}.log'), markers)
        runs.append(RunStretch(name, records[0]['step'], records[-1]['step'], elapsed))
    if not by_step:
        raise FileNotFoundError(
            f'No training logs (<run>/vis_data/scalars.json) up to step {until_step} in {work_dir}'
        )
    summary = TrainingLog(work_dir, until_step, runs)
    epochs: Dict[int, _EpochSums] = {}
    previous = 0
    for step in sorted(by_step):
        record, span = by_step[step], step - previous
        previous = step
        summary.iteration_time_s += record.get('time', 0.0) * span
        epochs.setdefault(int(record['epoch']), _EpochSums()).add(step, span, record)
    summary.epochs = [sums.summary(epoch) for epoch, sums in sorted(epochs.items())]
    return summary


@dataclass
class _EpochSums:
    """Logged values of one epoch, each times the iterations it covers."""

    span: int = 0
    last_step: int = 0
    lr: float = float('nan')
    sums: Dict[str, float] = field(default_factory=dict)

    def add(self, step: int, span: int, record: Dict[str, float]) -> None:
        self.span += span
        self.last_step = step
        self.lr = record.get('lr', self.lr)
        for key, value in record.items():
            if _is_loss(key) or key == 'time':
                self.sums[key] = self.sums.get(key, 0.0) + value * span

    def summary(self, epoch: int) -> EpochSummary:
        return EpochSummary(
            epoch=epoch,
            last_step=self.last_step,
            losses={k: v / self.span for k, v in self.sums.items() if _is_loss(k)},
            lr=self.lr,
            seconds_per_iter=self.sums.get('time', 0.0) / self.span,
        )


def format_duration(seconds: Optional[float]) -> str:
    """``3 h 05 min`` or ``42 s``; ``unknown`` for None."""
    if seconds is None:
        return 'unknown'
    if seconds < 60:
        return f'{seconds:.0f} s'
    minutes = int(round(seconds / 60))
    return f'{minutes // 60} h {minutes % 60:02d} min' if minutes >= 60 else f'{minutes} min'


def training_log_markdown(summary: TrainingLog) -> str:
    """The losses per epoch and the runs as markdown tables."""
    keys = sorted({k for e in summary.epochs for k in e.losses}, key=lambda k: (k != 'loss', k))
    lines = [
        f"Losses per epoch: means of the logged values (each a mean over mmengine's log "
        f'window), weighted by the iterations since the previous record; up to iteration '
        f'{summary.until_step}.',
        '',
        '| epoch | last iteration | ' + ' | '.join(keys) + ' | lr (end) | s/iter |',
        '|---' * (len(keys) + 4) + '|',
    ]
    for e in summary.epochs:
        losses = ' | '.join(f'{e.losses[k]:.4f}' if k in e.losses else '-' for k in keys)
        lines.append(
            f'| {e.epoch} | {e.last_step} | {losses} | {e.lr:.3g} | {e.seconds_per_iter:.2f} |'
        )
    lines += [
        '',
        f'Training time: {format_duration(summary.iteration_time_s)} of iterations (logged '
        f'seconds per iteration times iterations), {format_duration(summary.elapsed_s)} '
        f'elapsed over {len(summary.runs)} start(s) of tools/train.py (startup, checkpoint '
        'saving and work redone after interruptions included).',
        '',
        '| start | iterations | elapsed |',
        '|---|---|---|',
    ]
    for run in summary.runs:
        lines.append(
            f'| {run.name} | {run.first_step} to {run.last_step} | '
            f'{format_duration(run.elapsed_s)} |'
        )
    return '\n'.join(lines) + '\n'
