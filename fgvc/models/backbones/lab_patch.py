"""A parameter-free feature: the input's raw patches, for checking the plumbing."""

from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from fgvc.registry import MODELS


@MODELS.register_module()
class RawPatchEncoder(BaseModule):
    """Each output cell is the flattened ``patch_size`` x ``patch_size`` patch
    of the (normalised Lab) input around it, sampled every ``stride`` pixels.

    It has no parameters: with it, tracking quality measures propagation
    alone. With ``zero_mean`` each channel of a patch has its mean removed, so
    that cosine similarity becomes normalised cross-correlation. Returns a
    one-element tuple like the learnt backbones.
    """

    def __init__(self, patch_size: int = 3, stride: int = 2, zero_mean: bool = True, init_cfg=None):
        super().__init__(init_cfg)
        self.patch_size = patch_size
        self.stride = stride
        self.zero_mean = zero_mean

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        b, c, h, w = x.shape
        pad = self.patch_size // 2
        patches = F.unfold(x, self.patch_size, padding=pad, stride=self.stride)
        out_h = (h + 2 * pad - self.patch_size) // self.stride + 1
        patches = patches.view(b, c, self.patch_size**2, -1)
        if self.zero_mean:
            patches = patches - patches.mean(dim=2, keepdim=True)
        return (patches.reshape(b, c * self.patch_size**2, out_h, -1),)
