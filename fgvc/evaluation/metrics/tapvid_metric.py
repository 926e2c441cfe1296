"""TAP-Vid point-tracking metric, averaged over videos (tapnet) or over tracks."""

from typing import Dict, List

import numpy as np

from fgvc.registry import METRICS

from ..functional import compute_tapvid_metrics
from ..predictions import read_point_predictions, write_point_predictions
from .base import VideoMetric, mean_over

TAPVID_INPUTS = ('query_points', 'occluded', 'target_points', 'pred_occluded', 'pred_tracks')
AVERAGING = {
    'video': "pooled over a video's points, then the mean over videos",
    'track': 'per query track, then the mean over all tracks',
    'track_then_video': "per query track, then the mean over a video's tracks, then the mean "
    'over videos',
}


@METRICS.register_module()
class TapVidMetric(VideoMetric):
    """Per-video TAP-Vid metrics and their mean over videos or over tracks.

    A video without a visible point to score (no query, or no visible frame
    after any query) is left out of the means and reported.

    Args:
        averaging: 'video' (the default, tapnet's protocol): each video's
            metrics pool its points, then the mean over videos; 'track': each
            query's metrics over its own frames, then the mean over all
            queries of all videos; 'track_then_video' (the authors' release,
            ``figures.py`` ``table3``): each query's metrics, their mean over
            the video's queries, then the mean over videos. A query with no
            visible frame to score has no ``pts_within``/``jaccard`` and is
            left out of those means (as pandas leaves out NaN).
        score_before_query: 'first' queries are also scored in the frames
            before their query frame, i.e. in every frame but it (the
            release's copy of the TAP-Vid evaluation: its
            ``np.where(gt_occluded[i] == 0)[0][0]`` takes a point index, 0,
            for the first visible frame). Those frames are occluded in the
            ground truth, so only occlusion accuracy changes.
        out_dir, task, resume, dump_dir, protocol, provenance: see
            :class:`VideoMetric`.
    """

    gt_keys = ('query_points', 'target_points', 'occluded')

    def __init__(self, averaging: str = 'video', score_before_query: bool = False, **kwargs):
        if averaging not in AVERAGING:
            raise ValueError(f'averaging must be one of {list(AVERAGING)}, got {averaging!r}')
        self.averaging = averaging
        self.score_before_query = score_before_query
        super().__init__(**kwargs)

    def describe(self) -> Dict[str, object]:
        return dict(
            metric='TAP-Vid occlusion_accuracy, pts_within_{1,2,4,8,16}, jaccard_{1,2,4,8,16}, '
            'average_pts_within_thresh (<delta^x_avg), average_jaccard (AJ)',
            metric_reference='TAP-Vid (Doersch et al., 2022), tapnet evaluation code',
            frames_scored=(
                "every frame but the query frame (also for 'first' queries)"
                if self.score_before_query
                else "'first' queries: frames after the query frame; 'strided': every "
                'frame but the query frame'
            ),
            averaging=AVERAGING[self.averaging],
        )

    def score_video(self, sample: dict) -> dict:
        inputs = [np.asarray(sample[k]) for k in TAPVID_INPUTS]
        # the query mode only says which frames are scored
        mode = 'strided' if self.score_before_query else sample['query_mode']
        num_queries = len(inputs[0])
        metrics = (
            {
                k: float(v[0])
                for k, v in compute_tapvid_metrics(
                    *[x[None] for x in inputs], query_mode=mode
                ).items()
            }
            if num_queries
            else {}
        )
        record = dict(metrics=dict(metrics, num_queries=num_queries))
        if num_queries == 0:
            record['excluded'] = 'no query point: every track is occluded in every frame'
        elif not np.isfinite(list(metrics.values())).all():
            record['excluded'] = 'no visible ground-truth point in a frame after a query frame'
        elif self.averaging != 'video':
            per_track = compute_tapvid_metrics(*[x[:, None] for x in inputs], query_mode=mode)
            if self.averaging == 'track':
                record['tracks'] = {k: v.tolist() for k, v in per_track.items()}
            else:
                record['metrics'] = dict(
                    {k: _finite_mean(v) for k, v in per_track.items()}, num_queries=num_queries
                )
        return record

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        keys = [k for k in records[0]['metrics'] if k != 'num_queries']
        if self.averaging != 'track':
            return mean_over(records, keys)
        summary = {}
        for key in keys:
            values = np.concatenate([r['tracks'][key] for r in records])
            summary[key] = float(np.mean(values[np.isfinite(values)]))
        return summary

    def dump_predictions(self, sample: dict, dump_dir: str) -> None:
        write_point_predictions(
            dump_dir,
            sample['video_name'],
            sample['pred_tracks'],
            sample['pred_occluded'],
            sample['raster_hw'],
        )

    def read_predictions(self, sample: dict, source, raster_hw=None) -> dict:
        """``raster_hw``: the raster of tracks whose file does not name one
        (default: the scored raster)."""
        return read_point_predictions(
            source,
            sample['video_name'],
            len(sample['query_points']),
            sample['track_ids'],
            np.shape(sample['occluded'])[1],
            sample['raster_hw'],
            raster_hw,
        )


def _finite_mean(values: np.ndarray) -> float:
    """Mean of the finite values (NaN when there is none)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float('nan')
