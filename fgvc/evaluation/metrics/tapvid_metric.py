"""TAP-Vid point-tracking metric, averaged over videos."""

import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from fgvc.registry import METRICS

from ..functional import compute_tapvid_metrics


def write_json_atomic(path: str, obj) -> None:
    """Write ``obj`` as json to ``path`` through a temporary file."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


@METRICS.register_module()
class TapVidMetric(BaseMetric):
    """Per-video TAP-Vid metrics and their mean over videos.

    Args:
        out_dir: where ``<task>_summary.json`` and ``<task>_per_video.json``
            are written (nothing is written when None).
        task: file-name prefix of those files.
    """

    default_prefix = ''  # keys keep the TAP-Vid names

    def __init__(
        self,
        out_dir: Optional[str] = None,
        task: str = 'tapvid',
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir
        self.task = task

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            batched = [
                np.asarray(sample[k])[None]
                for k in (
                    'query_points',
                    'occluded',
                    'target_points',
                    'pred_occluded',
                    'pred_tracks',
                )
            ]
            metrics = compute_tapvid_metrics(*batched, query_mode=sample['query_mode'])
            per_video = {k: float(v[0]) for k, v in metrics.items()}
            per_video['num_queries'] = int(len(sample['query_points']))
            self.results.append(dict(video_name=sample['video_name'], metrics=per_video))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        results = sorted(results, key=lambda r: r['video_name'])
        keys = [k for k in results[0]['metrics'] if k != 'num_queries']
        summary = {k: float(np.mean([r['metrics'][k] for r in results])) for k in keys}
        if self.out_dir is not None:
            write_json_atomic(osp.join(self.out_dir, f'{self.task}_summary.json'), summary)
            write_json_atomic(
                osp.join(self.out_dir, f'{self.task}_per_video.json'),
                {r['video_name']: r['metrics'] for r in results},
            )
        return summary
