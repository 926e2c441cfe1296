"""``l1_loss``: reconstruct a dropped colour channel of the target frame."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fgvc.registry import MODELS

from .flow_labels import (
    GRID_SAMPLINGS,
    OFF_MAP,
    check_choice,
    grid_stride,
    off_map_logits,
    values_to_grid,
    window_inside,
)


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


def window_affinity(corr: Tensor, radius: int, scale: float, off_map: str = 'mask') -> Tensor:
    """Softmax over the window of ``corr * scale``; displacements that leave
    the map are excluded (``'mask'``) or kept with logit 0 (``'zero'``, the
    release; see :func:`.flow_labels.off_map_logits`)."""
    inside = window_inside(corr.shape[-2:], radius, corr.device)
    return torch.softmax(off_map_logits(corr * scale, inside, off_map), dim=1)


@MODELS.register_module()
class ReconstructionLoss(nn.Module):
    """MAST-style colour reconstruction through a local affinity.

    The affinity of target pixel p to reference pixel p + d is the softmax
    over the window of ``corr(p, d) / sqrt(C)`` (raw feature correlation).
    The reference channel, taken at the feature grid (each cell's mean, or
    its top-left pixel), is propagated with it, upsampled bilinearly to the
    frame and compared with the target channel by smooth-L1, both
    multiplied by ``value_scale``.

    Args:
        radius: Window radius R on the feature grid.
        value_scale: Factor applied to reconstruction and target.
        beta: Smooth-L1 transition point (on the scaled values).
        grid_sampling: 'cell_mean' or 'top_left' (the release), see
            :func:`.flow_labels.values_to_grid`.
        off_map: Window displacements that leave the map: 'mask' or 'zero'
            (the release: they keep a share of the affinity and bring the
            value 0), see :func:`window_affinity`.
    """

    def __init__(
        self,
        radius: int,
        value_scale: float,
        beta: float = 1.0,
        grid_sampling: str = 'cell_mean',
        off_map: str = 'mask',
    ) -> None:
        super().__init__()
        self.radius = radius
        self.value_scale = value_scale
        self.beta = beta
        self.grid_sampling = check_choice('grid_sampling', grid_sampling, GRID_SAMPLINGS)
        self.off_map = check_choice('off_map', off_map, OFF_MAP)

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
        affinity = window_affinity(corr, self.radius, 1 / math.sqrt(channels), self.off_map)
        grid_values = values_to_grid(ref_values, stride, self.grid_sampling)
        recon = reconstruct(affinity, grid_values, self.radius)
        recon = F.interpolate(
            recon, size=tgt_values.shape[-2:], mode='bilinear', align_corners=False
        )
        return F.smooth_l1_loss(
            recon * self.value_scale, tgt_values * self.value_scale, beta=self.beta
        )
