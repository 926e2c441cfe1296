"""tools/score.py: predictions written by tools/test.py --dump score exactly
as tools/test.py scored them (both tools' mains, run in this process); other
trackers' files are read and checked."""

import json
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.cli.score import main as score_main
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.evaluation.predictions import read_keypoint_predictions, read_point_predictions
from fgvc.evaluation.scoring import check_scoring_options
from fgvc.evaluation.summary import summary_metrics
from fgvc.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
DATA = {
    'davis': 'TAP-Vid/tapvid_davis/tapvid_davis.pkl',
    'jhmdb': 'JHMDB',
    'badja': 'BADJA',
    'vos': 'DAVIS',
}


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp('generated')
    formats = ['tapvid_davis', 'davis', 'jhmdb', 'badja']
    generate_datasets(str(out), get_preset('tiny'), seed=0, formats=formats)
    return out


@pytest.mark.parametrize('task', sorted(DATA))
def test_score_of_dumped_predictions_equals_the_test_summary(generated, tmp_path, task):
    root = str(generated / DATA[task])
    dump, tested, scored = tmp_path / 'dump', tmp_path / 'test', tmp_path / 'score'
    evaluate_main([
        RAW_CONFIG, 'none', '--task', task, '--data-root', root,
        '--work-dir', str(tested), '--dump', str(dump),
        '--cfg-options', 'model.data_preprocessor.input_size=(64,64)',
    ])  # fmt: skip
    score_main([
        task, str(dump), '--data-root', root, '--work-dir', str(scored), '--config', RAW_CONFIG,
    ])  # fmt: skip
    expected = json.loads((tested / f'{task}_summary.json').read_text())
    got = json.loads((scored / f'{task}_summary.json').read_text())
    assert summary_metrics(got) == summary_metrics(expected)  # exactly
    assert got['protocol']['data_fingerprint'] == expected['protocol']['data_fingerprint']
    assert got['provenance']['predictions'] == str(dump)
    assert 'propagation' in expected['protocol'] and 'propagation' not in got['protocol']


def test_tracks_in_another_raster_are_scaled(tmp_path):
    tracks = np.array([[[10.0, 20.0], [30.0, 40.0]]])
    np.savez(tmp_path / 'v.npz', tracks=tracks, occluded=np.zeros((1, 2), bool))
    got = read_point_predictions(str(tmp_path), 'v', 1, np.array([0]), 2, (256, 256), (128, 64))
    np.testing.assert_array_equal(got['pred_tracks'], [[[40.0, 40.0], [120.0, 80.0]]])
    np.savez(tmp_path / 'w.npz', tracks=tracks, occluded=np.zeros((1, 2)), raster_hw=[256, 256])
    got = read_point_predictions(str(tmp_path), 'w', 1, np.array([0]), 2, (256, 256), (128, 64))
    np.testing.assert_array_equal(got['pred_tracks'], tracks)


def test_rows_per_ground_truth_track_are_matched_to_queries(tmp_path):
    tracks = np.arange(3 * 2 * 2, dtype=float).reshape(3, 2, 2)
    np.savez(tmp_path / 'v.npz', tracks=tracks, occluded=np.zeros((3, 2), bool))
    got = read_point_predictions(str(tmp_path), 'v', 2, np.array([0, 2]), 2, (8, 8))
    np.testing.assert_array_equal(got['pred_tracks'], tracks[[0, 2]])


def test_keypoints_by_joint_id_and_bad_files_are_named(tmp_path):
    tracks = np.arange(3 * 4 * 2, dtype=float).reshape(3, 4, 2)
    np.savez(tmp_path / 'v.npz', tracks=tracks, joint_ids=[5, 7, 9])
    got = read_keypoint_predictions(str(tmp_path), 'v', np.array([9, 5]), 4)
    np.testing.assert_array_equal(got['pred_tracks'], tracks[[2, 0]])
    with pytest.raises(ValueError, match=r'v\.npz has no track for joint\(s\) \[6\]'):
        read_keypoint_predictions(str(tmp_path), 'v', np.array([6]), 4)
    with pytest.raises(ValueError, match=r'v\.npz: field tracks .* expected numbers \[2, 5, 2\]'):
        read_keypoint_predictions(str(tmp_path), 'v', np.array([5, 7]), 5)
    np.savez(tmp_path / 'nan.npz', tracks=np.full((1, 4, 2), np.nan))
    with pytest.raises(ValueError, match='nan.npz: field tracks holds values that are not finite'):
        read_keypoint_predictions(str(tmp_path), 'nan', np.array([0]), 4)
    with pytest.raises(ValueError, match=r"Unsafe video name '\.\./v'"):
        read_keypoint_predictions(str(tmp_path), '../v', np.array([0]), 4)


def test_a_predictions_pickle_needs_trust(tmp_path):
    from fgvc.evaluation.scoring import load_prediction_source

    path = tmp_path / 'preds.pkl'
    path.write_bytes(b'not read')
    with pytest.raises(ValueError, match='preds.pkl is a pickle: loading it can run any code'):
        load_prediction_source(str(path))


def test_scoring_errors_name_the_raster_argument_or_the_callers_name():
    register_all_modules()
    tap_vid = Config(dict(test_evaluator=dict(type='TapVidMetric')))
    with pytest.raises(ValueError, match=r'raster_hw needs a height and width >= 1, got \[0, 9\]'):
        check_scoring_options(tap_vid, 'predictions', (0, 9))
    with pytest.raises(ValueError, match=r'--raster needs a height and width >= 1'):
        check_scoring_options(tap_vid, 'predictions', (0, 9), '--raster')
    keypoints = Config(dict(test_evaluator=dict(type='JhmdbPCKMetric')))
    with pytest.raises(ValueError, match='raster_hw applies to TAP-Vid tracks'):
        check_scoring_options(keypoints, 'predictions', (9, 9))
