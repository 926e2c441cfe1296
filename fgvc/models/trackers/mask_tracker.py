"""A tracker that propagates a first-frame segmentation through a video."""

from dataclasses import replace
from typing import Iterator, Optional, Sequence, Tuple

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

    @torch.no_grad()
    def segment(
        self,
        features: Sequence[torch.Tensor],
        first_mask: torch.Tensor,
        num_objects: int,
        max_memory_mb: Optional[float] = None,
    ) -> Iterator[Tuple[int, torch.Tensor]]:
        """Propagate a first-frame mask; yields ``(t, mask_t)`` for every frame in order.

        Args:
            features: ``features[t]`` is frame t's ``[C, h, w]`` unit-norm
                features (a tensor or :meth:`lazy_features`).
            first_mask: ``[H, W]`` integer object ids of frame 0 (0
                background, values above ``num_objects`` void); H, W is the
                raster of the output masks.
            num_objects: number of objects.
            max_memory_mb: feature-memory bound used when the config sets
                none (see :class:`fgvc.propagation.PropagationConfig`).

        Yields:
            uint8 ``[H, W]`` masks: frame 0 is the given mask with void as
            background, later frames the propagated labels.
        """
        cfg = self.propagation
        if max_memory_mb is not None and cfg.max_memory_mb is None:
            cfg = replace(cfg, max_memory_mb=max_memory_mb)
        first_mask = torch.as_tensor(first_mask, device=features[0].device).long()
        num_labels = num_objects + 1
        yield 0, torch.where(first_mask < num_labels, first_mask, 0).to(torch.uint8)
        for t, mask in segment_video(features, first_mask, num_labels, cfg):
            yield t, mask.to(torch.uint8)

    def predict_sample(self, features: Sequence[torch.Tensor], sample: BaseDataElement) -> None:
        first = torch.as_tensor(np.asarray(sample.first_mask))
        masks = np.zeros((len(features), *first.shape), np.uint8)
        for t, mask in self.segment(features, first, int(sample.num_objects)):
            masks[t] = mask.cpu().numpy()
        sample.pred_masks = masks
