"""The encoding options where the release's recipe differs from ours, each on
a hand-computed case: BatchNorm passes, colour-drop target and draw,
zero-initialised residual branches; and the tracker's checks of them."""

import math

import pytest
import torch
from mmengine.structures import BaseDataElement
from tiny_models import TINY_BACKBONE
from torch import Tensor, nn

from fgvc.models.backbones import ResNet
from fgvc.models.losses import drop_colour, encode_pairs
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()


class NormOnly(nn.Module):
    """A backbone that is one affine-free BatchNorm over one channel."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(1, affine=False)

    def forward(self, x: Tensor):
        return (self.norm(x),)


class FrameRecorder(nn.Module):
    """A stand-in teacher: records its input, returns ``features``."""

    def __init__(self, features: Tensor) -> None:
        super().__init__()
        self.features = features
        self.seen = []

    def forward(self, x: Tensor):
        self.seen.append(x.clone())
        return (self.features,)


class Passthrough(nn.Module):
    """A backbone returning its input as the features."""

    def forward(self, x: Tensor):
        return (x,)


def constant_pair(ref: float, tgt: float, channels: int = 1, batch: int = 1) -> Tensor:
    """``[batch, 2, channels, 1, 1]``: reference frame ``ref``, target ``tgt``."""
    return torch.tensor([ref, tgt]).view(1, 2, 1, 1, 1).expand(batch, 2, channels, 1, 1).clone()


def pairs() -> dict:
    return dict(synthetic=constant_pair(0.0, 2.0), real=constant_pair(10.0, 14.0))


def encoded(passes) -> tuple:
    backbone = NormOnly().train()
    batch = encode_pairs(
        backbone, pairs(), [], radius=0, drop_channels=(0,), drop_branches=(), passes=passes
    )
    values = {b: [f.item() for f in batch.features[b]] for b in batch.features}
    return values, backbone.norm.running_mean.item()


def test_one_pass_normalises_both_pairs_with_joint_statistics():
    # {0, 2, 10, 14}: mean 6.5, biased variance 32.75
    values, running_mean = encoded(None)
    scale = math.sqrt(32.75 + 1e-5)
    assert values['synthetic'] == pytest.approx([-6.5 / scale, -4.5 / scale], abs=1e-6)
    assert values['real'] == pytest.approx([3.5 / scale, 7.5 / scale], abs=1e-6)
    assert running_mean == pytest.approx(0.1 * 6.5, abs=1e-6)


def test_two_passes_normalise_each_pair_with_its_own_statistics_in_order():
    # synthetic {0, 2}: mean 1, variance 1; real {10, 14}: mean 12, variance 4
    values, running_mean = encoded((('real',), ('synthetic',)))
    assert values['synthetic'] == pytest.approx([-1 / math.sqrt(1 + 1e-5), 1 / math.sqrt(1 + 1e-5)])
    assert values['real'] == pytest.approx([-2 / math.sqrt(4 + 1e-5), 2 / math.sqrt(4 + 1e-5)])
    # momentum 0.1: real first, then synthetic: 0.9 * (0.1 * 12) + 0.1 * 1
    assert running_mean == pytest.approx(1.18, abs=1e-6)
    _, reversed_order = encoded((('synthetic',), ('real',)))
    assert reversed_order == pytest.approx(0.9 * 0.1 * 1 + 0.1 * 12, abs=1e-6)


@pytest.mark.parametrize('drop_branches', [('real',), ('real', 'synthetic')])
def test_colour_is_dropped_from_the_chosen_pairs_and_the_frames_stay_whole(drop_branches):
    # channel c holds c + 1; dropping channel 1 or 2 leaves (1.5, 0, 4.5) or (1.5, 3, 0)
    frames = torch.tensor([1.0, 2.0, 3.0]).view(1, 1, 3, 1, 1).expand(2, 2, 3, 1, 1).clone()
    batch = encode_pairs(
        Passthrough(),
        dict(synthetic=frames, real=frames.clone()),
        [],
        radius=0,
        drop_channels=(1, 2),
        drop_branches=drop_branches,
    )
    whole = [1.0, 2.0, 3.0]
    dropped = ([1.5, 0.0, 4.5], [1.5, 3.0, 0.0])
    for branch in ('synthetic', 'real'):
        inputs = batch.inputs[branch][:, :, :, 0, 0]
        for sample in inputs.flatten(0, 1).tolist():
            assert sample in dropped if branch in drop_branches else sample == whole
        assert batch.frames[branch][:, :, :, 0, 0].flatten(0, 1).tolist() == [whole] * 4
        assert (branch in batch.dropped) == (branch in drop_branches)


def test_the_teacher_reads_the_whole_synthetic_frame_when_its_student_input_is_dropped():
    frames = torch.tensor([1.0, 2.0, 3.0]).view(1, 1, 3, 1, 1).expand(1, 4, 3, 4, 4).clone()
    model = MODELS.build(tiny_tracker(drop_branches=('real', 'synthetic')))
    batch = model.encode_pairs(frames, [sample_with_flow(4)])
    student = batch.inputs['synthetic'][0, :, :, 0, 0].tolist()
    assert student in ([[1.5, 0.0, 4.5]] * 2, [[1.5, 3.0, 0.0]] * 2)
    part = model.losses.sup_loss
    part.teacher = FrameRecorder(torch.zeros_like(batch.features['synthetic'][0]))
    part(batch)
    (seen,) = part.teacher.seen
    torch.testing.assert_close(seen, frames[:, 0])


@pytest.mark.parametrize('draw, one_channel', [('batch', True), ('sample', False)])
def test_dropped_channel_drawn_per_batch_or_per_sample(draw, one_channel):
    torch.manual_seed(0)
    frames = torch.rand(64, 2, 3, 2, 2)
    inputs, values = drop_colour(frames, (1, 2), draw)
    zeroed = {int(c) for c in (inputs[:, 0, :, 0, 0] == 0).nonzero()[:, 1]}
    assert (len(zeroed) == 1) == one_channel
    assert zeroed <= {1, 2}
    for i in range(64):  # the values given back are the dropped channel's
        (channel,) = (inputs[i, 0, :, 0, 0] == 0).nonzero()[0].tolist()
        torch.testing.assert_close(values[i, :, 0], frames[i, :, channel])


def test_zero_init_residual_zeroes_each_branch_last_norm_and_makes_blocks_identities():
    plain = ResNet(depth=18, base_channels=8, out_indices=(2,))
    plain.init_weights()
    zeroed = ResNet(depth=18, base_channels=8, out_indices=(2,), zero_init_residual=True)
    zeroed.init_weights()
    assert len(zeroed.residual_branch_norms()) == 6  # two blocks in each of three stages
    for norm in plain.residual_branch_norms():
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)
    for norm in zeroed.residual_branch_norms():
        assert torch.all(norm.weight == 0) and torch.all(norm.bias == 0)
    # the other norms keep weight 1
    assert torch.all(zeroed.layer1[0].bn1.weight == 1)
    # a block without downsampling now passes a non-negative input through
    x = torch.rand(2, 8, 5, 5)
    torch.testing.assert_close(zeroed.train().layer1[1](x), x)
    assert not torch.allclose(plain.train().layer1[1](x), x)


def test_zero_init_residual_leaves_pretrained_weights(tmp_path):
    source = ResNet(depth=18, base_channels=8, out_indices=(2,))
    source.init_weights()
    path = tmp_path / 'encoder.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    model = ResNet(
        depth=18,
        base_channels=8,
        out_indices=(2,),
        zero_init_residual=True,
        init_cfg=dict(type='Pretrained', checkpoint=str(path)),
    )
    model.init_weights()
    for norm in model.residual_branch_norms():
        assert torch.all(norm.weight == 1)


def tiny_tracker(**options) -> dict:
    head = dict(type='DomainDiscriminator', hidden_channels=(8,), grl_alpha=1.0)
    return dict(
        type='MixedTracker',
        backbone=dict(TINY_BACKBONE),
        radius=1,
        losses=dict(
            sup_loss=dict(
                type='FlowSupervision',
                weight=1.0,
                loss=dict(type='FlowSoftLabelLoss', temperature=0.07, label='bilateral', sigma=1.0),
            ),
            l1_loss=dict(
                type='ColourReconstruction',
                weight=1.0,
                loss=dict(type='ReconstructionLoss', value_scale=20.0),
            ),
            corr_da_loss=dict(type='CorrelationAlignment', weight=1.0, head=head),
        ),
        **options,
    )


def sample_with_flow(size: int) -> BaseDataElement:
    sample = BaseDataElement(metainfo=dict(branch_frames=dict(synthetic=(0, 1), real=(2, 3))))
    sample.flow = torch.zeros(2, size, size)
    sample.flow_back = torch.zeros(2, size, size)
    return sample


@pytest.mark.parametrize(
    'options, message',
    [
        (dict(encoder_passes=(('real',),)), 'must list each of'),
        (dict(encoder_passes=(('real', 'synthetic'), ('real',))), 'must list each of'),
        (
            dict(encoder_passes=(('real',), ('labelled',))),
            "unknown branch\\(es\\) \\['labelled'\\]",
        ),
        (
            dict(drop_branches=('synthetic',)),
            "reconstructs the colour dropped from the \\['real'\\]",
        ),
        (dict(drop_draw='video'), 'drop_draw must be one of'),
    ],
)
def test_tracker_refuses_inconsistent_recipe_options(options, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(tiny_tracker(**options))


def test_release_options_train_a_step_with_finite_losses():
    model = MODELS.build(
        tiny_tracker(
            drop_branches=('real', 'synthetic'),
            drop_draw='batch',
            encoder_passes=(('real',), ('synthetic',)),
        )
    )
    model.init_weights()
    torch.manual_seed(0)
    frames = torch.randn(2, 4, 3, 8, 8)
    losses = model.loss(frames, [sample_with_flow(8), sample_with_flow(8)])
    assert set(losses) == {'sup_loss', 'l1_loss', 'corr_da_loss'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
