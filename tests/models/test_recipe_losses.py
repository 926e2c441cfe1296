"""The loss options where the release's recipe differs from ours, each on a
hand-computed case: teacher normalisation axis, off-map displacements, grid
sampling, forward-backward check, matches off the map."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fgvc.models.losses import (
    FlowSoftLabelLoss,
    FlowSupervision,
    ReconstructionLoss,
    soft_cross_entropy,
)
from fgvc.models.losses.flow_labels import (
    flow_to_grid,
    forward_backward_consistent,
    release_forward_backward_consistent,
    sample_at_release,
    window_inside,
)

LN8 = math.log(8.0)


class FixedTeacher(nn.Module):
    """A stand-in teacher: returns ``features`` and records its input."""

    def __init__(self, features: Tensor) -> None:
        super().__init__()
        self.features = features
        self.seen = None

    def forward(self, frame: Tensor):
        self.seen = frame
        return (self.features,)


def height_pairs() -> Tensor:
    """``[2, 3, 2, 2]``: channel c holds 3(c+1) in row 0 and 4(c+1) in row 1."""
    rows = torch.tensor([3.0, 4.0]).view(1, 1, 2, 1)
    scale = torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1)
    return (rows * scale).expand(2, 3, 2, 2).clone()


def sup_part(teacher_norm_dim: int) -> FlowSupervision:
    loss = dict(type='FlowSoftLabelLoss', temperature=0.07, label='gaussian', sigma=1.0)
    return FlowSupervision(
        weight=1.0, radius=1, feature_channels=3, loss=loss, teacher_norm_dim=teacher_norm_dim
    )


@pytest.mark.parametrize('with_teacher', [False, True])
def test_teacher_features_normalised_along_channels_or_rows(with_teacher):
    x = height_pairs()
    expected = {
        # over channels: (1, 2, 3) / sqrt(14) in every cell
        1: (torch.tensor([1.0, 2.0, 3.0]) / math.sqrt(14)).view(1, 3, 1, 1).expand(2, 3, 2, 2),
        # over rows (the release's dim 2): (3, 4) / 5 in every channel and column
        2: torch.tensor([0.6, 0.8]).view(1, 1, 2, 1).expand(2, 3, 2, 2),
    }
    for dim, want in expected.items():
        part = sup_part(dim)
        if with_teacher:
            part.teacher = FixedTeacher(x)
            got = part.teacher_features(torch.zeros(2, 3, 4, 4), student=torch.zeros_like(x))
        else:
            got = part.teacher_features(torch.zeros(2, 3, 4, 4), student=x)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def test_teacher_norm_dim_outside_the_map_dims_is_refused():
    with pytest.raises(ValueError, match='teacher_norm_dim must be 1'):
        sup_part(0)


def self_label_logits(features: Tensor, dim: int) -> Tensor:
    """``[B, 9, h, w]`` radius-1 label logits of a still pair (zero flow) whose
    teacher is ``features`` normalised along ``dim``."""
    loss = FlowSoftLabelLoss(radius=1, temperature=0.07, label='teacher')
    flow = torch.zeros(features.shape[0], 2, *features.shape[-2:])
    logits, _ = loss.targets(F.normalize(features, dim=dim), flow, flow)
    return logits


def test_label_over_channels_peaks_at_the_flow_target_and_over_rows_need_not():
    # centre cell weak, its neighbours strong, all pointing the same way
    features = torch.ones(1, 2, 3, 3)
    features[:, :, 1, 1] = 0.1
    # over channels every cell is the unit vector (1, 1)/sqrt(2): the centre ties the best
    channels = self_label_logits(features, 1)[0, :, 1, 1]
    assert channels[4] == channels.max()
    # over rows the centre's weak entry makes its own similarity the smallest
    rows = self_label_logits(features, 2)[0, :, 1, 1]
    assert rows[4] < rows[1]
    # random features: the centre is the largest logit in every cell (Cauchy-Schwarz)
    torch.manual_seed(0)
    logits = self_label_logits(torch.randn(2, 8, 5, 5) * torch.rand(2, 1, 5, 5) * 10, 1)
    inner = logits[:, :, 1:-1, 1:-1]
    assert (inner.argmax(1) == 4).all()


@pytest.mark.parametrize('label', ['teacher', 'bilateral'])
def test_self_labelling_over_rows_is_refused(label):
    loss = dict(type='FlowSoftLabelLoss', temperature=0.07, label=label, sigma=1.0)
    with pytest.raises(ValueError, match='teacher_norm_dim=2 without a teacher'):
        FlowSupervision(weight=1.0, radius=1, feature_channels=3, loss=loss, teacher_norm_dim=2)


def one_cell_logits(centre: float) -> Tensor:
    """``[1, 9, 1, 1]`` window logits of a 1x1 map: ``centre`` at d = 0, zero
    (a zero-padded correlation) at the 8 displacements off the map."""
    logits = torch.zeros(1, 9, 1, 1)
    logits[0, 4] = centre
    return logits


def test_soft_cross_entropy_masks_or_keeps_off_map_displacements():
    inside = window_inside((1, 1), 1)
    assert inside.view(-1).tolist() == [False] * 4 + [True] + [False] * 4
    label, student = one_cell_logits(LN8), one_cell_logits(LN8)
    valid = torch.ones(1, 1, 1, dtype=torch.bool)
    # mask: one displacement left, label and prediction both certain of it
    masked = soft_cross_entropy(label, student, inside, valid, 'mask')
    assert masked.item() == pytest.approx(0.0, abs=1e-7)
    # zero: label 8/16 at the centre, 1/16 elsewhere; log q = ln 8 - ln 16 at
    # the centre, -ln 16 elsewhere: loss = ln 16 - 0.5 ln 8 = 2.5 ln 2
    zero = soft_cross_entropy(label, student, inside, valid, 'zero')
    assert zero.item() == pytest.approx(2.5 * math.log(2.0), abs=1e-6)


def test_soft_label_loss_off_map_handling_on_one_cell():
    # 2x2 frame, stride 2: one cell, zero flow, radius 1; student target and
    # reference the same unit vector, T = 1/ln 8: student logit ln 8 at d = 0
    feat = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)
    flow = torch.zeros(1, 2, 2, 2)
    losses = {}
    for off_map in ('mask', 'zero'):
        loss = FlowSoftLabelLoss(
            radius=1, temperature=1 / LN8, label='gaussian', sigma=1.0, off_map=off_map
        )
        losses[off_map] = loss(feat, feat, feat, flow, flow).item()
    assert losses['mask'] == pytest.approx(0.0, abs=1e-6)
    # zero: the Gaussian's off-map logits become 0 like its centre's: a
    # uniform label; loss = -(1/9) (ln 8 - 9 ln 16) = ln 16 - ln 8 / 9
    assert losses['zero'] == pytest.approx(math.log(16.0) - LN8 / 9, abs=1e-5)


@pytest.mark.parametrize(
    'grid_sampling, off_map, expected',
    [
        ('cell_mean', 'mask', 0.0),  # recon 4 (cell mean), target 4
        ('cell_mean', 'zero', 1.5),  # recon 0.5 * 4: |2| -> 2 - 0.5
        ('top_left', 'mask', 2.5),  # recon 1 (top-left pixel): |3| -> 3 - 0.5
        ('top_left', 'zero', 3.0),  # recon 0.5 * 1: |3.5| -> 3.5 - 0.5
    ],
)
def test_reconstruction_grid_sampling_and_off_map(grid_sampling, off_map, expected):
    # one cell of a 2x2 frame; C = 4 channels so corr / sqrt(C) = ln 8 at d = 0
    corr = one_cell_logits(2 * LN8)
    ref = torch.tensor([[1.0, 3.0], [5.0, 7.0]]).view(1, 1, 2, 2)
    target = torch.full((1, 1, 2, 2), 4.0)
    loss = ReconstructionLoss(
        radius=1, value_scale=1.0, grid_sampling=grid_sampling, off_map=off_map
    )
    assert loss(corr, 4, ref, target).item() == pytest.approx(expected, abs=1e-6)


def test_flow_to_grid_cell_mean_or_top_left():
    # u = column index, v = 0 on a 4x4 frame at stride 2
    flow = torch.zeros(1, 2, 4, 4)
    flow[0, 0] = torch.arange(4.0).view(1, 4)
    valid = torch.ones(1, 4, 4, dtype=torch.bool)
    valid[0, 1, 1] = False  # inside cell (0, 0), not its top-left pixel
    valid[0, 2, 2] = False  # the top-left pixel of cell (1, 1)
    mean_flow, mean_valid = flow_to_grid(flow, valid, 2, 'cell_mean')
    torch.testing.assert_close(mean_flow[0, 0], torch.tensor([[0.25, 1.25], [0.25, 1.25]]))
    assert mean_valid[0].tolist() == [[False, True], [True, False]]
    top_flow, top_valid = flow_to_grid(flow, valid, 2, 'top_left')
    torch.testing.assert_close(top_flow[0, 0], torch.tensor([[0.0, 1.0], [0.0, 1.0]]))
    assert top_valid[0].tolist() == [[True, True], [True, False]]


def test_release_warp_reads_scaled_positions_and_zeroes_the_border():
    # values = x on a 4x4 map, zero displacement: the release reads at
    # x * 4/3 - 0.5 (and y likewise); rows and columns 0 and 3 fall partly
    # off the map and read 0
    values = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 4, 4).contiguous()
    got = sample_at_release(values, torch.zeros(1, 2, 4, 4))[0, 0]
    inner = [0.0, 4 / 3 - 0.5, 8 / 3 - 0.5, 0.0]
    want = torch.tensor([[0.0] * 4, inner, inner, [0.0] * 4])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def constant_flow(u: float, v: float, size: int = 4) -> Tensor:
    flow = torch.empty(1, 2, size, size)
    flow[:, 0], flow[:, 1] = u, v
    return flow


def test_release_fb_bound_depends_on_the_flow_sign():
    zero = torch.zeros(1, 2, 4, 4)
    all_true = [[True] * 4] * 4
    # |f + b|^2 = 0.5; UnFlow bound 0.01 * 0.5 + 0.5 = 0.505 (match in frame
    # needed); release bound 0.01 * sum(2 f) + 0.5: 0.52 for f = +0.5, 0.48 for -0.5
    forward = constant_flow(0.5, 0.5)
    unflow = forward_backward_consistent(forward, zero, 0.01, 0.5)[0].tolist()
    assert unflow == [[True] * 3 + [False]] * 3 + [[False] * 4]  # matches beyond x, y = 3
    assert release_forward_backward_consistent(forward, zero, 0.01, 0.5)[0].tolist() == all_true
    backward = constant_flow(-0.5, -0.5)
    unflow = forward_backward_consistent(backward, zero, 0.01, 0.5)[0].tolist()
    assert unflow == [[False] * 4] + [[False] + [True] * 3] * 3
    release = release_forward_backward_consistent(backward, zero, 0.01, 0.5)[0].tolist()
    assert release == [[False] * 4] * 4


def test_release_fb_check_passes_the_border_where_its_warp_reads_zero():
    # f = 0, b = (1, 0): |f + b|^2 = 1 fails both bounds (0.51) where b is
    # read; the release reads b = 0 on the border rows and columns: 0 < 0.5
    flow, flow_back = torch.zeros(1, 2, 4, 4), constant_flow(1.0, 0.0)
    assert not forward_backward_consistent(flow, flow_back, 0.01, 0.5).any()
    release = release_forward_backward_consistent(flow, flow_back, 0.01, 0.5)[0]
    border = torch.ones(4, 4, dtype=torch.bool)
    border[1:3, 1:3] = False
    assert torch.equal(release, border)


@pytest.mark.parametrize('match_on_map, first_column_valid', [(True, False), (False, True)])
def test_match_off_the_map_is_dropped_or_kept(match_on_map, first_column_valid):
    # u = -0.5 px on a 4x8 frame, top-left sampling: -0.25 cells, so column
    # 0's match lies left of the map; the release's check passes every pixel
    flow, flow_back = constant_flow(-0.5, 0.0, 8)[..., :4, :], constant_flow(0.5, 0.0, 8)
    flow_back = flow_back[..., :4, :]
    loss = FlowSoftLabelLoss(
        radius=2,
        temperature=0.07,
        label='gaussian',
        sigma=1.0,
        fb_check='release',
        grid_sampling='top_left',
        match_on_map=match_on_map,
    )
    _, valid = loss.targets(torch.zeros(1, 2, 2, 4), flow, flow_back)
    assert valid[0, :, 1:].all()
    assert valid[0, :, 0].tolist() == [first_column_valid] * 2


@pytest.mark.parametrize(
    'option, value',
    [('fb_check', 'symmetric'), ('grid_sampling', 'centre'), ('off_map', 'clamp')],
)
def test_unknown_option_values_are_named(option, value):
    with pytest.raises(ValueError, match=f'{option} must be one of'):
        FlowSoftLabelLoss(radius=1, temperature=0.07, **{option: value})
