"""Adaptation supervised by the annotation the tracker is given anyway.

Semi-supervised VOS is given the first frame's mask; ``annotation_loss``
teaches the encoder that mask on its own frame. The frame is warped by a
random homography near the identity (exact flow,
:func:`fgvc.engine.warps.random_warp`) and given a random gain and offset;
the mask's one-hot label map is propagated from the frame to its warp
through the encoder's window affinities (softmax over the radius-``radius``
window of ``<f_warp(p), f_frame(p + d)> / temperature`` with unit features,
as label propagation reads them); the loss is the cross-entropy of the
propagated labels against the warped label map, over the feature cells the
warp keeps inside the frame. Only the annotated frame is read, never a later
frame's labels. (Query points drawn as labelled discs were tried the same
way and did not lift both PCK columns: docs/model_zoo.md.)"""

from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fgvc.fileio.images import VOID

from .warps import random_warp, warp_with_flow
from .window import label_cross_entropy, propagate_in_window

__all__ = ['ANNOTATION_KEYS', 'annotation_loss', 'mask_one_hot']

#: What ``adaptation.annotation`` must hold when it is not None.
ANNOTATION_KEYS = ('lr', 'radius', 'temperature', 'max_warp', 'jitter', 'batch_size')


def mask_one_hot(first_mask: np.ndarray, size: Sequence[int]) -> Tensor:
    """``[K, h, w]`` float one-hot labels of ``first_mask`` (``[H, W]``
    integer ids, 0 background, :data:`~fgvc.fileio.images.VOID` counted as
    background as the mask tracker does) resized to ``size`` by nearest
    neighbour."""
    labels = torch.as_tensor(np.asarray(first_mask).astype(np.int64))
    labels = torch.where(labels == VOID, 0, labels)
    resized = F.interpolate(labels[None, None].float(), size=tuple(size), mode='nearest')[0, 0]
    return F.one_hot(resized.long(), int(labels.max()) + 1).permute(2, 0, 1).float()


def annotation_loss(
    backbone: nn.Module,
    frame: Tensor,
    one_hot: Tensor,
    cfg: Mapping,
    rng: np.random.Generator,
) -> Tensor:
    """Cross-entropy of the annotation propagated from ``frame``
    (``[3, H, W]``, normalised, at the tracking resolution) to
    ``cfg['batch_size']`` random warps of it; ``one_hot`` is its label map
    ``[K, H, W]`` (see the module docstring)."""
    height, width = frame.shape[-2:]
    warped, warped_labels = [], []
    for _ in range(cfg['batch_size']):
        flow, _ = random_warp(height, width, cfg['max_warp'], rng)
        flow = flow.to(frame)
        gain = 1.0 + cfg['jitter'] * (2.0 * rng.random() - 1.0)
        offset = cfg['jitter'] * (2.0 * rng.random() - 1.0)
        warped.append(warp_with_flow(frame, flow) * gain + offset)
        warped_labels.append(warp_with_flow(one_hot, flow))
    count = len(warped)
    features = backbone(torch.cat([frame.expand(count, -1, -1, -1), torch.stack(warped)]))[-1]
    source, target = F.normalize(features[:count], dim=1), F.normalize(features[count:], dim=1)
    cells = source.shape[-2:]
    radius = cfg['radius']
    source_labels = F.adaptive_avg_pool2d(one_hot[None], cells).expand(count, -1, -1, -1)
    target_labels = F.adaptive_avg_pool2d(torch.stack(warped_labels), cells)
    propagated = propagate_in_window(source, target, source_labels, radius, cfg['temperature'])
    cross_entropy = label_cross_entropy(propagated, target_labels)
    # a cell whose labels do not sum to about 1 lies partly outside the warped frame
    kept = target_labels.sum(dim=1) > 0.9
    if not kept.any():  # a warp this large leaves no whole cell: no signal, not NaN
        return cross_entropy.sum() * 0.0
    return cross_entropy[kept].mean()
