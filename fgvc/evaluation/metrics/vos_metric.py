"""DAVIS semi-supervised video object segmentation: J&F.

Definitions (official davis2017-evaluation conventions, METHOD.md section 6):
for every object k of a sequence (1..K, K the largest id in the first ground
truth mask) and every frame but the first and the last, J is the IoU of the
predicted and true masks of k and F the boundary F-measure, both with the
ground truth's void pixels (255) ignored. Per sequence-object, mean / recall /
decay of J and F come from :func:`fgvc.evaluation.functional.summary_statistics`;
the overall scores are their means over all sequence-objects and
``J&F-Mean = (J-Mean + F-Mean) / 2``.
"""

import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from fgvc.fileio import VOID, write_palette_png
from fgvc.registry import METRICS

from ..functional import boundary_f_measure, region_similarity, summary_statistics
from .tapvid_metric import write_json_atomic

STATISTICS = ('Mean', 'Recall', 'Decay')


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
class DavisVOSMetric(BaseMetric):
    """J&F per sequence-object and overall; predictions saved as palette PNGs.

    A data sample (as a dict) carries ``video_name``, ``gt_masks`` [T, H, W],
    ``num_objects`` and ``pred_masks`` [T, H, W].

    Args:
        bound_th: boundary tolerance of F.
        out_dir: where ``<task>_summary.json``, ``<task>_per_video.json`` and
            the predictions ``<task>_predictions/<seq>/%05d.png`` go.
        task: file-name prefix of those.
        save_predictions: write the palette PNGs.
    """

    default_prefix = ''

    def __init__(
        self,
        bound_th: float = 0.008,
        out_dir: Optional[str] = None,
        task: str = 'vos',
        save_predictions: bool = True,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.bound_th = bound_th
        self.out_dir = out_dir
        self.task = task
        self.save_predictions = save_predictions

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            name, pred = sample['video_name'], np.asarray(sample['pred_masks'], np.uint8)
            if self.out_dir is not None and self.save_predictions:
                folder = osp.join(self.out_dir, f'{self.task}_predictions', name)
                for t, labels in enumerate(pred):
                    write_palette_png(osp.join(folder, f'{t:05d}.png'), labels)
            scores = sequence_scores(
                np.asarray(sample['gt_masks'], np.uint8),
                pred,
                int(sample['num_objects']),
                self.bound_th,
            )
            # one result per video: the evaluator keeps as many results as videos
            self.results.append({f'{name}_{obj}': s for obj, s in scores.items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        per_object = dict(sorted((k, v) for r in results for k, v in r.items()))
        keys = [f'{m}-{s}' for m in 'JF' for s in STATISTICS]
        summary = {k: float(np.mean([v[k] for v in per_object.values()])) for k in keys}
        summary = {'J&F-Mean': (summary['J-Mean'] + summary['F-Mean']) / 2, **summary}
        if self.out_dir is not None:
            write_json_atomic(osp.join(self.out_dir, f'{self.task}_summary.json'), summary)
            write_json_atomic(osp.join(self.out_dir, f'{self.task}_per_video.json'), per_object)
        return summary
