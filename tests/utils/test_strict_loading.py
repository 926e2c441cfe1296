"""Every loader of weights is strict and reads the release's layout: the
evaluation encoder (Predictor), the Runner's ``load_from``, ``Pretrained``
init_cfg and the training teacher."""

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from log_utils import captured_log
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import WEIGHT_INITIALIZERS
from release_checkpoint import (
    assert_release_features,
    release_resnet18_state_dict,
    release_resnet_state_dict,
    release_training_state_dict,
)
from train_utils import REPO_ROOT, write_tiny_config

from fgvc.apis import Predictor
from fgvc.engine import StrictRunner
from fgvc.registry import MODELS
from fgvc.utils import (
    CheckpointMismatchError,
    EncoderCheckpoint,
    register_all_modules,
)
from fgvc.utils.checkpoint import StrictPretrainedInit

register_all_modules()

EVAL_CONFIG = str(REPO_ROOT / 'configs/eval/res18_d1_eval.py')
FIXTURE = REPO_ROOT / 'tests' / 'data' / 'fixtures' / 'original'
WIDTH = 8
RADIUS = 3
HIDDEN = (16, 8)
#: layer4 of a release ResNet-18: two blocks of two ConvModules (a conv
#: weight and five BN entries each) and the first block's shortcut.
LAYER4_KEYS = 2 * 2 * 6 + 6
#: One key the release layout cannot map, and one every model needs.
UNKNOWN = 'backbone.layer2.0.downsample.gn.weight'
MISSING = 'backbone.layer2.0.downsample.bn.running_var'
MISSING_OURS = 'layer2.0.downsample.1.running_var'


def save(path: Path, state_dict: dict) -> str:
    """``state_dict`` saved in the release's checkpoint form."""
    torch.save({'state_dict': dict(state_dict), 'meta': {}}, path)
    return str(path)


def broken(state_dict: dict, how: str) -> dict:
    """``state_dict`` with one unknown key added, or one needed key removed."""
    state = dict(state_dict)
    if how == 'unknown':
        state[UNKNOWN] = torch.zeros(1)
    else:
        del state[MISSING]
    return state


def expected_key(how: str) -> str:
    """The key the error must name: the unknown one as the file spells it,
    the missing one in the model's names."""
    return UNKNOWN if how == 'unknown' else MISSING_OURS


def encoder_cfg(**kwargs) -> dict:
    return dict(
        type='ResNet',
        depth=18,
        base_channels=WIDTH,
        pool_type='none',
        strides=(1, 1, 1, 4),
        out_indices=(2,),
        **kwargs,
    )


def test_the_release_checkpoint_loads_strictly_and_gives_the_release_features(tmp_path):
    path = save(tmp_path / 'original_resnet18.pth', release_resnet18_state_dict(11))
    model = MODELS.build(Config.fromfile(EVAL_CONFIG).model)  # the release's eval encoder
    backbone = model.backbone
    assert (backbone.depth, backbone.out_indices, type(backbone.pool)) == (
        18,
        (2,),
        torch.nn.Identity,
    )
    with captured_log() as lines:
        EncoderCheckpoint(path).load_into(model)
    detected = [line for line in lines if 'detected the release' in line]
    assert len(detected) == 1 and 'backbone.* -> backbone.* (120 keys)' in detected[0]
    assert any(f'dropped {LAYER4_KEYS} key(s) of layer4' in line for line in lines), lines
    io = np.load(FIXTURE / 'backbone_io.npz')
    with torch.no_grad():
        feat = model.eval().backbone(torch.from_numpy(io['x']))[-1].numpy()
    assert_release_features(feat, io)


