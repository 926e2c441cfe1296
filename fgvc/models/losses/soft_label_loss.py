"""``sup_loss``: correlation of synthetic pairs against soft labels from flow."""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fgvc.models.ops import local_correlation_fast
from fgvc.registry import MODELS

from .flow_labels import (
    FB_CHECKS,
    GRID_SAMPLINGS,
    OFF_MAP,
    check_choice,
    flow_to_grid,
    forward_backward_consistent,
    gaussian_logits,
    grid_stride,
    inside_frame,
    off_map_logits,
    release_forward_backward_consistent,
    sample_at,
    window_inside,
)

LABEL_KINDS = ('teacher', 'gaussian', 'bilateral')
#: The labels computed from the teacher's features.
TEACHER_LABELS = ('teacher', 'bilateral')


def soft_cross_entropy(
    label_logits: Tensor, logits: Tensor, inside: Tensor, valid: Tensor, off_map: str = 'mask'
) -> Tensor:
    """Mean over ``valid`` pixels of ``sum_d -softmax(label) * log_softmax(logits)``.

    ``label_logits`` and ``logits`` are ``[B, K, h, w]``; displacements where
    ``inside`` (``[K, h, w]``) is false take part in neither softmax
    (``off_map='mask'``) or take part in both with logit 0 (``'zero'``, the
    release: see :func:`.flow_labels.off_map_logits`). Zero (with a graph)
    when no pixel is valid.
    """
    label = torch.softmax(off_map_logits(label_logits, inside, off_map), dim=1)
    log_prob = torch.log_softmax(off_map_logits(logits, inside, off_map), dim=1)
    terms = label * log_prob
    if off_map == 'mask':  # 0 * -inf is NaN: masked displacements contribute nothing
        terms = terms.masked_fill(~inside.unsqueeze(0), 0)
    per_pixel = -terms.sum(1)
    weight = valid.to(per_pixel.dtype)
    return (per_pixel * weight).sum() / weight.sum().clamp_min(1)


@MODELS.register_module()
class FlowSoftLabelLoss(nn.Module):
    """Soft cross-entropy between student correlation and flow-derived labels.

    For every target pixel p of the feature grid the label is a distribution
    over the window of displacements d around p in the reference frame:

    * ``'teacher'``: softmax over d of ``<t(p + flow(p)), t(p + d)> / T``, with
      ``t`` the teacher's L2-normalised reference features (bilinear at
      ``p + flow(p)``): teacher self-similarity, peaked at the flow;
    * ``'gaussian'``: a Gaussian of ``sigma`` cells centred on the flow;
    * ``'bilateral'``: the product of the two, renormalised.

    Only pixels whose flow passes the forward-backward check, whose match
    stays on the feature map (unless ``match_on_map`` is off) and whose flow
    (in cells) lies inside the window carry a loss.

    Args:
        radius: Window radius R on the feature grid.
        temperature: Temperature T of the student's and the teacher's
            cosine correlations.
        label: 'teacher', 'gaussian' or 'bilateral'.
        sigma: Standard deviation of the Gaussian label, in cells.
        fb_tolerance: (relative, absolute) tolerance of the
            forward-backward check.
        fb_check: 'unflow' (:func:`.flow_labels.forward_backward_consistent`)
            or 'release' (:func:`.flow_labels.release_forward_backward_consistent`).
        grid_sampling: How a cell takes the flow and the check's verdict:
            'cell_mean' or 'top_left' (:func:`.flow_labels.flow_to_grid`).
        match_on_map: Whether a pixel whose match ``p + flow`` leaves the
            feature map is dropped (the release keeps it; its teacher anchor
            there is zero-padded).
        off_map: Window displacements that leave the map: 'mask' or 'zero'
            (:func:`.flow_labels.off_map_logits`), for label and student alike.
    """

    def __init__(
        self,
        radius: int,
        temperature: float,
        label: str = 'teacher',
        sigma: Optional[float] = None,
        fb_tolerance: Tuple[float, float] = (0.01, 0.5),
        fb_check: str = 'unflow',
        grid_sampling: str = 'cell_mean',
        match_on_map: bool = True,
        off_map: str = 'mask',
    ) -> None:
        super().__init__()
        if label not in LABEL_KINDS:
            raise ValueError(f'label must be one of {LABEL_KINDS}, got {label!r}')
        if label != 'teacher' and sigma is None:
            raise ValueError(f'label={label!r} needs sigma')
        self.radius = radius
        self.temperature = temperature
        self.label = label
        self.sigma = sigma
        self.fb_tolerance = tuple(fb_tolerance)
        self.fb_check = check_choice('fb_check', fb_check, FB_CHECKS)
        self.grid_sampling = check_choice('grid_sampling', grid_sampling, GRID_SAMPLINGS)
        self.match_on_map = match_on_map
        self.off_map = check_choice('off_map', off_map, OFF_MAP)

    def targets(
        self, teacher_ref: Tensor, flow: Tensor, flow_back: Tensor
    ) -> Tuple[Tensor, Tensor]:
        """Label logits ``[B, K, h, w]`` and the ``[B, h, w]`` mask of pixels
        that carry a loss.

        Args:
            teacher_ref: ``[B, C, h, w]`` L2-normalised teacher features of
                the reference frame.
            flow: ``[B, 2, H, W]`` target-to-reference flow, pixels.
            flow_back: ``[B, 2, H, W]`` reference-to-target flow, pixels.
        """
        stride = grid_stride(flow.shape[-2:], teacher_ref.shape[-2:])
        check = (
            forward_backward_consistent
            if self.fb_check == 'unflow'
            else release_forward_backward_consistent
        )
        consistent = check(flow, flow_back, *self.fb_tolerance)
        grid_flow, valid = flow_to_grid(flow, consistent, stride, self.grid_sampling)
        valid = valid & (grid_flow.abs().amax(1) <= self.radius)
        if self.match_on_map:
            valid = valid & inside_frame(grid_flow)
        logits = torch.zeros_like(grid_flow[:, :1])
        if self.label in TEACHER_LABELS:
            anchor = sample_at(teacher_ref, grid_flow)
            logits = local_correlation_fast(anchor, teacher_ref, self.radius) / self.temperature
        if self.label in ('gaussian', 'bilateral'):
            logits = logits + gaussian_logits(grid_flow, self.radius, self.sigma)
        return logits, valid

    def forward(
        self,
        student_tgt: Tensor,
        student_ref: Tensor,
        teacher_ref: Tensor,
        flow: Tensor,
        flow_back: Tensor,
    ) -> Tensor:
        """Loss of the student's target-to-reference correlation.

        ``student_tgt``/``student_ref`` are raw ``[B, C, h, w]`` features,
        ``teacher_ref`` is L2-normalised (it gets no gradient).
        """
        with torch.no_grad():
            label_logits, valid = self.targets(teacher_ref, flow, flow_back)
        logits = (
            local_correlation_fast(
                F.normalize(student_tgt, dim=1), F.normalize(student_ref, dim=1), self.radius
            )
            / self.temperature
        )
        inside = window_inside(logits.shape[-2:], self.radius, logits.device)
        return soft_cross_entropy(label_logits, logits, inside, valid, self.off_map)
