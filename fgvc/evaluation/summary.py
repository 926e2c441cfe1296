"""The one writer of ``<task>_summary.json`` and ``<task>_per_video.json``."""

import json
import os
import os.path as osp
from typing import Dict, Mapping, Optional

__all__ = ['write_json_atomic', 'write_summary', 'summary_metrics']

#: Keys of a summary file that are not metric values.
RECORD_KEYS = ('videos', 'protocol', 'provenance')


def write_json_atomic(path: str, obj) -> None:
    """Write ``obj`` as json to ``path`` through a temporary file."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def write_summary(
    out_dir: str,
    task: str,
    metrics: Mapping[str, float],
    per_video: Mapping[str, object],
    num_scored: int,
    excluded: Mapping[str, str],
    protocol: Optional[Mapping] = None,
    provenance: Optional[Mapping] = None,
) -> str:
    """Write the summary (metric values at the top level, then ``videos``: how
    many were scored and which were left out of the means and why, then
    ``protocol`` and ``provenance``) and the per-video file; return the
    summary's path."""
    summary: Dict[str, object] = dict(metrics)
    summary['videos'] = dict(
        scored=num_scored,
        excluded=len(excluded),
        excluded_videos=dict(sorted(excluded.items())),
    )
    summary['protocol'] = dict(protocol or {})
    summary['provenance'] = dict(provenance or {})
    path = osp.join(out_dir, f'{task}_summary.json')
    write_json_atomic(path, summary)
    write_json_atomic(osp.join(out_dir, f'{task}_per_video.json'), per_video)
    return path


def summary_metrics(summary: Mapping[str, object]) -> Dict[str, float]:
    """The metric values of a loaded summary file."""
    return {k: v for k, v in summary.items() if k not in RECORD_KEYS}
