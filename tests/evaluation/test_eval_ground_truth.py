"""Ground truth is checked when read, and a video with nothing to score is
reported and left out of the means instead of turning them into NaN."""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement

from fgvc.datasets import BadjaDataset, DavisVOSDataset, TapVidDataset
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.datasets.synthetic.writers.badja import USED_JOINTS
from fgvc.evaluation.summary import summary_metrics
from fgvc.evaluation.tasks import prepare_test_config
from fgvc.utils import register_all_modules
from fgvc.visualization import PredictionVisualizationHook

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
PIPELINE = [dict(type='SampleTapVidQueries'), dict(type='PackTrackInputs')]
FRAMES, SIZE = 4, 32

register_all_modules()


def video(points, occluded, seed=0):
    frames = np.random.default_rng(seed).integers(0, 256, (FRAMES, SIZE, SIZE, 3), np.uint8)
    return dict(video=frames, points=np.asarray(points, np.float32), occluded=np.asarray(occluded))


def good_points(n=3):
    return np.tile(np.linspace(0.2, 0.8, n)[:, None, None], (1, FRAMES, 2))


def write_pickle(path, videos):
    path.write_bytes(pickle.dumps(videos))
    return path


def first_item(path):
    return TapVidDataset(str(path), PIPELINE)[0]


# ------------------------------------------------------------------ TAP-Vid
def test_points_of_the_wrong_shape_are_named(tmp_path):
    path = write_pickle(
        tmp_path / 'v.pkl', {'cat': video(good_points()[..., :1], np.zeros((3, FRAMES), bool))}
    )
    with pytest.raises(
        ValueError, match=r"TAP-Vid video 'cat' in .*v\.pkl: field points is \(3, 4, 1\)"
    ):
        first_item(path)


@pytest.mark.parametrize('bad', [np.nan, 1.5, -0.2])
def test_visible_points_not_finite_or_outside_the_frame_are_named(tmp_path, bad):
    points = good_points()
    points[1, 2, 0] = bad
    path = write_pickle(tmp_path / 'v.pkl', {'cat': video(points, np.zeros((3, FRAMES), bool))})
    with pytest.raises(ValueError, match=r"'cat' in .*v\.pkl: field points has 1 visible point"):
        first_item(path)


