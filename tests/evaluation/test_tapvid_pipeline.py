"""TAP-Vid evaluation end to end: data formats, propagation quality, tools."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.datasets import TapVidDataset
from fgvc.datasets.synthetic import (
    SceneConfig,
    TextureConfig,
    generate_datasets,
    get_preset,
    make_translation_scene,
    seed_rng,
    video_from_scene,
    write_tapvid_pickle,
)
from fgvc.evaluation.summary import summary_metrics
from fgvc.evaluation.tasks import prepare_test_config
from fgvc.registry import MODELS
from fgvc.utils import load_encoder_weights, register_all_modules

ROOT = Path(__file__).resolve().parents[2]
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
PIPELINE = [
    dict(type='ResizeVideo', size=(64, 64)),
    dict(type='SampleTapVidQueries', query_mode='first'),
    dict(type='PackTrackInputs'),
]

register_all_modules()


@pytest.fixture(scope='module')
def tiny_tapvid(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthetic')
    generate_datasets(
        str(out), get_preset('tiny'), seed=0, formats=['tapvid_davis', 'tapvid_kinetics']
    )
    return out / 'TAP-Vid'


def run_tool(*args, env_extra=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1', **(env_extra or {}))
    return subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_both_pickle_formats_and_split_folders_give_the_same_videos(tiny_tapvid, tmp_path):
    davis = TapVidDataset(str(tiny_tapvid / 'tapvid_davis/tapvid_davis.pkl'), PIPELINE)
    kinetics = TapVidDataset(str(tiny_tapvid / 'tapvid_kinetics'), PIPELINE)
    assert len(davis) == 3 and len(kinetics) == 4
    item = kinetics[0]
    assert item['inputs'].shape[1:] == (64, 64, 3) and item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.query_points.shape[1] == 3
    assert sample.target_points.shape == (len(sample.query_points), item['inputs'].shape[0], 2)

    split = tmp_path / 'split'
    result = run_tool(
        sys.executable,
        'tools/data/tapvid/split_pickle.py',
        str(tiny_tapvid / 'tapvid_davis/tapvid_davis.pkl'),
        str(split),
    )
    assert result.returncode == 0, result.stderr
    per_video = TapVidDataset(str(split), PIPELINE)
    assert len(per_video) == len(davis)
    names = sorted(davis[i]['data_samples'].video_name for i in range(len(davis)))
    assert names == sorted(per_video[i]['data_samples'].video_name for i in range(len(davis)))
    by_name = {per_video[i]['data_samples'].video_name: per_video[i] for i in range(len(davis))}
    for i in range(len(davis)):
        ref = davis[i]
        other = by_name[ref['data_samples'].video_name]
        assert torch.equal(ref['inputs'], other['inputs'])
        np.testing.assert_array_equal(
            ref['data_samples'].query_points, other['data_samples'].query_points
        )


def test_strided_mode_samples_more_queries(tiny_tapvid):
    path = str(tiny_tapvid / 'tapvid_davis/tapvid_davis.pkl')
    strided = [
        dict(PIPELINE[1], query_mode='strided') if t['type'] == 'SampleTapVidQueries' else t
        for t in PIPELINE
    ]
    first = TapVidDataset(path, PIPELINE)[0]['data_samples']
    many = TapVidDataset(path, strided)[0]['data_samples']
    assert len(many.query_points) > len(first.query_points)
    assert many.query_mode == 'strided'


def test_corrupt_pickle_and_missing_root_are_named(tmp_path):
    bad = tmp_path / 'broken.pkl'
    bad.write_bytes(b'\x80\x04not a pickle at all')
    with pytest.raises(ValueError, match='broken.pkl'):
        TapVidDataset(str(bad), PIPELINE)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        TapVidDataset(str(tmp_path / 'nowhere'), PIPELINE)


def test_misspelt_override_key_is_named(tmp_path):
    cfg = Config.fromfile(EVAL_CONFIG)
    with pytest.raises(KeyError, match='propagaton'):
        prepare_test_config(cfg, 'davis', str(tmp_path), options={'model.propagaton.topk': 3})
    cfg = Config.fromfile(EVAL_CONFIG)
    with pytest.raises(KeyError, match="'test_dataloder'.*did you mean 'test_dataloader'"):
        prepare_test_config(cfg, 'davis', str(tmp_path), options={'test_dataloder.batch_size': 2})
    cfg = Config.fromfile(EVAL_CONFIG)
    with pytest.raises(KeyError, match='vos_typo'):
        prepare_test_config(cfg, 'vos_typo', str(tmp_path))
    with pytest.raises(SystemExit) as error:  # tools/test.py's main, in this process
        evaluate_main(
            [EVAL_CONFIG, 'none', '--task', 'davis', '--work-dir', str(tmp_path)]
            + ['--cfg-options', 'model.propagation.topkk=3']
        )
    assert str(error.value.code).startswith('error: ') and 'topkk' in str(error.value.code)


def test_translating_texture_is_tracked_with_parameter_free_features(tmp_path, capsys):
    """A random texture translating by whole feature cells per frame."""
    scene_cfg = SceneConfig(height=64, width=64, num_frames=10, num_points=40)
    texture = TextureConfig(styles=('noise',), weights=(1.0,), feature_size=(1.0, 3.0), detail=48.0)
    entries = {}
    for i, velocity in enumerate([(2.0, -2.0), (-4.0, 2.0), (2.0, 4.0)]):
        scene = make_translation_scene(64, 64, 10, velocity, seed=i, texture=texture)
        entries[f'translation_{i}'] = video_from_scene(scene, seed_rng(i), scene_cfg).tapvid()
    path = tmp_path / 'translation.pkl'
    write_tapvid_pickle(entries, str(path))
    work = tmp_path / 'work'
    evaluate_main(  # tools/test.py's main, in this process
        [RAW_CONFIG, 'none', '--task', 'davis', '--data-root', str(path), '--work-dir', str(work)]
        + ['--cfg-options', 'test_dataloader.dataset.pipeline.0.size=(64,64)']
    )
    summary = json.loads((work / 'davis_summary.json').read_text())
    per_video = json.loads((work / 'davis_per_video.json').read_text())
    assert set(per_video) == set(entries)
    assert summary['average_pts_within_thresh'] >= 0.9, summary
    assert 'average_pts_within_thresh' in capsys.readouterr().out  # the printed table


def test_two_processes_give_the_same_metrics_as_one(tiny_tapvid, tmp_path):
    """One process: tools/test.py's main in this one; two: tools/dist_test.sh."""
    data = str(tiny_tapvid / 'tapvid_davis/tapvid_davis.pkl')
    options = ['--cfg-options', 'model.data_preprocessor.input_size=(64,64)']
    one, two = tmp_path / 'procs1', tmp_path / 'procs2'
    evaluate_main(
        [EVAL_CONFIG, 'none', '--task', 'davis', '--data-root', data, '--work-dir', str(one)]
        + options
    )
    result = run_tool(
        'bash', 'tools/dist_test.sh', EVAL_CONFIG, '2', 'davis', 'none', '--data-root', data,
        '--work-dir', str(two), *options, env_extra=dict(PORT='29602'),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'average_jaccard' in result.stdout
    summaries = []
    for work in (one, two):
        summaries.append(summary_metrics(json.loads((work / 'davis_summary.json').read_text())))
        per_video = json.loads((work / 'davis_per_video.json').read_text())
        assert len(per_video) == 3
    assert summaries[0] == pytest.approx(summaries[1], abs=1e-6)


def test_encoder_checkpoint_loads_and_wrong_shapes_are_named(tmp_path):
    model_cfg = Config.fromfile(EVAL_CONFIG).model
    model = MODELS.build(model_cfg)
    donor = MODELS.build(model_cfg)
    path = tmp_path / 'ckpt.pth'
    # An mmengine-style checkpoint: numpy scalars in meta are on the safe loader's allow-list.
    torch.save(dict(state_dict=donor.state_dict(), meta=dict(seed=np.int64(0))), path)
    load_encoder_weights(model, str(path))
    for key, value in donor.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value)

    state = donor.state_dict()
    state['backbone.conv1.weight'] = torch.zeros(3, 3, 3, 3)
    torch.save(dict(state_dict=state), path)
    with pytest.raises(ValueError, match=r'ckpt.pth(.|\n)*conv1.weight'):
        load_encoder_weights(model, str(path))


def test_untrained_resnet_gives_stride2_features():
    model = MODELS.build(Config.fromfile(EVAL_CONFIG).model)
    frames = torch.randint(0, 255, (1, 256, 256, 3), dtype=torch.uint8)
    features = model.extract_features(model.data_preprocessor.normalize(frames))
    assert features.shape == (1, 256, 128, 128)
    assert torch.allclose(features.norm(dim=1), torch.ones(1, 128, 128), atol=1e-4)
