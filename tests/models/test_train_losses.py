"""Unit tests of the training losses on inputs whose answers are known."""

import math

import pytest
import torch
import torch.nn.functional as F

from fgvc.models.heads import DomainDiscriminator
from fgvc.models.losses import FlowSoftLabelLoss, ReconstructionLoss, reconstruct, reverse_gradient
from fgvc.models.losses.flow_labels import window_offsets

RADIUS = 3
STRIDE = 2
GRID = 8


def uniform_flow(u: float, v: float, size: int = GRID * STRIDE) -> torch.Tensor:
    flow = torch.zeros(1, 2, size, size)
    flow[:, 0], flow[:, 1] = u, v
    return flow


def displacement_index(dx: int, dy: int, radius: int = RADIUS) -> int:
    return (dy + radius) * (2 * radius + 1) + (dx + radius)


@pytest.mark.parametrize('label', ['teacher', 'gaussian', 'bilateral'])
def test_soft_label_peaks_at_flow(label):
    torch.manual_seed(0)
    loss = FlowSoftLabelLoss(radius=RADIUS, temperature=0.07, label=label, sigma=1.0)
    teacher = F.normalize(torch.randn(1, 16, GRID, GRID), dim=1)
    dx, dy = 2, -1  # in cells; the flow is in pixels (stride 2)
    logits, valid = loss.targets(
        teacher, uniform_flow(dx * STRIDE, dy * STRIDE), uniform_flow(-dx * STRIDE, -dy * STRIDE)
    )
    # pixels whose match stays on the grid carry a loss, and peak at the flow
    assert valid[0, 2:6, 0:5].all()
    peak = logits[0].argmax(0)[valid[0]]
    assert (peak == displacement_index(dx, dy)).all()


