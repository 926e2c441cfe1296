"""tools/test.py and tools/convert_checkpoint.py take the release's checkpoints
and refuse, naming the key, one that does not fit."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from log_utils import captured_log
from mmengine.config import Config
from release_checkpoint import (
    assert_release_features,
    release_resnet18_state_dict,
    release_resnet_state_dict,
    release_training_state_dict,
)
from train_utils import REPO_ROOT

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.engine import StrictRunner
from fgvc.registry import MODELS
from fgvc.utils import EncoderCheckpoint, load_checkpoint, register_all_modules

register_all_modules()

EVAL_CONFIG = str(REPO_ROOT / 'configs/eval/res18_d1_eval.py')
RELEASE_TRAIN_CONFIG = str(REPO_ROOT / 'configs/train/mixed_train_res18_d1_l2_rec_ytv_fly.py')
FIXTURE = REPO_ROOT / 'tests' / 'data' / 'fixtures' / 'original'
WIDTH = 8
UNKNOWN = 'backbone.layer2.0.downsample.gn.weight'
MISSING = 'backbone.layer2.0.downsample.bn.running_var'


def load_convert_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        'convert_checkpoint', REPO_ROOT / 'tools' / 'convert_checkpoint.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(path: Path, state_dict: dict) -> str:
    """``state_dict`` saved in the release's checkpoint form."""
    torch.save({'state_dict': dict(state_dict), 'meta': {}}, path)
    return str(path)


@pytest.fixture(scope='module')
def tapvid(tmp_path_factory) -> Path:
    """Generated tiny TAP-Vid DAVIS data."""
    out = tmp_path_factory.mktemp('data')
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / 'tools/data/synthetic/generate.py'),
            '--out',
            str(out),
            '--preset',
            'tiny',
            '--formats',
            'tapvid_davis',
        ],
        check=True,
        capture_output=True,
    )
    return out / 'TAP-Vid' / 'tapvid_davis' / 'tapvid_davis.pkl'


def run_test_tool(checkpoint: str, tapvid: Path, work: Path) -> None:
    """tools/test.py's main, in this process, at encoder width ``WIDTH``."""
    evaluate_main([
        EVAL_CONFIG, checkpoint, '--task', 'davis', '--data-root', str(tapvid),
        '--work-dir', str(work), '--cfg-options', f'model.backbone.base_channels={WIDTH}',
        'model.data_preprocessor.input_size=(32,32)',
    ])  # fmt: skip


@pytest.mark.parametrize('how', ['fits', 'unknown', 'missing'])
def test_test_tool_takes_a_release_checkpoint_file(tmp_path, tapvid, how):
    state = dict(release_resnet_state_dict(0, WIDTH))
    if how == 'unknown':
        state[UNKNOWN] = torch.zeros(1)
    elif how == 'missing':
        del state[MISSING]
    path = save(tmp_path / 'release.pth', state)
    work = tmp_path / 'eval'
    if how == 'fits':
        run_test_tool(path, tapvid, work)
        assert (work / 'davis_summary.json').is_file()
        log = '\n'.join(p.read_text() for p in work.glob('*/*.log'))
        assert 'detected the release (mmcv ConvModule) layout' in log
        assert 'dropped 30 key(s) of layer4' in log
        return
    with pytest.raises(SystemExit) as error:
        run_test_tool(path, tapvid, work)
    message = str(error.value.code)
    key = UNKNOWN if how == 'unknown' else 'layer2.0.downsample.1.running_var'
    assert message.startswith('error: ') and path in message and key in message, message
    assert not (work / 'davis_summary.json').exists()


@pytest.mark.parametrize('fmt', ['pth', 'safetensors'])
def test_a_converted_release_encoder_loads_with_no_report(tmp_path, capsys, fmt):
    source = save(tmp_path / 'original_resnet18.pth', release_resnet18_state_dict(11))
    target = tmp_path / f'converted.{fmt}'
    tool = load_convert_tool()
    assert tool.main([source, str(target), '--out-indices', '2', '--format', fmt]) == 0
    output = capsys.readouterr().out
    assert 'release (mmcv ConvModule) layout: backbone.* -> backbone.* (120 keys)' in output
    assert 'dropped 30 key(s) of layer4' in output
    assert 'saved 90 tensors' in output

    model = MODELS.build(Config.fromfile(EVAL_CONFIG).model)
    weights = EncoderCheckpoint(str(target))
    # (safetensors keeps its keys sorted)
    assert sorted(weights.state_dict) == sorted(
        f'backbone.{k}' for k in model.backbone.state_dict()
    )
    with captured_log() as lines:
        weights.load_into(model)
    assert lines == []  # nothing converted, nothing dropped
    io = np.load(FIXTURE / 'backbone_io.npz')
    with torch.no_grad():
        feat = model.eval().backbone(torch.from_numpy(io['x']))[-1].numpy()
    assert_release_features(feat, io)


