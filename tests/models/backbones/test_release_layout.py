"""The release's (mmpt, mmcv ConvModule) checkpoint layout maps onto our names."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from release_checkpoint import (
    assert_release_features,
    release_resnet18_state_dict,
    release_resnet_state_dict,
    release_training_state_dict,
    tensors_sha256,
)

from fgvc.models.backbones import ResNet, checkpoint_utils
from fgvc.models.backbones.release_layout import (
    convert_release_state_dict,
    is_release_layout,
    release_resnet_key,
)

FIXTURE = Path(__file__).resolve().parents[2] / 'data' / 'fixtures' / 'original'
#: The release's FGVC encoder settings (configs/eval/res18_d1_eval.py of the release).
RELEASE_ENCODER = dict(depth=18, strides=(1, 1, 1, 4), pool_type='none')


def test_the_regenerated_checkpoint_is_the_fixtures() -> None:
    stored = json.loads((FIXTURE / 'release_resnet18.json').read_text())
    state = release_resnet18_state_dict(stored['seed'])
    assert list(state) == stored['keys']
    assert [str(tuple(v.shape)) for v in state.values()] == stored['shapes']
    assert [str(v.dtype) for v in state.values()] == stored['dtypes']
    assert tensors_sha256(state.values()) == stored['sha256']


def test_release_keys_map_one_to_one_in_order_and_give_the_release_features() -> None:
    release = release_resnet18_state_dict(11)
    converted, report = convert_release_state_dict(release)
    assert report.modules == {'backbone.': ('backbone.', 120)} and report.dropped == {}
    # all four stages: the release's layer4 is kept here (a model that does
    # not build it drops it when loading)
    full = ResNet(**RELEASE_ENCODER, out_indices=(2, 3)).eval()
    assert list(converted) == [f'backbone.{k}' for k in full.state_dict()]
    for (_, ours), theirs in zip(converted.items(), release.values()):
        assert ours is theirs
    full.load_state_dict({k[len('backbone.') :]: v for k, v in converted.items()}, strict=True)
    io = np.load(FIXTURE / 'backbone_io.npz')
    with torch.no_grad():
        feat = full(torch.from_numpy(io['x']))[0].numpy()
    assert_release_features(feat, io)


def test_the_converter_is_also_named_with_the_other_converters() -> None:
    assert checkpoint_utils.convert_release_state_dict is convert_release_state_dict


def test_key_names() -> None:
    assert release_resnet_key('conv1.conv.weight') == 'conv1.weight'
    assert release_resnet_key('conv1.bn.running_var') == 'bn1.running_var'
    assert release_resnet_key('layer1.1.conv2.conv.weight') == 'layer1.1.conv2.weight'
    assert release_resnet_key('layer3.0.conv1.bn.num_batches_tracked') == (
        'layer3.0.bn1.num_batches_tracked'
    )
    assert release_resnet_key('layer2.0.downsample.conv.weight') == 'layer2.0.downsample.0.weight'
    assert release_resnet_key('layer2.0.downsample.bn.bias') == 'layer2.0.downsample.1.bias'
    # bottlenecks (ResNet-50): conv3 with bn3
    assert release_resnet_key('layer4.2.conv3.bn.weight') == 'layer4.2.bn3.weight'
    for other in ('fc.weight', 'conv1.weight', 'layer1.0.conv1.weight', 'layer1.0.bn1.weight'):
        assert release_resnet_key(other) is None


def test_a_release_training_checkpoint_maps_student_teacher_and_head() -> None:
    state = release_training_state_dict(0, hidden=(24, 12))
    converted, report = convert_release_state_dict(state)
    assert report.modules == {
        'backbone.': ('backbone.', 120),
        'teacher.': ('losses.sup_loss.teacher.', 120),
        'corr_discriminator.cls_layer.': ('losses.corr_da_loss.head.mlp.', 6),
    }
    dropped = sorted(k for keys in report.dropped.values() for k in keys)
    assert dropped == sorted(['iteration', *(k for k in state if k.startswith('discriminator.'))])
    assert (
        converted['losses.sup_loss.teacher.layer2.0.downsample.1.weight']
        is (state['teacher.layer2.0.downsample.bn.weight'])
    )
    assert (
        converted['losses.corr_da_loss.head.mlp.4.bias']
        is state['corr_discriminator.cls_layer.5.bias']
    )
    assert len(converted) == 246
    line = report.describe()
    for name in ('backbone.*', 'losses.sup_loss.teacher.*', 'discriminator.*', 'iteration'):
        assert name in line


def test_bare_and_ddp_wrapped_encoders() -> None:
    bare = release_resnet_state_dict(0, 8, prefix='')
    converted, report = convert_release_state_dict(bare)
    assert list(converted) == list(ResNet(**RELEASE_ENCODER, base_channels=8).state_dict())
    assert report.modules == {'': ('', 120)}
    wrapped = {f'module.{k}': v for k, v in release_resnet_state_dict(0, 8).items()}
    converted, report = convert_release_state_dict(wrapped)
    assert report.unwrapped and next(iter(converted)) == 'backbone.conv1.weight'


def test_keys_that_map_nowhere_are_errors_naming_them() -> None:
    assert not is_release_layout(ResNet(18).state_dict())
    with pytest.raises(ValueError, match='not a release-layout'):
        convert_release_state_dict(ResNet(18).state_dict())
    state = dict(release_resnet_state_dict(0, 8), **{'backbone.fc.weight': 0})
    state['neck.proj.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='2 key.*backbone.fc.weight.*neck.proj.weight'):
        convert_release_state_dict(state)
    with pytest.raises(ValueError, match=r"\['backbone_fine.'\] have no counterpart"):
        convert_release_state_dict(release_resnet_state_dict(0, 8, 'backbone_fine.'))
