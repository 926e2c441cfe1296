"""The features label propagation matches: an encoder's last feature map,
L2-normalised over channels. Trackers, the frozen teacher of training and
the exported encoder all compute them here."""

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def unit_features(feature_maps: Sequence[torch.Tensor], dim: int = 1) -> torch.Tensor:
    """The last of a backbone's outputs ``[n, C, h, w]``, each position's
    feature vector scaled to unit length (``dim`` 1; the training recipe's
    teacher may normalise along a spatial axis instead)."""
    return F.normalize(feature_maps[-1], dim=dim)


class Encoder(nn.Module):
    """A backbone whose output is :func:`unit_features` of its feature maps."""

    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return unit_features(self.backbone(frames))
