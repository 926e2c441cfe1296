"""Keypoint tracking PCK on JHMDB and BADJA.

A data sample (as a dict) carries ``query_points`` [n, 3] (t, y, x),
``target_points`` [n, T, 2], ``occluded`` [n, T], ``pred_tracks`` [n, T, 2]
and, for BADJA, ``mask_areas`` [T]. A joint is evaluated in the frames after
its query frame where its ground truth is visible (JHMDB: every joint in every
frame but the first). Frames are pooled over all videos for the overall
score, as :func:`fgvc.evaluation.functional.pck` expects.
"""

import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from fgvc.registry import METRICS

from ..functional import BADJA_THRESHOLD, JHMDB_THRESHOLDS, badja_normaliser, jhmdb_normaliser, pck
from .tapvid_metric import write_json_atomic


def evaluated_joints(query_points: np.ndarray, occluded: np.ndarray) -> np.ndarray:
    """``[n, T]`` bool: visible and after the joint's query frame."""
    frames = np.arange(occluded.shape[1])
    return ~occluded & (frames[None] > np.round(query_points[:, :1]))


class KeypointPCKMetric(BaseMetric):
    """PCK at ``thresholds`` per video and over all videos.

    Subclasses give the per-frame normaliser and how correct joints are averaged
    (``average`` of :func:`fgvc.evaluation.functional.pck`).

    Args:
        thresholds: the alphas reported as ``PCK@alpha``.
        out_dir: where ``<task>_summary.json`` and ``<task>_per_video.json`` go.
        task: file-name prefix of those files.
    """

    default_prefix = ''
    average = 'joint'

    def __init__(
        self,
        thresholds: Sequence[float],
        out_dir: Optional[str] = None,
        task: str = 'keypoints',
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = tuple(float(a) for a in thresholds)
        self.out_dir = out_dir
        self.task = task

    def normaliser(self, sample: dict) -> np.ndarray:
        """Per-frame scale ``[T]`` of one video."""
        raise NotImplementedError

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            gt = np.asarray(sample['target_points'], np.float64)
            self.results.append(
                dict(
                    video_name=sample['video_name'],
                    pred=np.asarray(sample['pred_tracks'], np.float64).transpose(1, 0, 2),
                    gt=gt.transpose(1, 0, 2),
                    evaluated=evaluated_joints(
                        np.asarray(sample['query_points']), np.asarray(sample['occluded'], bool)
                    ).T,
                    normaliser=self.normaliser(sample),
                )
            )

    def _pck(self, results: List[dict]) -> Dict[str, float]:
        pooled = {
            k: np.concatenate([r[k] for r in results])
            for k in ('pred', 'gt', 'evaluated', 'normaliser')
        }
        values = pck(
            pooled['pred'],
            pooled['gt'],
            self.thresholds,
            pooled['normaliser'],
            pooled['evaluated'],
            average=self.average,
        )
        return {f'PCK@{alpha:g}': float(v) for alpha, v in values.items()}

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        results = sorted(results, key=lambda r: r['video_name'])
        per_video = {r['video_name']: self._pck([r]) for r in results}
        summary = self._pck(results)
        for key in list(summary):
            summary[f'{key}-VideoMean'] = float(np.nanmean([v[key] for v in per_video.values()]))
        if self.out_dir is not None:
            write_json_atomic(osp.join(self.out_dir, f'{self.task}_summary.json'), summary)
            write_json_atomic(osp.join(self.out_dir, f'{self.task}_per_video.json'), per_video)
        return summary


@METRICS.register_module()
class JhmdbPCKMetric(KeypointPCKMetric):
    """JHMDB: alpha x ``box_scale`` x diagonal of the frame's ground-truth joint
    box; PCK of every joint over all frames, then the mean over joints."""

    average = 'joint'

    def __init__(
        self, thresholds: Sequence[float] = JHMDB_THRESHOLDS, box_scale: float = 0.6, **kwargs
    ):
        super().__init__(thresholds, **kwargs)
        self.box_scale = box_scale

    def normaliser(self, sample: dict) -> np.ndarray:
        gt = np.asarray(sample['target_points'], np.float64).transpose(1, 0, 2)
        return jhmdb_normaliser(gt, scale=self.box_scale)


@METRICS.register_module()
class BadjaPCKMetric(KeypointPCKMetric):
    """BADJA: alpha x sqrt(area of the frame's ground-truth mask); correct
    joints over all evaluated (frame, joint) pairs pooled."""

    average = 'all'

    def __init__(self, thresholds: Sequence[float] = (BADJA_THRESHOLD,), **kwargs):
        super().__init__(thresholds, **kwargs)

    def normaliser(self, sample: dict) -> np.ndarray:
        return badja_normaliser(sample['mask_areas'])
