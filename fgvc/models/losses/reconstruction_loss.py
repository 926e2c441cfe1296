"""``l1_loss``: reconstruct a dropped colour channel of the target frame."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fgvc.registry import MODELS

from .flow_labels import grid_stride, window_inside


def gather_window(values: Tensor, radius: int) -> Tensor:
    """``[B, C, h, w]`` -> ``[B, C, K, h, w]``: the values at ``p + d`` for
    every window displacement d (row-major), zero off the map."""
    b, c, h, w = values.shape
    size = 2 * radius + 1
    patches = F.unfold(values, size, padding=radius)
    return patches.view(b, c, size * size, h, w)


def reconstruct(affinity: Tensor, ref_values: Tensor, radius: int) -> Tensor:
    """Affinity-weighted sum over the window of the reference's values.

    Args:
        affinity: ``[B, K, h, w]`` weights of the displacements of each
            target pixel (a softmax over the window).
        ref_values: ``[B, C, h, w]`` reference values on the same grid.

    Returns:
        ``[B, C, h, w]`` reconstruction of the target.
    """
    return (gather_window(ref_values, radius) * affinity.unsqueeze(1)).sum(2)


def window_affinity(corr: Tensor, radius: int, scale: float) -> Tensor:
    """Softmax over the window of ``corr * scale``, displacements that leave
    the map excluded."""
    inside = window_inside(corr.shape[-2:], radius, corr.device)
    return torch.softmax((corr * scale).masked_fill(~inside.unsqueeze(0), float('-inf')), dim=1)


@MODELS.register_module()
class ReconstructionLoss(nn.Module):
    """MAST-style colour reconstruction through a local affinity.

    The affinity of target pixel p to reference pixel p + d is the softmax
    over the window of ``corr(p, d) / sqrt(C)`` (raw feature correlation).
    The reference channel, averaged over each feature cell, is propagated
    with it, upsampled bilinearly to the frame and compared with the target
    channel by smooth-L1, both multiplied by ``value_scale``.

    Args:
        radius: Window radius R on the feature grid.
        value_scale: Factor applied to reconstruction and target.
        beta: Smooth-L1 transition point (on the scaled values).
    """

    def __init__(self, radius: int, value_scale: float, beta: float = 1.0) -> None:
        super().__init__()
        self.radius = radius
        self.value_scale = value_scale
        self.beta = beta

    def forward(
        self, corr: Tensor, channels: int, ref_values: Tensor, tgt_values: Tensor
    ) -> Tensor:
        """Loss of reconstructing ``tgt_values`` from ``ref_values``.

        Args:
            corr: ``[B, K, h, w]`` raw target-to-reference correlation.
            channels: Feature channels C behind ``corr``.
            ref_values, tgt_values: ``[B, c, H, W]`` frame-resolution values.
        """
        stride = grid_stride(ref_values.shape[-2:], corr.shape[-2:])
        affinity = window_affinity(corr, self.radius, 1 / math.sqrt(channels))
        grid_values = F.avg_pool2d(ref_values, stride)
        recon = reconstruct(affinity, grid_values, self.radius)
        recon = F.interpolate(
            recon, size=tgt_values.shape[-2:], mode='bilinear', align_corners=False
        )
        return F.smooth_l1_loss(
            recon * self.value_scale, tgt_values * self.value_scale, beta=self.beta
        )
