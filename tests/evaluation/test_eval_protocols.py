"""Protocol switches, each on a hand-built case whose answer is worked out here."""

import json

import cv2
import numpy as np
import pytest
import scipy.io

from fgvc.datasets import JhmdbDataset
from fgvc.evaluation.metrics import BadjaPCKMetric, JhmdbPCKMetric, TapVidMetric
from fgvc.utils import register_all_modules

register_all_modules()
PIPELINE = [
    dict(type='SampleKeypointQueries'),
    dict(
        type='PackTrackInputs', data_keys=('query_points', 'target_points', 'occluded', 'joint_ids')
    ),
]


def summarize(metric, samples):
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


# ------------------------------------------------------------------ BADJA
def badja_video(name, num_joints, errors):
    """Joints visible in every frame, queried at frame 0; ``errors[t]`` px
    along x in frame t (frame 0: the query, error 0). Mask area 100: the
    PCK@0.2 threshold is 0.2 x 10 = 2 px."""
    num_frames = len(errors)
    gt = np.full((num_joints, num_frames, 2), 30.0)
    pred = gt.copy()
    pred[:, :, 0] += np.asarray(errors, float)[None]
    return dict(
        video_name=name,
        query_points=np.array([[0, 30.0, 30.0]] * num_joints),
        target_points=gt,
        occluded=np.zeros((num_joints, num_frames), bool),
        joint_ids=np.arange(num_joints),
        mask_areas=np.full(num_frames, 100.0),
        pred_tracks=pred,
        raster_hw=(64, 64),
    )


def badja_videos():
    # A: 1 joint, frames 1, 2 scored: right, wrong (5 px). B: 3 joints, frame 1 right.
    return [badja_video('a', 1, [0, 0, 5]), badja_video('b', 3, [0, 0])]


@pytest.mark.parametrize(
    'average, score_query_frame, expected',
    [
        ('all', False, (1 + 3) / (2 + 3)),  # pooled: 4 of 5 (FGVC's protocol)
        ('video', False, (1 / 2 + 3 / 3) / 2),  # per video, then their mean
        ('all', True, (2 + 6) / (3 + 6)),  # query frames count, always right
        ('video', True, (2 / 3 + 6 / 6) / 2),
    ],
)
def test_badja_pooled_or_per_video_with_or_without_the_query_frame(
    average, score_query_frame, expected
):
    metric = BadjaPCKMetric(average=average, score_query_frame=score_query_frame)
    summary = summarize(metric, badja_videos())
    assert summary['PCK@0.2'] == pytest.approx(expected, abs=1e-12)
    assert summary['PCK@0.2-VideoMean'] == pytest.approx(
        (2 / 3 + 1) / 2 if score_query_frame else (1 / 2 + 1) / 2, abs=1e-12
    )


# ------------------------------------------------------------------ JHMDB
SIZE = 16


def write_jhmdb(root, joints_xy):
    """One video, frames SIZE x SIZE; ``joints_xy`` [J, T, 2] 0-based pixel-centre x, y."""
    frames = root / 'Rename_Images/catch/v'
    frames.mkdir(parents=True)
    for t in range(joints_xy.shape[1]):
        cv2.imwrite(str(frames / f'{t + 1:05d}.png'), np.full((SIZE, SIZE, 3), 9 * t, np.uint8))
    mat = root / 'joint_positions/catch/v'
    mat.mkdir(parents=True)
    pos = (joints_xy + 0.5).transpose(2, 0, 1)  # MATLAB 1-based, [2, J, T]
    scipy.io.savemat(str(mat / 'joint_positions.mat'), {'pos_img': pos})
    (root / 'val_list.txt').write_text(
        'JHMDB/joint_positions/catch/v/joint_positions.mat JHMDB/Rename_Images/catch/v\n'
    )