def test_a_converted_release_training_checkpoint_serves_the_release_named_config(tmp_path):
    """Student, teacher and correlation head of a release training checkpoint
    convert to the release-named config's model: its load_from and its
    teacher read the converted file strictly, with nothing to report."""
    state = release_training_state_dict(5, 64, radius=24, hidden=(1200, 600))
    source = save(tmp_path / 'release_train.pth', state)
    target = tmp_path / 'converted.pth'
    assert load_convert_tool().main([source, str(target), '--out-indices', '2']) == 0
    cfg = Config.fromfile(RELEASE_TRAIN_CONFIG)
    cfg.model.losses.sup_loss.teacher.init_cfg.checkpoint = str(target)
    cfg.sync_bn = None
    cfg.work_dir = str(tmp_path / 'work')
    cfg.load_from = str(target)
    runner = StrictRunner.from_cfg(cfg)
    with captured_log() as lines:
        runner.model.init_weights()  # the teacher reads the converted student
        runner.load_or_resume()  # the whole model, teacher included
    assert not any('detected' in line or 'dropped' in line for line in lines), lines
    model = runner.model
    assert torch.equal(model.backbone.conv1.weight, state['backbone.conv1.conv.weight'])
    teacher = model.losses.sup_loss.teacher
    assert torch.equal(teacher.layer3[1].bn2.bias, state['teacher.layer3.1.conv2.bn.bias'])
    head = model.losses.corr_da_loss.head.mlp
    assert torch.equal(head[0].weight, state['corr_discriminator.cls_layer.1.weight'])
    saved = load_checkpoint(str(target))['state_dict']
    assert not any('layer4' in key for key in saved)


@pytest.mark.parametrize('how', ['unknown', 'missing'])
def test_convert_refuses_a_release_checkpoint_that_does_not_fit(tmp_path, capsys, how):
    state = dict(release_resnet18_state_dict(11))
    if how == 'unknown':
        state[UNKNOWN] = torch.zeros(1)
    else:
        del state[MISSING]
    source = save(tmp_path / 'release.pth', state)
    target = tmp_path / 'converted.pth'
    assert load_convert_tool().main([source, str(target), '--out-indices', '2']) == 1
    error = capsys.readouterr().err
    key = UNKNOWN if how == 'unknown' else 'layer2.0.downsample.1.running_var'
    assert source in error and key in error and not target.exists()


def test_convert_refuses_other_keys_that_map_nowhere_unless_dropped(tmp_path, capsys):
    """A torchvision-style encoder with a stray module: MoCo's momentum
    encoder and unbuilt stages are left out by name, the stray one stops the
    conversion until --drop names it."""
    encoder = MODELS.build(dict(type='ResNet', depth=18, base_channels=64))
    state = {f'module.encoder_q.{k}': v for k, v in encoder.state_dict().items()}
    state['module.encoder_k.conv1.weight'] = torch.zeros(1)
    state['module.projector.0.weight'] = torch.zeros(1)
    source, target = tmp_path / 'ssl.pth', tmp_path / 'converted.pth'
    torch.save({'state_dict': state}, source)
    tool = load_convert_tool()
    assert tool.main([str(source), str(target), '--out-indices', '2']) == 1
    error = capsys.readouterr().err
    assert "['projector.0.weight']" in error and '--drop' in error and not target.exists()
    assert tool.main([str(source), str(target), '--out-indices', '2', '--drop', 'projector.']) == 0
    output = capsys.readouterr().out
    assert 'unexpected (dropped): layer4.*' in output and 'encoder_k' in output
    assert 'saved 90 tensors' in output
