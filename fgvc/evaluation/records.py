"""Per-video result records: one json line a video, appended as each is done.

Each rank appends to ``<dir>/<task>_videos.rank<r>.jsonl``. A line is written
with a single ``write`` on a file opened for appending, so a killed run
leaves whole lines and at most one unterminated last line, which readers
ignore. Resuming gathers every complete line into
``<dir>/<task>_videos.resumed.jsonl`` before the run starts.
"""

import glob
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Mapping

import numpy as np

from fgvc.fileio import atomic_write

__all__ = [
    'rank_records_path',
    'resumed_records_path',
    'append_record',
    'read_records',
    'prepare_records',
    'sample_fingerprint',
    'data_fingerprint',
]


def rank_records_path(out_dir: str, task: str, rank: int) -> str:
    return osp.join(out_dir, f'{task}_videos.rank{rank}.jsonl')


def resumed_records_path(out_dir: str, task: str) -> str:
    return osp.join(out_dir, f'{task}_videos.resumed.jsonl')


def append_record(path: str, record: Mapping) -> None:
    """Append ``record`` as one json line, in one write, and flush it to the OS."""
    line = (json.dumps(record, sort_keys=True) + '\n').encode()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, line)
    finally:
        os.close(fd)
    if written != len(line):
        raise OSError(f'Short write to {path}: {written} of {len(line)} bytes')


def read_records(paths: Iterable[str]) -> List[dict]:
    """Complete records of the json-line files ``paths`` (missing files are skipped)."""
    records = []
    for path in paths:
        if not osp.isfile(path):
            continue
        with open(path, 'rb') as f:
            for line in f:
                if not line.endswith(b'\n'):
                    continue  # the last line of a killed run
                records.append(json.loads(line))
    return records


def prepare_records(out_dir: str, task: str, resume: bool) -> Dict[str, dict]:
    """Start a run's record files; return the records of the videos already done.

    Without ``resume`` every record file of ``task`` is removed. With it, the
    complete records of earlier runs (resumed file and rank files) are merged,
    one per video, into the resumed file, and the rank files are removed.
    Call on one process, before any rank appends.
    """
    rank_files = sorted(glob.glob(osp.join(out_dir, f'{task}_videos.rank*.jsonl')))
    resumed = resumed_records_path(out_dir, task)
    done: Dict[str, dict] = {}
    if resume:
        for record in read_records([resumed, *rank_files]):
            done.setdefault(record['video_name'], record)
        lines = ''.join(json.dumps(r, sort_keys=True) + '\n' for r in done.values())
        atomic_write(resumed, lines.encode())
    elif osp.exists(resumed):
        os.remove(resumed)
    for path in rank_files:
        os.remove(path)
    return done


def sample_fingerprint(name: str, arrays: Mapping[str, object]) -> str:
    """sha256 over a video's name and the shapes, dtypes and bytes of its ground truth."""
    digest = hashlib.sha256(name.encode())
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        digest.update(f'{key}:{value.dtype.str}:{value.shape}'.encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def data_fingerprint(records: Iterable[Mapping]) -> str:
    """sha256 over the sorted video names and their fingerprints."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r['video_name']):
        digest.update(f'{record["video_name"]}:{record["fingerprint"]}\n'.encode())
    return digest.hexdigest()