@pytest.mark.parametrize('how', ['unknown', 'missing'])
def test_predictor_refuses_a_checkpoint_with_an_unknown_or_missing_key(tmp_path, how):
    options = {'model.backbone.base_channels': WIDTH}
    good = save(tmp_path / 'good.pth', release_resnet_state_dict(0, WIDTH))
    predictor = Predictor(EVAL_CONFIG, checkpoint=good, cfg_options=options, device='cpu')
    expected = release_resnet_state_dict(0, WIDTH)['backbone.layer3.1.conv2.conv.weight']
    assert torch.equal(predictor.model('davis').backbone.layer3[1].conv2.weight, expected)

    path = save(tmp_path / 'bad.pth', broken(release_resnet_state_dict(0, WIDTH), how))
    with pytest.raises(CheckpointMismatchError) as error:
        Predictor(EVAL_CONFIG, checkpoint=path, cfg_options=options, device='cpu')
    assert path in str(error.value) and expected_key(how) in str(error.value)


def test_evaluation_reads_the_encoder_and_refuses_keys_outside_the_training_modules(tmp_path):
    model = MODELS.build(dict(type='PointTracker', backbone=encoder_cfg()))
    # a release training checkpoint: teacher and head are training-only modules
    state = release_training_state_dict(0, WIDTH, RADIUS, HIDDEN)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.DEBUG)  # the training-only modules are a debug line
    try:
        with captured_log() as lines:
            EncoderCheckpoint(save(tmp_path / 'train.pth', state)).load_into(model)
    finally:
        logger.setLevel(level)
    assert any('losses.sup_loss.* (120), losses.corr_da_loss.* (6)' in line for line in lines)
    assert torch.equal(model.backbone.bn1.weight, state['backbone.conv1.bn.weight'])
    # our own checkpoint with a key of no module: an error naming it
    own = {f'backbone.{k}': v for k, v in model.backbone.state_dict().items()}
    own['propagation.scale'] = torch.ones(1)
    path = save(tmp_path / 'own.pth', own)
    with pytest.raises(CheckpointMismatchError, match=r"own\.pth.*\['propagation\.scale'\]"):
        EncoderCheckpoint(path).load_into(model)
    # a bare encoder must fit whole: here, a key of a ResNet-50 block
    bare = dict(model.backbone.state_dict(), **{'layer1.0.conv3.weight': torch.zeros(1)})
    path = save(tmp_path / 'bare.pth', bare)
    with pytest.raises(CheckpointMismatchError, match=r"map nowhere: \['layer1.0.conv3.weight'\]"):
        EncoderCheckpoint(path).load_into(model)


def tiny_runner(tmp_path: Path, load_from: str) -> StrictRunner:
    """A Runner of the tiny training config (the quickstart's MixedTracker:
    no teacher, correlation head ``HIDDEN``) that loads ``load_from``."""
    cfg = Config.fromfile(str(write_tiny_config(tmp_path / 'tiny.py', tmp_path / 'no_data')))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.load_from = load_from
    return StrictRunner.from_cfg(cfg)


def test_runner_load_from_reads_a_release_training_checkpoint_strictly(tmp_path):
    state = release_training_state_dict(0, WIDTH, RADIUS, HIDDEN, teacher=False)
    runner = tiny_runner(tmp_path, save(tmp_path / 'release.pth', state))
    with captured_log() as lines:
        runner.load_or_resume()
    head = runner.model.losses.corr_da_loss.head.mlp
    assert torch.equal(head[4].bias, state['corr_discriminator.cls_layer.5.bias'])
    assert torch.equal(
        runner.model.backbone.layer1[0].bn2.running_var,
        (state['backbone.layer1.0.conv2.bn.running_var']),
    )
    line = next(line for line in lines if 'detected the release' in line)
    assert 'corr_discriminator.cls_layer.* -> losses.corr_da_loss.head.mlp.* (6 keys)' in line
    assert 'dropped 6 key(s) discriminator.*' in line and 'iteration' in line
    assert any(f'dropped {LAYER4_KEYS} key(s) of backbone.layer4' in line for line in lines)


