import argparse
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Dict

import pytest
import torch
from torch import Tensor, nn

from fgvc.models.backbones import (
    ResNet,
    drop_prefixed,
    extract_state_dict,
    match_state_dict,
    strip_prefixes,
)
from fgvc.utils import load_checkpoint

TOOL = Path(__file__).resolve().parents[3] / 'tools' / 'convert_checkpoint.py'
NARROW = dict(base_channels=4)


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location('convert_checkpoint', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resnet18_state() -> Dict[str, Tensor]:
    """A full ResNet-18 state dict (what a torchvision checkpoint holds)."""
    return {
        k: torch.rand_like(v, dtype=torch.float32).to(v.dtype)
        for k, v in ResNet(18).state_dict().items()
    }


def moco_checkpoint(state: Dict[str, Tensor]) -> dict:
    """MoCo v2 layout: query and key encoders, an MLP fc and a queue."""
    weights = {f'module.encoder_q.{k}': v for k, v in state.items()}
    weights.update({f'module.encoder_k.{k}': v for k, v in state.items()})
    weights['module.encoder_q.fc.0.weight'] = torch.rand(2048, 512)
    weights['module.encoder_q.fc.2.weight'] = torch.rand(128, 2048)
    weights['module.queue'] = torch.rand(128, 16)
    return {'epoch': 200, 'arch': 'resnet18', 'state_dict': weights}


def test_strip_prefixes_repeatedly_and_detects_collisions() -> None:
    value = torch.zeros(1)
    stripped = strip_prefixes(
        {
            'module.encoder_q.conv1.weight': value,
            'student.backbone.layer1.0.bn1.bias': value,
            'bn1.weight': value,
            'module.encoder_k.conv1.weight': value,
        }
    )
    assert list(stripped) == [
        'conv1.weight',
        'layer1.0.bn1.bias',
        'bn1.weight',
        'encoder_k.conv1.weight',
    ]
    with pytest.raises(ValueError, match='conv1.weight'):
        strip_prefixes({'a.conv1.weight': value, 'b.conv1.weight': value}, prefixes=('a.', 'b.'))


def test_extract_state_dict_descends_nested_dicts() -> None:
    weight = torch.zeros(2)
    checkpoint = {'model': {'module': {'w': weight, 'step': 3}}, 'epoch': 1}
    assert extract_state_dict(checkpoint) == {'w': weight}
    assert drop_prefixed({'fc.weight': weight, 'w': weight}) == {'w': weight}


def test_moco_checkpoint_matches_cleanly() -> None:
    state = resnet18_state()
    weights = extract_state_dict(moco_checkpoint(state))
    weights = drop_prefixed(strip_prefixes(weights))
    model = ResNet(18)
    matched, report = match_state_dict(model, weights)
    assert report.missing == [] and report.mismatched == []
    assert sorted(set(k.split('.')[0] for k in report.unexpected)) == ['encoder_k', 'queue']
    assert 'encoder_k.* (' in report.format()
    assert set(matched) == set(state)
    for key, value in state.items():
        assert torch.equal(model.state_dict()[key], value)


def test_wrong_shape_is_reported_with_both_shapes() -> None:
    weights = resnet18_state()
    weights['layer2.0.conv1.weight'] = torch.rand(128, 64, 1, 1)
    del weights['bn1.running_var']
    matched, report = match_state_dict(ResNet(18), weights)
    assert report.mismatched == [('layer2.0.conv1.weight', (128, 64, 1, 1), (128, 64, 3, 3))]
    assert report.missing == ['bn1.running_var']
    assert 'layer2.0.conv1.weight' not in matched
    text = report.format()
    assert (
        'shape mismatch (dropped): layer2.0.conv1.weight: checkpoint '
        '[128, 64, 1, 1], model [128, 64, 3, 3]'
    ) in text
    assert 'missing in the checkpoint: bn1.running_var' in text


def test_tool_converts_moco_checkpoint_for_fgvc_encoder(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    state = resnet18_state()
    source, target = tmp_path / 'moco.pth.tar', tmp_path / 'converted.pth'
    torch.save(moco_checkpoint(state), source)
    assert load_tool().main([str(source), str(target), '--out-indices', '2']) == 0
    output = capsys.readouterr().out
    assert 'unexpected (dropped): layer4.*' in output
    assert 'missing' not in output and 'mismatch' not in output

    class Tracker(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = ResNet(18, strides=(1, 1, 1, 4), pool_type='none', out_indices=(2,))

    converted = torch.load(target, weights_only=True)['state_dict']
    tracker = Tracker()
    tracker.load_state_dict(converted, strict=True)
    assert torch.equal(tracker.backbone.layer3[1].conv2.weight, state['layer3.1.conv2.weight'])


def test_tool_reads_argument_namespaces_safely_and_refuses_partial_encoders(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # Training arguments pickled beside the weights, as DINO does: an
    # argparse.Namespace is on the safe loader's allow-list.
    weights = {
        f'module.student.backbone.{k}': v for k, v in ResNet(18, **NARROW).state_dict().items()
    }
    source = tmp_path / 'dino.pth'
    torch.save({'model': weights, 'args': argparse.Namespace(lr=1)}, source)
    assert load_checkpoint(str(source))['args'].lr == 1

    # These narrow weights do not fit a full-width ResNet-18: every
    # convolution is a shape mismatch, and nothing is saved by default.
    target = tmp_path / 'out.pth'
    status = load_tool().main([str(source), str(target)])
    captured = capsys.readouterr()
    assert status == 1 and not target.exists()
    assert (
        'shape mismatch (dropped): conv1.weight: checkpoint [4, 3, 7, 7], model [64, 3, 7, 7]'
    ) in captured.out
    assert '--allow-partial' in captured.err
    assert 'unexpected' not in captured.out

    # --allow-partial saves what fits (the batch-norm counters), as tensors only.
    assert load_tool().main([str(source), str(target), '--allow-partial']) == 0
    saved = torch.load(target, weights_only=True)['state_dict']
    assert saved and all(key.endswith('num_batches_tracked') for key in saved)