def run_split_tool(path: Path, out: Path) -> subprocess.CompletedProcess:
    """tools/data/tapvid/split_pickle.py PATH OUT --format npz, in a subprocess."""
    return subprocess.run(
        [sys.executable, 'tools/data/tapvid/split_pickle.py', str(path), str(out)]
        + ['--format', 'npz'],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_occluded_points_are_not_checked(tmp_path):
    points, occluded = good_points(), np.zeros((3, FRAMES), bool)
    points[1, 2], occluded[1, 2] = np.nan, True
    path = write_pickle(tmp_path / 'v.pkl', {'cat': video(points, occluded)})
    assert first_item(path)['data_samples'].occluded[1, 2]


def test_occlusion_that_is_not_a_flag_is_named(tmp_path):
    path = write_pickle(
        tmp_path / 'v.pkl', {'cat': video(good_points(), np.full((3, FRAMES), 0.5))}
    )
    with pytest.raises(ValueError, match="'cat' in .*: field occluded holds values other than"):
        first_item(path)


def test_videos_with_nothing_to_score_are_left_out_and_reported(tmp_path):
    """One normal video, one whose tracks are all occluded, one with no track."""
    path = write_pickle(
        tmp_path / 'v.pkl',
        {
            'good': video(good_points(), np.zeros((3, FRAMES), bool)),
            'hidden': video(good_points(), np.ones((3, FRAMES), bool), seed=1),
            'empty': video(np.zeros((0, FRAMES, 2)), np.zeros((0, FRAMES), bool), seed=2),
        },
    )
    work = tmp_path / 'work'
    options = {'model.data_preprocessor.input_size': (32, 32)}
    cfg = prepare_test_config(
        Config.fromfile(RAW_CONFIG), 'davis', str(work), data_root=str(path), options=options
    )
    Runner.from_cfg(cfg).test()
    summary = json.loads((work / 'davis_summary.json').read_text())
    assert all(np.isfinite(v) for v in summary_metrics(summary).values())
    assert summary['videos']['scored'] == 1 and summary['videos']['excluded'] == 2
    assert set(summary['videos']['excluded_videos']) == {'hidden', 'empty'}
    assert 'no query point' in summary['videos']['excluded_videos']['empty']
    per_video = json.loads((work / 'davis_per_video.json').read_text())
    for key, value in summary_metrics(summary).items():
        assert value == per_video['good'][key]  # the mean of the one scored video


# -------------------------------------------------------------------- BADJA
@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp('generated')
    generate_datasets(str(out), get_preset('tiny'), seed=0, formats=['davis', 'badja'])
    return out


def badja_with(generated, tmp_path, edit):
    """The generated BADJA folder with its first record changed by ``edit``."""
    root = tmp_path / 'BADJA'
    (root / 'joint_annotations').mkdir(parents=True)
    (tmp_path / 'DAVIS2016').symlink_to(generated / 'DAVIS2016')
    src = next((generated / 'BADJA/joint_annotations').glob('*.json'))
    records = json.loads(src.read_text())
    edit(records[0])
    (root / 'joint_annotations' / src.name).write_text(json.dumps(records))
    dataset = BadjaDataset(
        str(root), [dict(type='SampleKeypointQueries'), dict(type='PackTrackInputs')],
        davis_root='../DAVIS2016', joints=USED_JOINTS,
    )  # fmt: skip
    return dataset, root / 'joint_annotations' / src.name


def test_a_badja_record_with_three_joints_is_named(generated, tmp_path):
    def three_joints(record):
        record['joints'] = record['joints'][:3]

    dataset, path = badja_with(generated, tmp_path, three_joints)
    with pytest.raises(ValueError, match=rf'{path}, record 0 .*: field joints is \(3, 2\)'):
        dataset[0]


def test_a_visible_badja_joint_that_is_not_finite_is_named(generated, tmp_path):
    def nan_joint(record):
        record['joints'][USED_JOINTS[0]] = [None, 3.0]
        record['visibility'][USED_JOINTS[0]] = 1

    dataset, path = badja_with(generated, tmp_path, nan_joint)
    with pytest.raises(ValueError, match=r'record 0 .*not finite at visible joint\(s\) \[8\]'):
        dataset[0]


# -------------------------------------------------- names that become paths
@pytest.mark.parametrize('name', ['../x', '/tmp/abs', '..', 'a/b'])
def test_unsafe_tapvid_names_stop_the_split_tool_and_the_dataset(tmp_path, name):
    path = write_pickle(tmp_path / 'v.pkl', {name: video(good_points(), np.zeros((3, FRAMES)))})
    out = tmp_path / 'deep' / 'out'
    result = run_split_tool(path, out)
    assert result.returncode != 0
    assert f'Unsafe TAP-Vid video name {name!r} in {path}' in result.stderr
    assert sorted(p.name for p in tmp_path.rglob('*') if p.is_file()) == ['v.pkl']
    with pytest.raises(ValueError, match='Unsafe TAP-Vid video name'):
        TapVidDataset(str(path), PIPELINE)


def test_split_tool_writes_npz_that_read_as_the_pickle(tmp_path):
    videos = {'cat': video(good_points(), np.zeros((3, FRAMES), bool))}
    path = write_pickle(tmp_path / 'v.pkl', videos)
    out = tmp_path / 'npz'
    assert run_split_tool(path, out).returncode == 0
    from_npz, from_pickle = first_item(out), first_item(path)
    assert from_npz['data_samples'].video_name == 'cat'
    np.testing.assert_array_equal(from_npz['inputs'], from_pickle['inputs'])
    for key in ('query_points', 'target_points', 'occluded'):
        np.testing.assert_array_equal(
            from_npz['data_samples'].get(key), from_pickle['data_samples'].get(key)
        )


def test_a_davis_list_naming_a_parent_folder_is_refused(tmp_path):
    root = tmp_path / 'DAVIS'
    (root / 'ImageSets/2017').mkdir(parents=True)
    (root / 'ImageSets/2017/val.txt').write_text('synth-000\n../../evil\n')
    with pytest.raises(ValueError, match=r"Unsafe DAVIS sequence name '\.\./\.\./evil' in .*val"):
        DavisVOSDataset(str(root), [dict(type='PackTrackInputs')])


@pytest.mark.parametrize('name', ['..', '../up', '/abs'])
def test_show_dir_refuses_unsafe_video_names(tmp_path, name):
    hook = PredictionVisualizationHook(out_dir=str(tmp_path / 'show'))
    sample = BaseDataElement(metainfo=dict(video_name=name))
    sample.pred_tracks = np.zeros((1, 2, 2))
    frames = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='Unsafe video name'):
        hook.after_test_iter(None, 0, dict(inputs=[torch.from_numpy(frames)]), [sample])
    assert not any(tmp_path.rglob('*.jpg'))
