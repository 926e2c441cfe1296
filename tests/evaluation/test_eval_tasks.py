"""Every evaluation task end to end: config -> dataset -> tracker -> metric -> files.

With frames that are all identical, propagation from the ground truth of the
first frame must reproduce it everywhere (J&F 1, PCK 1): the plumbing loses
nothing. Point occlusion is checked on generated TAP-Vid videos.
"""

import json
import os
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.datasets import TapVidDataset
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.datasets.synthetic.writers.davis import write_davis2016_list
from fgvc.evaluation.metrics import TapVidMetric
from fgvc.evaluation.summary import summary_metrics
from fgvc.evaluation.tasks import prepare_test_config
from fgvc.fileio import write_palette_png
from fgvc.propagation import occlusion_from_peaks
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
HEIGHT, WIDTH, FRAMES = 48, 64, 5
FULL_RES = 'DAVIS/{}/Full-Resolution/animal'

register_all_modules()


def run_tool(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')
    return subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def run_task(task: str, data_root: Path, work_dir: Path, options: dict) -> dict:
    """Evaluate the raw-patch encoder on ``task`` in this process."""
    cfg = prepare_test_config(
        Config.fromfile(RAW_CONFIG), task, str(work_dir), data_root=str(data_root), options=options
    )
    Runner.from_cfg(cfg).test()
    return summary_metrics(json.loads((work_dir / f'{task}_summary.json').read_text()))


def noise_frame(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


def write_frames(folder: Path, frame: np.ndarray, names) -> None:
    """The same frame under every name (lossless: JPEG would blur the noise, 100 quality)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        cv2.imwrite(
            str(folder / name),
            cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
            [
                cv2.IMWRITE_JPEG_QUALITY,
                100,
                cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
            ],
        )


def small(input_hw=(HEIGHT, WIDTH)) -> dict:
    return {'model.data_preprocessor.input_size': input_hw, 'model.propagation.precede_frames': 3}


# -------------------------------------------------------- identical frames
def test_vos_identical_frames_give_perfect_jf_through_tools_test(tmp_path, capsys):
    """Objects on the stride-2 grid, through tools/test.py, with --show-dir."""
    root = tmp_path / 'DAVIS'
    labels = np.zeros((HEIGHT, WIDTH), np.uint8)
    labels[6:20, 8:30] = 1
    labels[24:44, 32:60] = 2
    labels[20:24, 40:50] = 3
    names = [f'{t:05d}' for t in range(FRAMES)]
    write_frames(root / 'JPEGImages/480p/seq', noise_frame(), [f'{n}.jpg' for n in names])
    for n in names:
        write_palette_png(str(root / 'Annotations/480p/seq' / f'{n}.png'), labels)
    (root / 'ImageSets/2017').mkdir(parents=True)
    (root / 'ImageSets/2017/val.txt').write_text('seq\n')
    work, show = tmp_path / 'work', tmp_path / 'show'
    evaluate_main([  # tools/test.py's main, in this process
        RAW_CONFIG, 'none', '--task', 'vos', '--data-root', str(root), '--work-dir', str(work),
        '--show-dir', str(show),
        '--cfg-options', f'model.data_preprocessor.input_size=({HEIGHT},{WIDTH})',
    ])  # fmt: skip
    assert 'J&F-Mean' in capsys.readouterr().out  # the printed table
    summary = json.loads((work / 'vos_summary.json').read_text())
    assert summary['J&F-Mean'] == 1.0 and summary['J-Decay'] == 0.0
    assert set(json.loads((work / 'vos_per_video.json').read_text())) == {'seq_1', 'seq_2', 'seq_3'}
    saved = cv2.imread(str(work / 'vos_predictions/seq/00003.png'), cv2.IMREAD_UNCHANGED)
    assert saved is not None and saved.shape[:2] == (HEIGHT, WIDTH)
    assert (show / 'vos/seq.mp4').stat().st_size > 0
    assert len(list((show / 'vos/seq').glob('*.jpg'))) == FRAMES


def identical_joints(rng, num_joints: int) -> np.ndarray:
    """(x, y) joints well inside the frame, [J, 2]."""
    return np.stack(
        [rng.uniform(12, WIDTH - 12, num_joints), rng.uniform(12, HEIGHT - 12, num_joints)], 1
    )


def test_jhmdb_identical_frames_give_pck_one(tmp_path):
    root = tmp_path / 'JHMDB'
    joints = identical_joints(np.random.default_rng(0), 15)
    write_frames(
        root / 'Rename_Images/catch/v', noise_frame(1), [f'{t + 1:05d}.png' for t in range(FRAMES)]
    )
    pos = np.repeat((joints + 0.5).T[:, :, None], FRAMES, axis=2)  # MATLAB 1-based, [2, 15, T]
    (root / 'joint_positions/catch/v').mkdir(parents=True)
    scipy.io.savemat(str(root / 'joint_positions/catch/v/joint_positions.mat'), {'pos_img': pos})
    (root / 'val_list.txt').write_text(
        'JHMDB/joint_positions/catch/v/joint_positions.mat JHMDB/Rename_Images/catch/v\n'
    )
    summary = run_task('jhmdb', root, tmp_path / 'work', small())
    assert summary == {
        **{f'PCK@{a}': 1.0 for a in (0.1, 0.2, 0.3, 0.4, 0.5)},
        **{f'PCK@{a}-VideoMean': 1.0 for a in (0.1, 0.2, 0.3, 0.4, 0.5)},
    }
    assert set(json.loads((tmp_path / 'work/jhmdb_per_video.json').read_text())) == {'catch/v'}


def test_badja_identical_frames_give_pck_one(tmp_path):
    """Joints in 1920x1080 (y, x); frames on disk in a 480p folder only."""
    rng = np.random.default_rng(2)
    davis = tmp_path / 'DAVIS2016'
    names = [f'{t:05d}' for t in range(FRAMES)]
    write_frames(davis / 'JPEGImages/480p/animal', noise_frame(2), [f'{n}.jpg' for n in names])
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[10:40, 10:50] = True
    (davis / 'Annotations/480p/animal').mkdir(parents=True)
    for n in names:
        cv2.imwrite(str(davis / f'Annotations/480p/animal/{n}.png'), mask.astype(np.uint8) * 255)
    write_davis2016_list(str(davis), ['animal'], [FRAMES])
    xy = identical_joints(rng, 20)
    full = np.stack([xy[:, 1] * 1080 / HEIGHT - 0.5, xy[:, 0] * 1920 / WIDTH - 0.5], 1)
    used = (8, 9, 10, 12, 13, 14, 15, 18, 19, 20, 22, 23, 24, 25, 28, 31, 32, 33, 35, 36)
    records = []
    for t in (0, 2, 4):
        joints, visible = np.zeros((37, 2)), np.zeros(37, bool)
        joints[list(used)], visible[list(used)] = full, True
        visible[used[t]] = False  # one hidden joint per frame is not counted
        records.append(
            dict(
                image_path=f'{FULL_RES.format("JPEGImages")}/{t:05d}.jpg',
                segmentation_path=f'{FULL_RES.format("Annotations")}/{t:05d}.png',
                joints=joints.tolist(),
                visibility=visible.tolist(),
            )
        )
    (tmp_path / 'BADJA/joint_annotations').mkdir(parents=True)
    (tmp_path / 'BADJA/joint_annotations/animal.json').write_text(json.dumps(records))
    summary = run_task('badja', tmp_path / 'BADJA', tmp_path / 'work', small())
    assert summary == {'PCK@0.2': 1.0, 'PCK@0.2-VideoMean': 1.0}


# ------------------------------------------------------------ real samples
def test_jhmdb_sample_through_dist_test(data_dir, tmp_path):
    """The ResNet config, untrained, one process, small input: a printed table."""
    work, show = tmp_path / 'work', tmp_path / 'show'
    result = run_tool(
        'bash',
        'tools/dist_test.sh',
        EVAL_CONFIG,
        '1',
        'jhmdb',
        'none',
        '--data-root',
        str(data_dir / 'JHMDB'),
        '--work-dir',
        str(work),
        '--show-dir',
        str(show),
        '--cfg-options',
        'model.data_preprocessor.input_size=(48,64)',
        'model.propagation.precede_frames=2',
        'model.propagation.matcher.neighbor_range=8',
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'PCK@0.1' in result.stdout and 'PCK@0.5' in result.stdout
    summary = json.loads((work / 'jhmdb_summary.json').read_text())
    values = [summary[f'PCK@{a}'] for a in (0.1, 0.2, 0.3, 0.4, 0.5)]
    assert values == sorted(values) and 0 <= values[0] and values[-1] <= 1
    video = 'catch_Goal_Keeping_Tips_catch_f_cm_np1_fr_med_2'
    assert len(list((show / 'jhmdb' / video).glob('*.jpg'))) == 5


# ---------------------------------------------------------------- occlusion
@pytest.fixture(scope='module')
def tiny_tapvid(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthetic')
    generate_datasets(str(out), get_preset('tiny'), seed=0, formats=['tapvid_davis'])
    return str(out / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl')


def tapvid_outputs(path: str, occlusion_threshold, num_videos=None) -> list:
    """Data samples (as dicts) with the raw-patch tracker's predictions."""
    data = TapVidDataset(
        path, [dict(type='SampleTapVidQueries', query_mode='first'), dict(type='PackTrackInputs')]
    )
    model = MODELS.build(
        dict(
            type='PointTracker',
            data_preprocessor=dict(type='VideoDataPreprocessor'),
            backbone=dict(type='RawPatchEncoder', patch_size=7, stride=2),
            propagation=dict(
                precede_frames=2,
                topk=10,
                sigma=6.0,
                matcher=dict(type='LocalMatcher', neighbor_range=16),
            ),
            occlusion_threshold=occlusion_threshold,
        )
    )
    outputs = []
    for i in range(num_videos or len(data)):
        item = data[i]
        sample = model.test_step(dict(inputs=[item['inputs']], data_samples=[item['data_samples']]))
        outputs.append(sample[0].to_dict())
    return outputs


def tapvid_scores(outputs: list) -> dict:
    metric = TapVidMetric()
    metric.process({}, outputs)
    return metric.compute_metrics(metric.results)


def test_occlusion_prediction_beats_always_visible(tiny_tapvid):
    predicted = tapvid_outputs(tiny_tapvid, 0.5)
    always_visible = [dict(s, pred_occluded=np.zeros_like(s['pred_occluded'])) for s in predicted]
    with_occlusion, without = tapvid_scores(predicted), tapvid_scores(always_visible)
    assert any(s['pred_occluded'].any() for s in predicted)
    assert with_occlusion['occlusion_accuracy'] > without['occlusion_accuracy']
    assert with_occlusion['average_jaccard'] > without['average_jaccard'] > 0
    # switched off, the tracker predicts the same tracks and no occlusion at all
    switched_off = tapvid_outputs(tiny_tapvid, None, num_videos=1)[0]
    assert not switched_off['pred_occluded'].any()
    np.testing.assert_array_equal(switched_off['pred_tracks'], predicted[0]['pred_tracks'])


def test_occlusion_from_peaks_hand_case():
    peaks = torch.tensor([[0.2, 0.8, 0.5, 0.3, 0.0], [1.0, 0.9, 0.6, 0.7, 0.1]])
    occluded = occlusion_from_peaks(peaks, torch.tensor([1, 0]), threshold=0.5)
    # point 0: confidence relative to 0.8 (its query frame 1); point 1: to 1.0
    assert occluded.tolist() == [
        [True, False, False, True, True],
        [False, False, False, False, True],
    ]
