import json
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import nn

from fgvc.models.backbones import ResNet
from fgvc.registry import MODELS

#: ``{key: shape}`` of torchvision's resnet18/34/50 state dicts (made with
#: torchvision 0.29.1, which does not import beside our torch).
TORCHVISION_KEYS = Path(__file__).resolve().parents[2] / 'fixtures' / 'torchvision_resnet_keys.json'


def torchvision_shapes(depth: int) -> Dict[str, List[int]]:
    with open(TORCHVISION_KEYS) as f:
        return json.load(f)['state_dict_shapes'][str(depth)]


def random_state_dict(shapes: Dict[str, List[int]]) -> Dict[str, torch.Tensor]:
    return {
        key: torch.randint(100, shape) if key.endswith('num_batches_tracked') else torch.rand(shape)
        for key, shape in shapes.items()
    }


def test_fgvc_encoder_gives_stride_2_map_of_256_channels() -> None:
    model = MODELS.build(
        dict(type='ResNet', depth=18, strides=(1, 1, 1, 4), pool_type='none', out_indices=(2,))
    )
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 256, 256))
    assert len(outs) == 1
    assert outs[0].shape == (1, 256, 128, 128)
    assert model.out_channels == (256,)
    assert not hasattr(model, 'layer4')


@pytest.mark.parametrize('depth', [18, 34, 50])
def test_torchvision_keys_load_exactly(depth: int) -> None:
    shapes = torchvision_shapes(depth)
    state_dict = random_state_dict({k: v for k, v in shapes.items() if not k.startswith('fc.')})
    model = ResNet(depth)
    model.load_state_dict(state_dict, strict=True)
    loaded = model.state_dict()
    for key, value in state_dict.items():
        assert torch.equal(loaded[key], value)


@pytest.mark.parametrize('depth', [18, 50])
def test_unbuilt_stages_are_reported_as_unexpected(depth: int) -> None:
    shapes = torchvision_shapes(depth)
    model = ResNet(depth, strides=(1, 1, 1, 4), pool_type='none', out_indices=(2,))
    result = model.load_state_dict(random_state_dict(shapes), strict=False)
    assert result.missing_keys == []
    assert result.unexpected_keys
    assert all(k.startswith(('layer4.', 'fc.')) for k in result.unexpected_keys)
    assert {k for k in shapes if k.startswith(('layer4.', 'fc.'))} == set(result.unexpected_keys)


def test_out_indices_order_and_shapes_of_resnet50() -> None:
    model = ResNet(50, base_channels=8, out_indices=(3, 0, 1))
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 64, 64))
    # stem /4 (conv + max pool), then strides 1, 2, 2, 2.
    assert [tuple(o.shape) for o in outs] == [(2, 256, 2, 2), (2, 32, 16, 16), (2, 64, 8, 8)]
    assert model.out_channels == (256, 32, 64)


@pytest.mark.parametrize('pool_type,size', [('max', 8), ('mean', 8), ('none', 16)])
def test_pool_types(pool_type: str, size: int) -> None:
    model = ResNet(18, base_channels=4, pool_type=pool_type, out_indices=(0,))
    model.eval()
    with torch.no_grad():
        (out,) = model(torch.randn(1, 3, 32, 32))
    assert out.shape == (1, 4, size, size)


def test_dilation_keeps_resolution() -> None:
    model = ResNet(
        34, base_channels=4, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), out_indices=(3,)
    )
    model.eval()
    with torch.no_grad():
        (out,) = model(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 32, 8, 8)
    assert model.layer4[1].conv1.dilation == (4, 4)


def test_frozen_stages_and_norm_eval() -> None:
    model = ResNet(18, base_channels=4, frozen_stages=1, norm_eval=False)
    model.train()
    for module in (model.conv1, model.bn1, model.layer1):
        assert all(not p.requires_grad for p in module.parameters())
    assert not model.bn1.training and not model.layer1[0].bn1.training
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert model.layer2[0].bn1.training

    model = ResNet(18, base_channels=4, norm_eval=True)
    model.train()
    assert model.training
    assert not any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert all(p.requires_grad for p in model.parameters())


def test_norm_cfg() -> None:
    model = ResNet(
        18, base_channels=4, out_indices=(0,), norm_cfg=dict(type='SyncBN', momentum=0.01)
    )
    assert isinstance(model.bn1, nn.SyncBatchNorm)
    assert model.layer1[0].bn2.momentum == 0.01
    with pytest.raises(KeyError):
        ResNet(18, norm_cfg=dict(type='GN'))


def test_init_weights_and_invalid_arguments() -> None:
    model = ResNet(18, base_channels=4, out_indices=(1,))
    model.init_weights()
    assert torch.all(model.bn1.weight == 1)
    with pytest.raises(KeyError):
        ResNet(101)
    with pytest.raises(ValueError):
        ResNet(18, out_indices=(4,))
    with pytest.raises(ValueError):
        ResNet(18, pool_type='avg')
    with pytest.raises(ValueError):
        ResNet(18, out_indices=(1,), frozen_stages=3)
