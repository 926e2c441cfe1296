"""TAP-Vid point-tracking metric, averaged over videos (tapnet) or over tracks."""

from typing import Dict, List

import numpy as np

from fgvc.registry import METRICS

from ..functional import compute_tapvid_metrics
from ..predictions import read_point_predictions, write_point_predictions
from .base import VideoMetric, mean_over

TAPVID_INPUTS = ('query_points', 'occluded', 'target_points', 'pred_occluded', 'pred_tracks')
AVERAGING = ('video', 'track')


@METRICS.register_module()
class TapVidMetric(VideoMetric):
    """Per-video TAP-Vid metrics and their mean over videos or over tracks.

    A video without a visible point to score (no query, or no visible frame
    after any query) is left out of the means and reported.

    Args:
        averaging: 'video' (the default, tapnet's and FGVC's protocol): each
            video's metrics pool its points, then the mean over videos;
            'track': each query's metrics over its own frames, then the mean
            over all queries of all videos (a query with no visible frame to
            score has no ``pts_within``/``jaccard`` and is left out of those).
        out_dir, task, resume, dump_dir, protocol, provenance: see
            :class:`VideoMetric`.
    """

    gt_keys = ('query_points', 'target_points', 'occluded')

    def __init__(self, averaging: str = 'video', **kwargs):
        if averaging not in AVERAGING:
            raise ValueError(f'averaging must be one of {AVERAGING}, got {averaging!r}')
        self.averaging = averaging
        super().__init__(**kwargs)

    def describe(self) -> Dict[str, object]:
        return dict(
            metric='TAP-Vid occlusion_accuracy, pts_within_{1,2,4,8,16}, jaccard_{1,2,4,8,16}, '
            'average_pts_within_thresh (<delta^x_avg), average_jaccard (AJ)',
            metric_reference='TAP-Vid (Doersch et al., 2022), tapnet evaluation code',
            frames_scored="'first' queries: frames after the query frame; 'strided': every "
            'frame but the query frame',
            averaging={
                'video': "pooled over a video's points, then the mean over videos",
                'track': 'per query track, then the mean over all tracks',
            }[self.averaging],
        )

    def score_video(self, sample: dict) -> dict:
        inputs = [np.asarray(sample[k]) for k in TAPVID_INPUTS]
        mode = sample['query_mode']
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
        elif self.averaging == 'track':
            per_track = compute_tapvid_metrics(*[x[:, None] for x in inputs], query_mode=mode)
            record['tracks'] = {k: v.tolist() for k, v in per_track.items()}
        return record

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        keys = [k for k in records[0]['metrics'] if k != 'num_queries']
        if self.averaging == 'video':
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
