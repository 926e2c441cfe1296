"""Per-pixel domain discriminator behind a gradient-reversal layer."""

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from fgvc.registry import MODELS

from ..losses import GradientReversal

SOURCE_LABEL = 0.0  # the labelled (synthetic) domain
TARGET_LABEL = 1.0  # the unlabelled (real) domain


@MODELS.register_module()
class DomainDiscriminator(BaseModule):
    """MLP classifying per-pixel vectors by domain, trained adversarially.

    Inputs pass a gradient-reversal layer first, so minimising the
    discriminator's binary cross-entropy trains the discriminator to tell
    the domains apart and, through the reversed gradient, the encoder to
    make them indistinguishable.

    Args:
        in_channels: Length of each pixel's vector (feature channels, or
            ``(2R+1)^2`` for a correlation window).
        hidden_channels: Widths of the hidden layers (ReLU after each).
        grl_alpha: Factor of the reversed gradient.
        max_pixels: Pixels drawn at random per domain and step (all when
            None), bounding the MLP's cost.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: Sequence[int],
        grl_alpha: float,
        max_pixels: Optional[int] = None,
        init_cfg=None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.reversal = GradientReversal(grl_alpha)
        widths = [in_channels, *hidden_channels]
        layers = []
        for cin, cout in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(cin, cout), nn.ReLU(inplace=True)]
        layers.append(nn.Linear(widths[-1], 1))
        self.mlp = nn.Sequential(*layers)
        self.max_pixels = max_pixels

    def forward(self, vectors: Tensor) -> Tensor:
        """``[N, in_channels]`` -> ``[N]`` logits of the target domain."""
        return self.mlp(self.reversal(vectors)).squeeze(-1)

    def _pixels(self, maps: Tensor) -> Tensor:
        """``[B, C, h, w]`` -> ``[N, C]`` pixel vectors, subsampled to ``max_pixels``."""
        vectors = maps.permute(0, 2, 3, 1).reshape(-1, maps.shape[1])
        if self.max_pixels is not None and vectors.shape[0] > self.max_pixels:
            keep = torch.randperm(vectors.shape[0], device=vectors.device)[: self.max_pixels]
            vectors = vectors[keep]
        return vectors

    def loss(self, source: Tensor, target: Tensor) -> Tensor:
        """Binary cross-entropy (with logits) of telling ``source`` pixels
        (label 0) from ``target`` pixels (label 1); both ``[B, C, h, w]``."""
        src, tgt = self._pixels(source), self._pixels(target)
        logits = self(torch.cat([src, tgt]))
        labels = torch.cat(
            [
                logits.new_full((src.shape[0],), SOURCE_LABEL),
                logits.new_full((tgt.shape[0],), TARGET_LABEL),
            ]
        )
        return F.binary_cross_entropy_with_logits(logits, labels)
