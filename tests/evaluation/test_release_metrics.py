"""The metric switches of the `release` protocol on hand-computed cases:
TAP-Vid's per-track-then-per-video averaging and the frames it scores, and
PCK's inclusive threshold and its count of joints predicted at x > 0."""

import numpy as np
import pytest

from fgvc.evaluation.metrics import JhmdbPCKMetric, TapVidMetric


def tapvid_sample(name, gt, pred, occluded, query_frames, pred_occluded=None):
    """``gt``/``pred`` [n, T, 2]; queries at ``query_frames`` (positions unused)."""
    gt, pred = np.asarray(gt, float), np.asarray(pred, float)
    occluded = np.asarray(occluded, bool)
    queries = np.zeros((len(gt), 3))
    queries[:, 0] = query_frames
    return dict(
        video_name=name,
        query_points=queries,
        target_points=gt,
        occluded=occluded,
        pred_tracks=pred,
        pred_occluded=np.zeros_like(occluded) if pred_occluded is None else pred_occluded,
        query_mode='first',
    )


def shifted(gt, errors):
    """``gt`` moved right by ``errors`` [n, T] pixels."""
    pred = np.array(gt, float)
    pred[..., 0] += errors
    return pred


def score(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def videos():
    """Video a: track 0 exact, track 1 off by 3 px in its one visible scored
    frame (occluded in frame 2); video b: track 0 off by 10 px, track 1
    visible only at its query frame (nothing to score: left out)."""
    gt = np.full((2, 3, 2), 50.0)
    a = tapvid_sample('a', gt, shifted(gt, [[0, 0, 0], [0, 3, 3]]), [[0, 0, 0], [0, 0, 1]], [0, 0])
    b = tapvid_sample(
        'b', gt, shifted(gt, [[0, 10, 10], [0, 0, 0]]), [[0, 0, 0], [0, 1, 1]], [0, 0]
    )
    return [a, b]


def test_track_then_video_averaging():
    # <delta^x_avg: thresholds 1, 2, 4, 8, 16 -> 0 px: 5/5, 3 px: 3/5, 10 px: 1/5
    got = score(TapVidMetric(averaging='track_then_video'), videos())
    assert got['average_pts_within_thresh'] == pytest.approx(((1 + 0.6) / 2 + 0.2) / 2)
    pooled = score(TapVidMetric(averaging='video'), videos())
    a_pooled = np.mean([2 / 3, 2 / 3, 1, 1, 1])  # three scored frames in video a
    assert pooled['average_pts_within_thresh'] == pytest.approx((a_pooled + 0.2) / 2)
    tracks = score(TapVidMetric(averaging='track'), videos())
    assert tracks['average_pts_within_thresh'] == pytest.approx((1 + 0.6 + 0.2) / 3)


def test_scoring_before_the_query_frame_changes_occlusion_accuracy_only():
    """One track hidden in frame 0, queried at frame 1, predicted occluded
    everywhere: frame 0 (hidden, predicted hidden) counts only when the
    frames before the query frame are scored."""
    gt = np.full((1, 3, 2), 20.0)
    sample = tapvid_sample('v', gt, gt, [[1, 0, 0]], [1], np.ones((1, 3), bool))
    after = score(TapVidMetric(), [sample])
    every = score(TapVidMetric(score_before_query=True), [dict(sample)])
    assert after['occlusion_accuracy'] == 0.0 and every['occlusion_accuracy'] == 0.5
    assert after['average_pts_within_thresh'] == every['average_pts_within_thresh'] == 1.0
    assert every['average_jaccard'] == 0.0


def jhmdb_sample(pred):
    """Two frames, three joints; frame boxes 6 x 8 (normaliser 0.6 x 10 = 6)."""
    gt = np.array([[[0, 0], [0, 0]], [[6, 8], [6, 8]], [[3, 4], [3, 4]]], float)
    return dict(
        video_name='v',
        query_points=np.zeros((3, 3)),
        target_points=gt,
        occluded=np.zeros((3, 2), bool),
        joint_ids=np.arange(3),
        pred_tracks=np.asarray(pred, float),
    )


def test_an_error_equal_to_the_threshold_counts_when_inclusive():
    gt = jhmdb_sample(np.zeros((3, 2, 2)))['target_points']
    pred = shifted(gt, [[0, 3], [0, 3], [0, 0]])  # 3 px = 0.5 x 6 in frame 1
    options = dict(thresholds=(0.5,), average='all', score_query_frame=True)
    strict = score(JhmdbPCKMetric(**options), [jhmdb_sample(pred)])
    inclusive = score(JhmdbPCKMetric(**options, inclusive_threshold=True), [jhmdb_sample(pred)])
    assert strict['PCK@0.5'] == pytest.approx(4 / 6) and inclusive['PCK@0.5'] == 1.0


def test_only_joints_predicted_at_positive_x_are_counted_and_span_the_box():
    """Frame 1: joint 1 predicted at x = -1 (an empty map) is not scored, and
    the box of joints 0 and 2 (3 x 4, normaliser 3) makes joint 2's 2 px error
    wrong at alpha 0.5 (right with joint 1's box, normaliser 6)."""
    gt = jhmdb_sample(np.zeros((3, 2, 2)))['target_points']
    pred = shifted(gt, [[1, 1], [0, 0], [0, 2]])
    pred[1, 1] = (-1, -1)
    options = dict(thresholds=(0.5,), average='all', score_query_frame=True)
    every = score(JhmdbPCKMetric(**options), [jhmdb_sample(pred)])
    assert every['PCK@0.5'] == pytest.approx(5 / 6)  # joint 1 of frame 1 wrong
    counted = score(JhmdbPCKMetric(**options, pred_x_positive_only=True), [jhmdb_sample(pred)])
    # frame 0: 3 joints right; frame 1: joint 0 right (1 < 1.5), joint 2 wrong (2 > 1.5)
    assert counted['PCK@0.5'] == pytest.approx(4 / 5)
