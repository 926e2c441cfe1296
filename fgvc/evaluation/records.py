"""Per-video result records: one json line a video, appended as each is done.

Each rank appends to ``<dir>/<task>_videos.rank<r>.jsonl``. A line is written
with a single ``write`` on a file opened for appending, so a killed run
leaves whole lines and at most one unterminated last line, which readers
ignore; any other line that is not a json record is an error naming the file
and the line. Resuming gathers every complete line into
``<dir>/<task>_videos.resumed.jsonl`` before the run starts.

A record carries its video's ground-truth ``fingerprint`` and the ``run`` it
was made in: a digest of the run's identity (:func:`run_identity`: the
protocol record, which holds the evaluation settings of the config, and the
checkpoint's sha256). ``<dir>/<task>_run.json`` keeps the identity in full,
so that a resume refused for another run can say what differs.
"""

import glob
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from fgvc.fileio import atomic_write, atomic_write_json

__all__ = [
    'RECORD_KEYS',
    'rank_records_path',
    'resumed_records_path',
    'run_path',
    'append_record',
    'read_records',
    'prepare_records',
    'write_run',
    'run_identity',
    'identity_digest',
    'sample_fingerprint',
    'data_fingerprint',
]

#: What every record of a run carries, besides its metric's fields.
RECORD_KEYS = ('video_name', 'fingerprint', 'protocol', 'run')
#: Differences a refusal lists, and the characters shown of a long value.
SHOWN_DIFFERENCES = 4
SHOWN_CHARS = 16
#: The phrase a refused resume's message starts its reason with.
OTHER_RUN = 'evaluated under another protocol than this run'


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


def run_path(out_dir: str, task: str) -> str:
    return osp.join(out_dir, f'{task}_run.json')


def run_identity(protocol: Mapping, checkpoint_sha256: Optional[str]) -> Dict[str, object]:
    """What makes two runs' records interchangeable: the protocol record (the
    config's evaluation settings and the metric's definition) and the
    checkpoint's bytes (None for an untrained encoder or another tracker)."""
    return json.loads(
        json.dumps(dict(protocol=protocol, checkpoint_sha256=checkpoint_sha256), default=str)
    )


def identity_digest(identity: Mapping) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def _read_located(paths: Iterable[str], required: Sequence[str]) -> List[Tuple[dict, str]]:
    """``(record, 'file, line n')`` of every complete line of ``paths``."""
    located = []
    for path in paths:
        if not osp.isfile(path):
            continue
        with open(path, 'rb') as f:
            for number, line in enumerate(f, 1):
                if not line.endswith(b'\n'):
                    continue  # the last line of a killed run
                where = f'{path}, line {number}'
                try:
                    record = json.loads(line)
                except ValueError:
                    raise ValueError(
                        f'{where}: not a json record: {line[:60]!r}; remove the line or rerun '
                        'without --resume'
                    ) from None
                if not isinstance(record, dict):
                    raise ValueError(f'{where}: a record is a json object, got {line[:60]!r}')
                missing = [k for k in required if k not in record]
                if missing:
                    raise ValueError(
                        f'{where}: incomplete record: it lacks {missing}; rerun without --resume'
                    )
                located.append((record, where))
    return located


def read_records(paths: Iterable[str]) -> List[dict]:
    """Complete records of the json-line files ``paths`` (missing files are
    skipped; a line that is not a json object is an error naming it)."""
    return [record for record, _ in _read_located(paths, ('video_name',))]


def _one_per_video(located: List[Tuple[dict, str]]) -> Dict[str, dict]:
    """The records by video. A video recorded twice with the same content
    (the distributed sampler pads a rank's share by repeating a video) is
    kept once; two different records of one video are an error."""
    done: Dict[str, dict] = {}
    first: Dict[str, str] = {}
    for record, where in located:
        name = record['video_name']
        if name in done and done[name] != record:
            raise ValueError(
                f'Two different records of video {name!r}: {first[name]} and {where}; '
                'remove one or rerun without --resume'
            )
        done.setdefault(name, record)
        first.setdefault(name, where)
    return done


def _flat(value, prefix: str = '') -> Dict[str, object]:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            out.update(_flat(item, f'{prefix}{key}.'))
        return out
    return {prefix[:-1]: value}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS + 2 else text[: SHOWN_CHARS + 1] + '...'


def describe_difference(theirs: Mapping, ours: Mapping) -> str:
    """``key is A there, B here`` for the first keys in which two identities differ."""
    a, b = _flat(theirs), _flat(ours)
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k, '<unset>') != b.get(k, '<unset>')]
    parts = [
        f'{k} is {_short(a.get(k, "<unset>"))} there, {_short(b.get(k, "<unset>"))} here'
        for k in keys[:SHOWN_DIFFERENCES]
    ]
    more = f' (and {len(keys) - SHOWN_DIFFERENCES} more)' if len(keys) > SHOWN_DIFFERENCES else ''
    return '; '.join(parts) + more


def _check_run(located: List[Tuple[dict, str]], identity: Mapping, stored: str) -> None:
    """Refuse records made in another run than ``identity``, saying what differs."""
    run = identity_digest(identity)
    other = [(record, where) for record, where in located if record['run'] != run]
    if not other:
        return
    record, where = other[0]
    try:
        with open(stored) as f:
            theirs = json.load(f)
    except (OSError, ValueError):
        theirs = None
    if isinstance(theirs, dict) and identity_digest(theirs) == record['run']:
        difference = describe_difference(theirs, identity)
    else:
        difference = f'run id {record["run"][:SHOWN_CHARS]}... there, {run[:SHOWN_CHARS]}... here'
    raise ValueError(
        f'{where}: {len(other)} of {len(located)} record(s) (e.g. video '
        f'{record["video_name"]!r}) were {OTHER_RUN}: {difference}. Rerun without --resume'
    )


def prepare_records(
    out_dir: str, task: str, resume: bool, identity: Optional[Mapping] = None
) -> Dict[str, dict]:
    """Start a run's record files; return the records of the videos already done.

    Without ``resume`` every record file of ``task`` is removed. With it, the
    complete records of earlier runs (resumed file and rank files) are merged,
    one per video, into the resumed file, and the rank files are removed.
    With ``identity`` (:func:`run_identity`), every record must carry
    :data:`RECORD_KEYS` and have been made in a run of that identity; any
    other record stops the run before a file is changed, with an error saying
    what differs. Call on one process, before any rank appends.
    """
    rank_files = sorted(glob.glob(osp.join(glob.escape(out_dir), f'{task}_videos.rank*.jsonl')))
    resumed = resumed_records_path(out_dir, task)
    done: Dict[str, dict] = {}
    if resume:
        required = RECORD_KEYS if identity is not None else ('video_name',)
        located = _read_located([resumed, *rank_files], required)
        if identity is not None:
            _check_run(located, identity, run_path(out_dir, task))
        done = _one_per_video(located)
        lines = ''.join(json.dumps(r, sort_keys=True) + '\n' for r in done.values())
        atomic_write(resumed, lines.encode())
    elif osp.exists(resumed):
        os.remove(resumed)
    for path in rank_files:
        os.remove(path)
    return done


def write_run(out_dir: str, task: str, identity: Mapping) -> None:
    """Keep the identity of the run whose records ``out_dir`` holds."""
    atomic_write_json(run_path(out_dir, task), dict(identity))


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