@pytest.mark.parametrize(
    'visibility, score_query_frame, expected',
    [
        # joints 0 and 2: right in frames 1, 2; joint 1: right in frame 1, 12 px
        # off in frame 2, where it lies outside the frame (x = 20 > 16)
        ('all', False, (2 / 2 + 1 / 2 + 2 / 2) / 3),  # FGVC's protocol: every joint
        ('in_frame', False, (2 / 2 + 1 / 1 + 2 / 2) / 3),  # joint 1 not visible in frame 2
        ('all', True, (3 / 3 + 2 / 3 + 3 / 3) / 3),
        ('in_frame', True, (3 / 3 + 2 / 2 + 3 / 3) / 3),
    ],
)
def test_jhmdb_visibility_and_query_frame(tmp_path, visibility, score_query_frame, expected):
    joints = np.array(
        [[[4, 4], [4, 4], [4, 4]], [[8, 8], [8, 8], [20, 8]], [[12, 12], [12, 12], [12, 12]]],
        float,
    )
    root = tmp_path / 'JHMDB'
    write_jhmdb(root, joints)
    dataset = JhmdbDataset(str(root), PIPELINE, visibility=visibility)
    sample = dataset[0]['data_samples'].to_dict()
    pred = joints.copy()
    pred[1, 2] = (8, 8)  # 12 px off; threshold 0.5 x 0.6 x |(16, 8)| = 5.4 px
    sample['pred_tracks'] = pred[sample['joint_ids']]
    metric = JhmdbPCKMetric(thresholds=(0.5,), score_query_frame=score_query_frame)
    assert summarize(metric, [sample])['PCK@0.5'] == pytest.approx(expected, abs=1e-12)


def test_jhmdb_not_finite_joints_need_a_visibility_rule(tmp_path):
    joints = np.array([[[4, 4], [4, 4]], [[8, 8], [np.nan, 8]]], float)
    root = tmp_path / 'JHMDB'
    write_jhmdb(root, joints)
    with pytest.raises(ValueError, match=r"joint_positions.mat \(video 'catch/v'\): field pos_img"):
        JhmdbDataset(str(root), PIPELINE)[0]
    sample = JhmdbDataset(str(root), PIPELINE, visibility='in_frame')[0]['data_samples']
    assert sample.occluded.tolist() == [[False, False], [False, True]]


# ---------------------------------------------------------------- TAP-Vid
def tapvid_video(name, errors):
    """Tracks visible in 3 frames, queried at frame 0; ``errors[i][t - 1]``
    px along x in frame t of track i (100 px: outside every threshold)."""
    errors = np.asarray(errors, float)
    gt = np.full((len(errors), 3, 2), 50.0)
    pred = gt.copy()
    pred[:, 1:, 0] += errors
    return dict(
        video_name=name,
        query_mode='first',
        query_points=np.tile([0, 50.0, 50.0], (len(errors), 1)),
        target_points=gt,
        occluded=np.zeros((len(errors), 3), bool),
        pred_tracks=pred,
        pred_occluded=np.zeros((len(errors), 3), bool),
        raster_hw=(256, 256),
    )


@pytest.mark.parametrize(
    'averaging, within, jaccard',
    [
        # A: two right tracks and one wrong: 4 of 6 frames within; B: one
        # track right in frame 1 only: 1 of 2. Jaccard = TP / (visible + FP).
        ('video', (4 / 6 + 1 / 2) / 2, (4 / 8 + 1 / 3) / 2),
        ('track', (1 + 1 + 0 + 1 / 2) / 4, (1 + 1 + 0 + 1 / 3) / 4),
    ],
)
def test_tapvid_per_video_or_per_track_averaging(averaging, within, jaccard):
    videos = [tapvid_video('a', [[0, 0], [0, 0], [100, 100]]), tapvid_video('b', [[0, 100]])]
    summary = summarize(TapVidMetric(averaging=averaging), videos)
    assert summary['average_pts_within_thresh'] == pytest.approx(within, abs=1e-12)
    assert summary['average_jaccard'] == pytest.approx(jaccard, abs=1e-12)
    assert summary['occlusion_accuracy'] == 1.0


def test_a_keypoint_video_with_no_visible_joint_is_left_out_and_reported(tmp_path):
    hidden = badja_video('hidden', 2, [0, 0])
    hidden.update(
        query_points=np.zeros((0, 3)),
        target_points=np.zeros((0, 2, 2)),
        occluded=np.zeros((0, 2), bool),
        joint_ids=np.zeros(0, np.int64),
        pred_tracks=np.zeros((0, 2, 2)),
    )
    metric = BadjaPCKMetric(out_dir=str(tmp_path), task='badja')
    summary = summarize(metric, [*badja_videos(), hidden])
    assert summary['PCK@0.2'] == pytest.approx(4 / 5, abs=1e-12)  # as without the video
    written = json.loads((tmp_path / 'badja_summary.json').read_text())
    assert written['videos'] == dict(
        scored=2,
        excluded=1,
        excluded_videos={'hidden': 'no visible joint in a scored frame'},
    )
