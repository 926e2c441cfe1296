"""The one writer of ``<task>_summary.json`` and ``<task>_per_video.json``."""

import os.path as osp
from typing import Dict, Mapping, Optional

from fgvc.fileio import atomic_write_json

__all__ = ['write_summary', 'summary_metrics']

#: Keys of a summary file that are not metric values.
RECORD_KEYS = ('videos', 'protocol', 'provenance')


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
    atomic_write_json(path, summary)
    atomic_write_json(osp.join(out_dir, f'{task}_per_video.json'), per_video)
    return path


def summary_metrics(summary: Mapping[str, object]) -> Dict[str, float]:
    """The metric values of a loaded summary file."""
    return {k: v for k, v in summary.items() if k not in RECORD_KEYS}
