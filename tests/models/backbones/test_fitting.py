"""fit_state_dict: every weight present, every key used, shapes equal; only
the stages a ResNet does not build are left out, and said so."""

import pytest
import torch
from torch import nn

from fgvc.models.backbones import ResNet
from fgvc.models.backbones.fitting import (
    CheckpointMismatchError,
    fit_state_dict,
    load_state_dict_strictly,
    unbuilt_stage_keys,
    unwrap_ddp,
)


class Tracker(nn.Module):
    """An encoder that stops at layer3 and a head."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = ResNet(18, base_channels=4, out_indices=(2,))
        self.head = nn.Linear(3, 2)


def full_state() -> dict:
    """Our names, with the layer4 a 4-stage encoder has."""
    state = {f'backbone.{k}': v for k, v in ResNet(18, base_channels=4).state_dict().items()}
    state.update({f'head.{k}': v.clone() for k, v in nn.Linear(3, 2).state_dict().items()})
    return state


def test_unbuilt_stages_are_left_out_with_their_count() -> None:
    model, state = Tracker(), full_state()
    layer4 = [k for k in state if k.startswith('backbone.layer4.')]
    assert unbuilt_stage_keys(model, state) == layer4 and len(layer4) == 30
    notes = load_state_dict_strictly(model, state, 'ckpt.pth')
    assert notes == [
        'ckpt.pth: dropped 30 key(s) of backbone.layer4, a stage the model does not build '
        '(its output would be unused)'
    ]
    assert torch.equal(model.head.weight, state['head.weight'])


def test_everything_else_is_an_error_naming_the_keys() -> None:
    state = full_state()
    state['backbone.layer9.0.conv1.weight'] = torch.zeros(1)  # not a stage of a ResNet
    state['backbone.bn1.weight'] = torch.zeros(5)
    del state['head.bias']
    with pytest.raises(CheckpointMismatchError) as error:
        fit_state_dict(Tracker(), state, 'ckpt.pth', 'the tracker')
    assert str(error.value) == (
        'Checkpoint ckpt.pth does not fit the tracker:\n'
        "  missing 1 key(s): ['head.bias']\n"
        "  1 key(s) map nowhere: ['backbone.layer9.0.conv1.weight']\n"
        '  shape mismatch backbone.bn1.weight: checkpoint (5,) vs model (4,)'
    )


def test_ddp_prefix_is_removed_only_when_every_key_has_it() -> None:
    assert unwrap_ddp({'module.a': 1, 'module.b': 2}) == ({'a': 1, 'b': 2}, True)
    assert unwrap_ddp({'module.a': 1, 'b': 2}) == ({'module.a': 1, 'b': 2}, False)
