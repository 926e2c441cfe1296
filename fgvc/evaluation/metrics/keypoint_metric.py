"""Keypoint tracking PCK on JHMDB and BADJA.

A data sample (as a dict) carries ``query_points`` [n, 3] (t, y, x),
``target_points`` [n, T, 2], ``occluded`` [n, T], ``joint_ids`` [n] (the
joint each query tracks), ``pred_tracks`` [n, T, 2] and, for BADJA,
``mask_areas`` [T]. A joint is scored in the frames after its query frame
(and in the query frame too with ``score_query_frame``) where its ground
truth is visible. Each video's record keeps, per threshold and per joint, how
many joints were scored and how many were correct, so that every averaging
rule is computed exactly from the records.
"""

from typing import Dict, List, Sequence

import numpy as np

from fgvc.registry import METRICS

from ..functional import (
    BADJA_THRESHOLD,
    JHMDB_THRESHOLDS,
    badja_normaliser,
    jhmdb_normaliser,
    pck_correct,
)
from ..predictions import read_keypoint_predictions, write_keypoint_predictions
from .base import VideoMetric, mean_over

AVERAGING = {
    'joint': 'PCK of each joint pooled over all frames of all videos, then the mean over joints',
    'all': 'correct over scored (frame, joint) pairs pooled over all videos',
    'video': "each video's pooled PCK, then the mean over videos",
}


def evaluated_joints(
    query_points: np.ndarray, occluded: np.ndarray, score_query_frame: bool = False
) -> np.ndarray:
    """``[n, T]`` bool: visible, and after (or at) the joint's query frame."""
    frames = np.arange(occluded.shape[1])[None]
    query = np.round(query_points[:, :1])
    return ~occluded & ((frames >= query) if score_query_frame else (frames > query))


def pck_from_counts(correct: np.ndarray, total: np.ndarray, average: str) -> float:
    """PCK from per-joint counts (``[k]`` each): 'joint' or 'all'/'video' pooling."""
    if average == 'joint':
        seen = total > 0
        return float(np.mean(correct[seen] / total[seen]))
    return float(correct.sum() / total.sum())