@pytest.mark.parametrize('how', ['unknown', 'missing', 'teacher'])
def test_runner_load_from_refuses_what_does_not_fit_the_model(tmp_path, how):
    # 'teacher': a release teacher, where the tiny model has none
    state = release_training_state_dict(0, WIDTH, RADIUS, HIDDEN, teacher=how == 'teacher')
    if how != 'teacher':
        state = broken(state, how)
    path = save(tmp_path / 'release.pth', state)
    runner = tiny_runner(tmp_path, path)
    before = runner.model.backbone.conv1.weight.clone()
    with pytest.raises(CheckpointMismatchError) as error:
        runner.load_or_resume()
    message = str(error.value)
    key = 'losses.sup_loss.teacher.conv1.weight' if how == 'teacher' else expected_key(how)
    assert path in message and key in message and "type='Pretrained'" in message
    assert torch.equal(runner.model.backbone.conv1.weight, before)  # nothing loaded


def teacher_model(checkpoint: str, prefix: str = 'backbone.') -> torch.nn.Module:
    """A MixedTracker whose FlowSupervision teacher loads ``checkpoint``."""
    teacher = encoder_cfg(init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix=prefix))
    head = dict(type='DomainDiscriminator', hidden_channels=HIDDEN, grl_alpha=1.0)
    loss = dict(type='FlowSoftLabelLoss', temperature=0.07, label='teacher', sigma=1.0)
    return MODELS.build(
        dict(
            type='MixedTracker',
            backbone=encoder_cfg(),
            radius=RADIUS,
            losses=dict(
                sup_loss=dict(type='FlowSupervision', weight=1.0, loss=loss, teacher=teacher),
                corr_da_loss=dict(type='CorrelationAlignment', weight=1.0, head=head),
            ),
        )
    )


def test_pretrained_is_the_strict_loader():
    assert WEIGHT_INITIALIZERS.get('Pretrained') is StrictPretrainedInit


@pytest.mark.parametrize('layout', ['encoder', 'training', 'bare'])
def test_the_teacher_loads_a_release_checkpoint(tmp_path, layout):
    if layout == 'training':  # the release's student encoder becomes the teacher
        state = release_training_state_dict(3, WIDTH, RADIUS, HIDDEN)
    else:
        state = release_resnet_state_dict(3, WIDTH, '' if layout == 'bare' else 'backbone.')
    model = teacher_model(save(tmp_path / 'teacher.pth', state))
    with captured_log() as lines:
        model.init_weights()
    stem = state['conv1.conv.weight' if layout == 'bare' else 'backbone.conv1.conv.weight']
    teacher = model.losses.sup_loss.teacher
    assert torch.equal(teacher.conv1.weight, stem)
    assert any('detected the release' in line for line in lines)
    assert any(f'dropped {LAYER4_KEYS} key(s) of layer4' in line for line in lines)


@pytest.mark.parametrize('how', ['unknown', 'missing'])
def test_the_teacher_refuses_a_checkpoint_with_an_unknown_or_missing_key(tmp_path, how):
    path = save(tmp_path / 'teacher.pth', broken(release_resnet_state_dict(3, WIDTH), how))
    model = teacher_model(path)
    with pytest.raises(CheckpointMismatchError) as error:
        model.init_weights()
    assert path in str(error.value) and expected_key(how).replace('backbone.', '') in str(
        error.value
    )


def test_the_teacher_refuses_a_checkpoint_for_another_encoder(tmp_path):
    """mmengine's Pretrained would load none of these keys, with a warning."""
    other = {f'encoder.{k}': v for k, v in MODELS.build(encoder_cfg()).state_dict().items()}
    path = save(tmp_path / 'other.pth', other)
    with pytest.raises(
        CheckpointMismatchError,
        match=r"ResNet \(no key under 'backbone.': all keys\):\n  missing 90 key",
    ):
        teacher_model(path).init_weights()
