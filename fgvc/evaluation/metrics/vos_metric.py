"""DAVIS semi-supervised video object segmentation: J&F.

Definitions (official davis2017-evaluation conventions, docs/method.md section 6):
for every object k of a sequence (1..K, K the largest id in the first ground
truth mask) and every frame but the first and the last, J is the IoU of the
predicted and true masks of k and F the boundary F-measure, both with the
ground truth's void pixels (255) ignored. Per sequence-object, mean / recall /
decay of J and F come from :func:`fgvc.evaluation.functional.summary_statistics`;
the overall scores are their means over all sequence-objects and
``J&F-Mean = (J-Mean + F-Mean) / 2``.
"""

from typing import Dict, List

import numpy as np

from fgvc.fileio import VOID
from fgvc.registry import METRICS

from ..functional import boundary_f_measure, region_similarity, summary_statistics
from ..predictions import read_mask_predictions, write_mask_predictions
from .base import VideoMetric

STATISTICS = ('Mean', 'Recall', 'Decay')
KEYS = tuple(f'{m}-{s}' for m in 'JF' for s in STATISTICS)


def sequence_scores(
    gt_masks: np.ndarray, pred_masks: np.ndarray, num_objects: int, bound_th: float
) -> Dict[int, Dict[str, float]]:
    """``{object id: {'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', ...}}`` of one sequence.

    Args:
        gt_masks: uint8 ``[T, H, W]`` ground-truth ids (255 void).
        pred_masks: uint8 ``[T, H, W]`` predicted ids.
        num_objects: K; objects are ids 1..K.
        bound_th: boundary tolerance of F (fraction of the diagonal if < 1).
    """
    if gt_masks.shape != pred_masks.shape:
        raise ValueError(f'ground truth {gt_masks.shape} and prediction {pred_masks.shape} differ')
    gt, pred = gt_masks[1:-1], pred_masks[1:-1]
    void = gt == VOID
    scores = {}
    for obj in range(1, num_objects + 1):
        per_frame = dict(
            J=region_similarity(gt == obj, pred == obj, void),
            F=boundary_f_measure(gt == obj, pred == obj, void, bound_th),
        )
        scores[obj] = {
            f'{m}-{s}': float(v)
            for m, values in per_frame.items()
            for s, v in zip(STATISTICS, summary_statistics(values))
        }
    return scores


@METRICS.register_module()
class DavisVOSMetric(VideoMetric):
    """J&F per sequence-object and overall; predictions saved as palette PNGs.

    A data sample (as a dict) carries ``video_name``, ``gt_masks`` [T, H, W],
    ``num_objects`` and ``pred_masks`` [T, H, W].

    Args:
        bound_th: boundary tolerance of F.
        save_predictions: also write the palette PNGs to
            ``<out_dir>/<task>_predictions/<seq>/%05d.png``.
        out_dir, task, resume, dump_dir, protocol, provenance: see
            :class:`VideoMetric`.
    """

    gt_keys = ('gt_masks', 'num_objects')

    def __init__(self, bound_th: float = 0.008, save_predictions: bool = True, **kwargs):
        self.bound_th = bound_th
        self.save_predictions = save_predictions
        super().__init__(**kwargs)

    def describe(self) -> Dict[str, object]:
        return dict(
            metric=f'J (IoU) and F (boundary F-measure, tolerance {self.bound_th} of the '
            'diagonal), void pixels ignored; mean, recall (> 0.5) and decay',
            metric_reference='DAVIS-2017 (Pont-Tuset et al.), davis2017-evaluation',
            frames_scored='every frame but the first and the last',
            averaging='per sequence-object over frames, then the mean over sequence-objects',
        )

    def score_video(self, sample: dict) -> dict:
        name, pred = sample['video_name'], np.asarray(sample['pred_masks'], np.uint8)
        if self.out_dir is not None and self.save_predictions:
            write_mask_predictions(f'{self.out_dir}/{self.task}_predictions', name, pred)
        scores = sequence_scores(
            np.asarray(sample['gt_masks'], np.uint8),
            pred,
            int(sample['num_objects']),
            self.bound_th,
        )
        return dict(metrics={str(obj): s for obj, s in scores.items()})

    def per_video(self, records: List[dict]) -> Dict[str, object]:
        return {f'{r["video_name"]}_{obj}': s for r in records for obj, s in r['metrics'].items()}

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        per_object = [s for r in records for _, s in sorted(r['metrics'].items(), key=_obj)]
        summary = {k: float(np.mean([s[k] for s in per_object])) for k in KEYS}
        return {'J&F-Mean': (summary['J-Mean'] + summary['F-Mean']) / 2, **summary}

    def dump_predictions(self, sample: dict, dump_dir: str) -> None:
        write_mask_predictions(dump_dir, sample['video_name'], sample['pred_masks'])

    def read_predictions(self, sample: dict, source) -> dict:
        gt = np.shape(sample['gt_masks'])
        return read_mask_predictions(source, sample['video_name'], gt[0], gt[1:])


def _obj(item) -> int:
    return int(item[0])
