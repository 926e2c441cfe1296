"""What every evaluation metric shares: one record per video, kept on disk as
soon as it is made, and one summary written from the records."""

import hashlib
import json
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dist import get_rank
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ..records import (
    append_record,
    data_fingerprint,
    identity_digest,
    rank_records_path,
    read_records,
    resumed_records_path,
    run_identity,
    sample_fingerprint,
)
from ..summary import write_summary


class VideoMetric(BaseMetric):
    """Scores one video at a time (:meth:`score_video`) and summarises the
    scored videos (:meth:`summarize`).

    A video's record is ``{'video_name', 'fingerprint', 'protocol' (a digest
    of the protocol record), 'protocol_name', 'run', 'metrics', ...}`` plus
    what :meth:`summarize` needs, all json (``run``: the digest of
    :attr:`run_identity`). With ``out_dir`` it is
    appended to ``<out_dir>/<task>_videos.rank<r>.jsonl`` as soon as the video
    is scored. A record with an ``excluded`` reason (nothing to score) is
    reported in the summary and left out of the means.

    Args:
        out_dir: where the record, summary and per-video files go (nothing is
            written when None).
        task: file-name prefix of those files.
        resume: also summarise the records of ``<task>_videos.resumed.jsonl``
            (see :func:`fgvc.evaluation.records.prepare_records`); they must
            have been made under the same protocol.
        dump_dir: write each video's predictions there, in the format
            ``tools/score.py`` reads.
        protocol: the settings that made the predictions (from the config);
            the metric adds its own definition, the number of videos and a
            fingerprint of the evaluated ground truth.
        provenance: where the predictions came from; the wall time is added.
    """

    default_prefix = ''  # keys keep the benchmarks' names
    #: the sample fields that hold the ground truth (fingerprinted)
    gt_keys: Sequence[str] = ()

    def __init__(
        self,
        out_dir: Optional[str] = None,
        task: str = 'task',
        resume: bool = False,
        dump_dir: Optional[str] = None,
        protocol: Optional[dict] = None,
        provenance: Optional[dict] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir
        self.task = task
        self.resume = resume
        self.dump_dir = dump_dir
        self.protocol = dict(protocol or {}, task=task, **self.describe())
        self.protocol_name = self.protocol.get('name')
        self.protocol_digest = hashlib.sha256(
            json.dumps(self.protocol, sort_keys=True, default=str).encode()
        ).hexdigest()
        self.provenance = dict(provenance or {})
        self.run = identity_digest(self.run_identity)
        self.start_time = time.time()
        self.resumed = self.resumed_records()  # checked before any video is evaluated

    # ------------------------------------------------------------ to define
    def describe(self) -> Dict[str, object]:
        """The metric's part of the protocol: definition, frames scored,
        averaging rule, reference."""
        raise NotImplementedError

    def score_video(self, sample: dict) -> dict:
        """``{'metrics': {...}, ...}`` of one video; ``'excluded': reason``
        when it has nothing to score."""
        raise NotImplementedError

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """Summary metric values of the scored (not excluded) records."""
        raise NotImplementedError

    def dump_predictions(self, sample: dict, dump_dir: str) -> None:
        """Write one video's predictions into ``dump_dir``."""
        raise NotImplementedError

    def read_predictions(self, sample: dict, source, **options) -> dict:
        """The ``pred_*`` fields of one video from what :meth:`dump_predictions`
        (or another tracker) wrote in ``source``."""
        raise NotImplementedError

    def per_video(self, records: List[dict]) -> Dict[str, object]:
        """Content of ``<task>_per_video.json``."""
        return {r['video_name']: r['metrics'] for r in records}

    # ---------------------------------------------------------------- shared
    @property
    def run_identity(self) -> Dict[str, object]:
        """What this run's records are interchangeable on: the protocol and
        the checkpoint (see :func:`fgvc.evaluation.records.run_identity`)."""
        return run_identity(self.protocol, self.provenance.get('checkpoint_sha256'))

    def video_fingerprint(self, sample: dict) -> str:
        """sha256 of a video's name and the ground truth it is scored against."""
        gt = {k: sample[k] for k in self.gt_keys if k in sample}
        gt['raster_hw'] = sample.get('raster_hw', ())
        return sample_fingerprint(str(sample['video_name']), gt)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            record = dict(
                video_name=str(sample['video_name']),
                fingerprint=self.video_fingerprint(sample),
                protocol=self.protocol_digest,
                protocol_name=self.protocol_name,
                run=self.run,
                **self.score_video(sample),
            )
            if self.dump_dir is not None:
                self.dump_predictions(sample, self.dump_dir)
            if self.out_dir is not None:
                append_record(rank_records_path(self.out_dir, self.task, get_rank()), record)
            self.results.append(record)

    def resumed_records(self) -> List[dict]:
        if not (self.resume and self.out_dir is not None):
            return []
        path = resumed_records_path(self.out_dir, self.task)
        records = read_records([path])
        other = [
            r
            for r in records
            if r.get('protocol') != self.protocol_digest or r.get('run') != self.run
        ]
        if other:
            names = ', '.join(sorted({str(r.get('protocol_name')) for r in other}))
            raise ValueError(
                f'{path}: {len(other)} video(s) (e.g. {other[0]["video_name"]!r}) were evaluated '
                f'under another protocol than this run (theirs named {names}, this run '
                f'{self.protocol_name}; same names mean other settings); rerun without --resume'
            )
        return records

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        resumed = self.resumed
        by_name = {r['video_name']: r for r in resumed}
        by_name.update((r['video_name'], r) for r in results)  # padding repeats a video
        records = [by_name[k] for k in sorted(by_name)]
        excluded = {r['video_name']: r['excluded'] for r in records if 'excluded' in r}
        scored = [r for r in records if 'excluded' not in r]
        for name, reason in excluded.items():
            print_log(f'{self.task}: video {name!r} left out: {reason}', 'current', 30)
        summary = self.summarize(scored) if scored else {}
        if self.out_dir is not None:
            protocol = dict(
                self.protocol, num_videos=len(records), data_fingerprint=data_fingerprint(records)
            )
            provenance = dict(
                self.provenance,
                wall_time_s=round(time.time() - self.start_time, 3),
                videos_resumed=len(resumed),
            )
            write_summary(
                self.out_dir,
                self.task,
                summary,
                self.per_video(records),
                len(scored),
                excluded,
                protocol,
                provenance,
            )
        return summary


def mean_over(records: List[dict], keys: Sequence[str]) -> Dict[str, float]:
    """Mean over records of each ``records[i]['metrics'][key]``."""
    return {k: float(np.mean([r['metrics'][k] for r in records])) for k in keys}
