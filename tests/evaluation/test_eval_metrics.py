"""JHMDB / BADJA PCK and DAVIS J&F metrics against brute force and the official fixture."""

import json

import numpy as np
import pytest
from PIL import Image

from fgvc.evaluation.metrics import BadjaPCKMetric, DavisVOSMetric, JhmdbPCKMetric
from fgvc.evaluation.summary import summary_metrics


def run_metric(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def keypoint_sample(rng, name, num_joints=6, num_frames=7, query_frames=None):
    gt = rng.uniform(0, 100, (num_joints, num_frames, 2))
    pred = gt + rng.normal(0, 6, gt.shape)
    occluded = rng.uniform(size=(num_joints, num_frames)) < 0.3
    queries = (
        np.zeros((num_joints, 3))
        if query_frames is None
        else np.stack([query_frames, np.zeros(num_joints), np.zeros(num_joints)], 1)
    )
    return dict(
        video_name=name,
        target_points=gt,
        pred_tracks=pred,
        occluded=occluded,
        query_points=queries,
        mask_areas=rng.uniform(500, 3000, num_frames),
    )


def brute_pck(samples, alpha, scale_of, per_joint):
    """Loops over every (video, frame, joint) after the query frame and visible."""
    hits, counts = {}, {}
    for s in samples:
        for n in range(len(s['target_points'])):
            for t in range(int(s['query_points'][n, 0]) + 1, s['target_points'].shape[1]):
                if s['occluded'][n, t]:
                    continue
                err = np.hypot(*(s['pred_tracks'][n, t] - s['target_points'][n, t]))
                key = n if per_joint else 0
                hits[key] = hits.get(key, 0) + (err < alpha * scale_of(s, t))
                counts[key] = counts.get(key, 0) + 1
    return float(np.mean([hits[k] / counts[k] for k in counts]))


def jhmdb_scale(sample, t):
    gt = sample['target_points'][:, t]
    return 0.6 * np.hypot(*(gt.max(0) - gt.min(0)))


def test_jhmdb_pck_equals_brute_force(tmp_path):
    rng = np.random.default_rng(0)
    samples = [keypoint_sample(rng, f'v{i}') for i in range(3)]
    for s in samples:
        s['occluded'][:] = False  # JHMDB counts every joint
    summary = run_metric(JhmdbPCKMetric(out_dir=str(tmp_path), task='jhmdb'), samples)
    for alpha in (0.1, 0.2, 0.3, 0.4, 0.5):
        expected = brute_pck(samples, alpha, jhmdb_scale, True)
        assert summary[f'PCK@{alpha}'] == pytest.approx(expected)
    per_video = json.loads((tmp_path / 'jhmdb_per_video.json').read_text())
    expected = brute_pck(samples[1:2], 0.2, jhmdb_scale, True)
    assert per_video['v1']['PCK@0.2'] == pytest.approx(expected)
    assert summary_metrics(json.loads((tmp_path / 'jhmdb_summary.json').read_text())) == summary


def test_badja_pck_equals_brute_force(tmp_path):
    rng = np.random.default_rng(1)
    samples = [keypoint_sample(rng, f'v{i}', query_frames=rng.integers(0, 3, 6)) for i in range(3)]

    def scale(s, t):
        return np.sqrt(s['mask_areas'][t])

    summary = run_metric(BadjaPCKMetric(out_dir=str(tmp_path), task='badja'), samples)
    assert summary['PCK@0.2'] == pytest.approx(brute_pck(samples, 0.2, scale, False))
    per_video = [brute_pck([s], 0.2, scale, False) for s in samples]
    assert summary['PCK@0.2-VideoMean'] == pytest.approx(np.mean(per_video))
    saved = json.loads((tmp_path / 'badja_per_video.json').read_text())
    assert [saved[f'v{i}']['PCK@0.2'] for i in range(3)] == pytest.approx(per_video)


def test_vos_metric_reproduces_the_official_fixture(data_dir):
    d = np.load(data_dir / 'fixtures' / 'metrics' / 'davis_jf.npz')
    gt, pred = d['gt'].astype(np.uint8), d['pred'].astype(np.uint8)
    # The metric skips the first and the last frame: pad the fixture with two.
    gt_masks = np.concatenate([gt[:1], gt, gt[-1:]])
    pred_masks = np.concatenate([1 - gt[:1], pred, 1 - gt[-1:]])
    summary = run_metric(
        DavisVOSMetric(),
        [dict(video_name='fixture', gt_masks=gt_masks, pred_masks=pred_masks, num_objects=1)],
    )
    for name, expected in (('J', d['expected_J_stats']), ('F', d['expected_F_stats'])):
        got = [summary[f'{name}-{s}'] for s in ('Mean', 'Recall', 'Decay')]
        np.testing.assert_allclose(got, expected, atol=1e-6)
    assert summary['J&F-Mean'] == pytest.approx(
        (d['expected_J_stats'][0] + d['expected_F_stats'][0]) / 2
    )


def test_vos_metric_objects_void_and_saved_predictions(tmp_path):
    gt = np.zeros((5, 20, 30), np.uint8)
    gt[:, 2:8, 3:12] = 1
    gt[:, 10:18, 15:28] = 2
    gt[:, 9, :] = 255  # void row
    pred = gt.copy()
    pred[pred == 255] = 2  # anything on void pixels is ignored
    pred[2, 10:18, 15:28] = 0  # object 2 lost in frame 2
    metric = DavisVOSMetric(out_dir=str(tmp_path), task='vos')
    summary = run_metric(
        metric, [dict(video_name='seq', gt_masks=gt, pred_masks=pred, num_objects=2)]
    )
    per_object = json.loads((tmp_path / 'vos_per_video.json').read_text())
    assert per_object['seq_1']['J-Mean'] == 1.0 and per_object['seq_1']['F-Mean'] == 1.0
    assert per_object['seq_2']['J-Mean'] == pytest.approx(2 / 3)  # frames 1..3, one lost
    assert summary['J-Mean'] == pytest.approx((1 + 2 / 3) / 2)
    assert list(summary) == [
        'J&F-Mean',
        'J-Mean',
        'J-Recall',
        'J-Decay',
        'F-Mean',
        'F-Recall',
        'F-Decay',
    ]
    assert summary_metrics(json.loads((tmp_path / 'vos_summary.json').read_text())) == summary
    for t in range(5):
        image = Image.open(tmp_path / 'vos_predictions' / 'seq' / f'{t:05d}.png')
        assert image.mode == 'P'
        np.testing.assert_array_equal(np.array(image), pred[t])