def test_teacher_label_follows_features_not_just_distance():
    # a teacher whose features repeat every 2 cells horizontally: the label
    # has equal peaks at the flow and 2 cells beside it (Gaussian: one peak)
    base = torch.randn(1, 8, GRID, 2)
    teacher = F.normalize(base.repeat(1, 1, 1, GRID // 2), dim=1)
    loss = FlowSoftLabelLoss(radius=RADIUS, temperature=0.07, label='teacher')
    logits, _ = loss.targets(teacher, uniform_flow(0, 0), uniform_flow(0, 0))
    probs = logits[0, :, 4, 4].softmax(0)
    assert probs[displacement_index(0, 0)].item() == pytest.approx(
        probs[displacement_index(2, 0)].item(), rel=1e-4
    )


def test_occluded_and_out_of_window_pixels_carry_no_loss():
    loss = FlowSoftLabelLoss(radius=RADIUS, temperature=0.07, label='gaussian', sigma=1.0)
    teacher = F.normalize(torch.randn(1, 4, GRID, GRID), dim=1)
    flow = uniform_flow(0, 0)
    flow_back = uniform_flow(0, 0)
    # left half: backward flow does not undo the flow -> occluded
    flow_back[..., :GRID] = 6.0
    # bottom-right cell block: flow beyond the window radius
    flow[:, 0, GRID:, GRID:] = (RADIUS + 1) * STRIDE
    flow_back[:, 0, GRID:, GRID:] = -(RADIUS + 1) * STRIDE
    _, valid = loss.targets(teacher, flow, flow_back)
    assert not valid[0, :, : GRID // 2].any()
    assert not valid[0, GRID // 2 :, GRID // 2 :].any()
    assert valid[0, : GRID // 2, GRID // 2 :].all()
    # perturbing the student only where no loss is carried changes nothing
    student = torch.randn(1, 4, GRID, GRID)
    changed = student.clone()
    changed[..., :, : GRID // 2 - RADIUS] = torch.randn(GRID, GRID // 2 - RADIUS)
    ref = torch.randn(1, 4, GRID, GRID)
    before = loss(student, ref, teacher, flow, flow_back)
    after = loss(changed, ref, teacher, flow, flow_back)
    assert before.item() == pytest.approx(after.item())
    # nothing valid: zero loss, still differentiable
    student.requires_grad_(True)
    zero = loss(student, ref, teacher, flow, uniform_flow(6.0, 6.0))
    zero.backward()
    assert zero.item() == 0 and student.grad is not None


def test_sup_loss_is_lowest_for_features_that_match_the_flow():
    torch.manual_seed(0)
    loss = FlowSoftLabelLoss(radius=RADIUS, temperature=0.07, label='gaussian', sigma=0.5)
    ref = torch.randn(1, 32, GRID, GRID)
    shifted = torch.roll(ref, shifts=-1, dims=-1)  # target p shows reference p + 1
    flow, back = uniform_flow(STRIDE, 0), uniform_flow(-STRIDE, 0)
    teacher = F.normalize(ref, dim=1)
    matched = loss(shifted, ref, teacher, flow, back)
    unmatched = loss(torch.randn_like(ref), ref, teacher, flow, back)
    assert matched < unmatched


def test_gradient_reversal_multiplies_gradient_by_minus_alpha():
    x = torch.randn(5, requires_grad=True)
    weights = torch.randn(5)
    (reverse_gradient(x, 0.3) * weights).sum().backward()
    torch.testing.assert_close(x.grad, -0.3 * weights)
    assert torch.equal(reverse_gradient(x, 0.3), x)


def test_reconstruction_with_identity_affinity_is_exact():
    torch.manual_seed(0)
    values = torch.randn(2, 1, GRID, GRID)
    identity = torch.zeros(2, (2 * RADIUS + 1) ** 2, GRID, GRID)
    identity[:, displacement_index(0, 0)] = 1
    torch.testing.assert_close(reconstruct(identity, values, RADIUS), values)
    # a one-hot affinity at (dx, dy) copies the reference from p + (dx, dy)
    shift = torch.zeros_like(identity)
    shift[:, displacement_index(1, 0)] = 1
    torch.testing.assert_close(reconstruct(shift, values, RADIUS)[..., :-1], values[..., 1:])


def test_reconstruction_loss_zero_when_target_equals_reference():
    torch.manual_seed(0)
    loss = ReconstructionLoss(radius=RADIUS, value_scale=20.0)
    values = torch.randn(1, 1, GRID, GRID)  # stride 1: features at full resolution
    # a correlation that makes the affinity (numerically) the identity
    corr = torch.full((1, (2 * RADIUS + 1) ** 2, GRID, GRID), -1e4)
    corr[:, displacement_index(0, 0)] = 1e4
    assert loss(corr, 1, values, values).item() == 0
    assert loss(corr, 1, values, torch.roll(values, 1, -1)).item() > 0
    # stride 2, a constant channel: zero as well
    const = torch.full((1, 1, GRID * 2, GRID * 2), 0.3)
    assert loss(corr, 1, const, const).item() == pytest.approx(0, abs=1e-10)


def test_discriminator_loss_falls_when_only_it_trains():
    torch.manual_seed(0)
    head = DomainDiscriminator(in_channels=6, hidden_channels=(16, 8), grl_alpha=1.0)
    source = torch.randn(2, 6, 4, 4)
    target = torch.randn(2, 6, 4, 4) + 1.0
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)
    losses = []
    for _ in range(50):
        loss = head.loss(source, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(math.log(2), abs=0.2)
    assert losses[-1] < 0.5 * losses[0]


def test_discriminator_reverses_gradient_to_its_input():
    torch.manual_seed(0)
    head = DomainDiscriminator(in_channels=6, hidden_channels=(8,), grl_alpha=0.5)
    source = torch.randn(1, 6, 2, 2, requires_grad=True)
    target = torch.randn(1, 6, 2, 2)
    head.loss(source, target).backward()
    reversed_grad = source.grad.clone()
    source.grad = None
    plain = head.mlp(source.permute(0, 2, 3, 1).reshape(-1, 6)).squeeze(-1)
    tlogits = head.mlp(target.permute(0, 2, 3, 1).reshape(-1, 6)).squeeze(-1)
    F.binary_cross_entropy_with_logits(
        torch.cat([plain, tlogits]), torch.cat([torch.zeros(4), torch.ones(4)])
    ).backward()
    torch.testing.assert_close(reversed_grad, -0.5 * source.grad)


def test_window_offsets_order_matches_correlation_channels():
    offsets = window_offsets(1)
    assert offsets.tolist() == [
        [-1, -1],
        [0, -1],
        [1, -1],
        [-1, 0],
        [0, 0],
        [1, 0],
        [-1, 1],
        [0, 1],
        [1, 1],
    ]