class KeypointPCKMetric(VideoMetric):
    """PCK at ``thresholds`` per video and over all videos.

    Subclasses give the per-frame normaliser.

    Args:
        thresholds: the alphas reported as ``PCK@alpha``.
        average: how correct joints are averaged over the dataset (see
            ``AVERAGING``); the summary's ``-VideoMean`` keys are always the
            mean over videos of each video's PCK under the same rule.
        score_query_frame: also score each joint in its query frame (where
            the tracker is given the answer).
        inclusive_threshold: count an error equal to the threshold as
            correct (``<=``, the release's JHMDB evaluation) instead of ``<``.
        pred_x_positive_only: count a joint in a frame only where its
            predicted x is > 0 (the release's JHMDB evaluation, whose
            read-out gives -1 for an empty map); JHMDB's box is then spanned
            by those joints only.
        out_dir, task, resume, dump_dir, protocol, provenance: see
            :class:`VideoMetric`.
    """

    gt_keys = ('query_points', 'target_points', 'occluded', 'joint_ids', 'mask_areas')
    default_average = 'joint'

    def __init__(
        self,
        thresholds: Sequence[float],
        average: str = None,
        score_query_frame: bool = False,
        inclusive_threshold: bool = False,
        pred_x_positive_only: bool = False,
        **kwargs,
    ):
        self.thresholds = tuple(float(a) for a in thresholds)
        self.average = average or self.default_average
        if self.average not in AVERAGING:
            raise ValueError(f'average must be one of {sorted(AVERAGING)}, got {self.average!r}')
        self.score_query_frame = score_query_frame
        self.inclusive_threshold = inclusive_threshold
        self.pred_x_positive_only = pred_x_positive_only
        super().__init__(**kwargs)

    def normaliser(self, sample: dict, counted: np.ndarray) -> np.ndarray:
        """Per-frame scale ``[T]`` of one video; ``counted`` ``[n, T]``: the
        joints that may be scored (visible, and predicted at x > 0 if asked)."""
        raise NotImplementedError

    def counted_joints(self, sample: dict) -> np.ndarray:
        """``[n, T]`` bool: visible, and predicted at x > 0 with ``pred_x_positive_only``."""
        counted = ~np.asarray(sample['occluded'], bool)
        if self.pred_x_positive_only:
            counted = counted & (np.asarray(sample['pred_tracks'])[..., 0] > 0)
        return counted

    def describe(self) -> Dict[str, object]:
        return dict(
            thresholds=list(self.thresholds),
            frames_scored='frames where the joint is visible'
            + (' and predicted at x > 0' if self.pred_x_positive_only else '')
            + ', '
            + ('from' if self.score_query_frame else 'after')
            + ' its query frame',
            correct='error <= threshold' if self.inclusive_threshold else 'error < threshold',
            averaging=AVERAGING[self.average],
        )

    def key(self, alpha: float) -> str:
        return f'PCK@{alpha:g}'

    def score_video(self, sample: dict) -> dict:
        # [T, n, 2]: frames lead, as pck_correct's per-frame normaliser expects
        gt = np.asarray(sample['target_points'], np.float64).transpose(1, 0, 2)
        pred = np.asarray(sample['pred_tracks'], np.float64).transpose(1, 0, 2)
        counted = self.counted_joints(sample)
        evaluated = evaluated_joints(
            np.asarray(sample['query_points']), ~counted, self.score_query_frame
        )
        joint_ids = np.asarray(sample.get('joint_ids', np.arange(gt.shape[1])), np.int64)
        normaliser = self.normaliser(sample, counted)
        total = evaluated.sum(1)
        record = dict(joint_ids=joint_ids.tolist(), total=total.tolist(), correct={})
        if total.sum() == 0:
            record.update(metrics={}, excluded='no visible joint in a scored frame')
            return record
        rule = 'all' if self.average == 'video' else self.average
        metrics = {}
        with np.errstate(invalid='ignore'):
            for alpha in self.thresholds:
                correct = pck_correct(pred, gt, alpha, normaliser, self.inclusive_threshold)
                correct = correct.T & evaluated
                counts = correct.sum(1)
                record['correct'][self.key(alpha)] = counts.tolist()
                metrics[self.key(alpha)] = pck_from_counts(counts, total, rule)
        record['metrics'] = metrics
        return record

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        keys = [self.key(a) for a in self.thresholds]
        if self.average == 'video':
            summary = mean_over(records, keys)
        else:
            joint_ids = np.concatenate([r['joint_ids'] for r in records]).astype(np.int64)
            total = np.concatenate([r['total'] for r in records])
            joints = np.unique(joint_ids)
            per_joint_total = np.array([total[joint_ids == j].sum() for j in joints])
            summary = {}
            for key in keys:
                correct = np.concatenate([r['correct'][key] for r in records])
                per_joint = np.array([correct[joint_ids == j].sum() for j in joints])
                summary[key] = pck_from_counts(per_joint, per_joint_total, self.average)
        for key, value in mean_over(records, keys).items():
            summary[f'{key}-VideoMean'] = value
        return summary

    def dump_predictions(self, sample: dict, dump_dir: str) -> None:
        joint_ids = sample.get('joint_ids', np.arange(len(sample['pred_tracks'])))
        write_keypoint_predictions(dump_dir, sample['video_name'], sample['pred_tracks'], joint_ids)

    def read_predictions(self, sample: dict, source) -> dict:
        joint_ids = sample.get('joint_ids', np.arange(len(sample['target_points'])))
        num_frames = np.shape(sample['occluded'])[1]
        return read_keypoint_predictions(source, sample['video_name'], joint_ids, num_frames)


@METRICS.register_module()
class JhmdbPCKMetric(KeypointPCKMetric):
    """JHMDB: alpha x ``box_scale`` x diagonal of the box around the frame's
    visible ground-truth joints; by default PCK of every joint over all
    frames, then the mean over joints."""

    default_average = 'joint'

    def __init__(
        self, thresholds: Sequence[float] = JHMDB_THRESHOLDS, box_scale: float = 0.6, **kwargs
    ):
        self.box_scale = box_scale
        super().__init__(thresholds, **kwargs)

    def describe(self) -> Dict[str, object]:
        return dict(
            super().describe(),
            metric=f'PCK@alpha: error < alpha x {self.box_scale} x diagonal of the box around '
            "the frame's ground-truth joints",
            metric_reference='JHMDB (Jhuang et al., 2013); PCK as in Li et al. 2019 / CRW',
        )

    def normaliser(self, sample: dict, counted: np.ndarray) -> np.ndarray:
        gt = np.asarray(sample['target_points'], np.float64).transpose(1, 0, 2)
        with np.errstate(invalid='ignore'):
            return jhmdb_normaliser(gt, counted.T, scale=self.box_scale)


@METRICS.register_module()
class BadjaPCKMetric(KeypointPCKMetric):
    """BADJA: alpha x sqrt(area of the frame's ground-truth mask); by default
    correct joints over all scored (frame, joint) pairs pooled."""

    default_average = 'all'

    def __init__(self, thresholds: Sequence[float] = (BADJA_THRESHOLD,), **kwargs):
        super().__init__(thresholds, **kwargs)

    def describe(self) -> Dict[str, object]:
        return dict(
            super().describe(),
            metric="PCK@alpha: error < alpha x sqrt(area of the frame's ground-truth mask)",
            metric_reference='BADJA (Biggs et al., 2018)',
        )

    def normaliser(self, sample: dict, counted: np.ndarray) -> np.ndarray:
        return badja_normaliser(sample['mask_areas'])
