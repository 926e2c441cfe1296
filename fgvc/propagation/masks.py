"""Segmentation by label propagation: a first-frame mask through a video.

Each label (background and every object) is a channel of the label map. The
first frame's integer mask becomes one-hot maps at the raster, averaged down
to the feature grid (area interpolation); every later frame's maps come from
:func:`fgvc.propagation.propagate`, are upsampled bilinearly to the
raster and the label with the largest value wins at each pixel.
"""

from typing import Iterator, Sequence, Tuple

import torch
import torch.nn.functional as F

from .config import PropagationConfig
from .engine import propagate


def one_hot_labels(mask: torch.Tensor, num_labels: int, grid_hw: Tuple[int, int]) -> torch.Tensor:
    """``[num_labels, h, w]`` label maps on the feature grid from an integer mask ``[H, W]``.

    Pixels whose value is not in ``[0, num_labels)`` (void) belong to no label.
    """
    ids = torch.arange(num_labels, device=mask.device)
    one_hot = (mask[None] == ids[:, None, None]).float()
    return F.interpolate(one_hot[None], size=grid_hw, mode='area')[0]


def labels_to_mask(labels: torch.Tensor, raster_hw: Tuple[int, int]) -> torch.Tensor:
    """Integer mask ``[H, W]``: argmax of the label maps upsampled to the raster."""
    up = F.interpolate(labels[None], size=raster_hw, mode='bilinear', align_corners=False)[0]
    return up.argmax(0)


def segment_video(
    features: Sequence[torch.Tensor],
    first_mask: torch.Tensor,
    num_labels: int,
    cfg: PropagationConfig,
) -> Iterator[Tuple[int, torch.Tensor]]:
    """Yield ``(t, mask_t)`` for frames 1..T-1: integer masks ``[H, W]`` in ``[0, num_labels)``.

    Args:
        features: ``features[t]`` is frame t's ``[C, h, w]`` L2-normalised features.
        first_mask: ``[H, W]`` integer labels of frame 0 (0 = background,
            values >= ``num_labels`` are void); H, W is the output raster.
        num_labels: number of labels, background included.
        cfg: propagation settings.
    """
    raster_hw = tuple(first_mask.shape)
    first = features[0]
    start = one_hot_labels(first_mask, num_labels, tuple(first.shape[-2:])).to(first)
    for _, t, labels in propagate(features, {0: start}, cfg):
        yield t, labels_to_mask(labels, raster_hw)
