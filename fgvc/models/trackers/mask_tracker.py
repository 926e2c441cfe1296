"""A tracker that propagates a first-frame segmentation through a video."""

from typing import Sequence

import numpy as np
import torch
from mmengine.structures import BaseDataElement

from fgvc.propagation import segment_video
from fgvc.registry import MODELS

from .base import PropagationTracker


@MODELS.register_module()
class MaskTracker(PropagationTracker):
    """Semi-supervised video object segmentation by label propagation.

    A data sample carries ``first_mask`` [H, W] uint8 (0 background, 1..K
    objects, other values void) and ``num_objects`` K; ``pred_masks``
    [T, H, W] uint8 is added: frame 0 is the given mask (void as background),
    later frames the propagated labels.
    """

    def predict_sample(self, features: Sequence[torch.Tensor], sample: BaseDataElement) -> None:
        first = np.asarray(sample.first_mask)
        num_labels = int(sample.num_objects) + 1
        masks = np.zeros((len(features), *first.shape), np.uint8)
        masks[0] = np.where(first < num_labels, first, 0)
        first = torch.as_tensor(first, dtype=torch.long, device=features[0].device)
        for t, mask in segment_video(features, first, num_labels, self.propagation):
            masks[t] = mask.cpu().numpy()
        sample.pred_masks = masks
