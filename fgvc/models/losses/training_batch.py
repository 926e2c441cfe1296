"""What the loss parts of a mixed training step read: pairs, features, fields."""

from typing import Dict, List, Optional, Tuple

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

from fgvc.models.ops import local_correlation_fast

#: The flow-labelled (synthetic) pair and the unlabelled (real) pair.
BRANCHES = ('synthetic', 'real')


class TrainingBatch:
    """One training step's encoded pairs, shared by every loss part.

    Each branch is a ``(reference, target)`` pair per sample. Correlations
    are computed on first request and shared, so two parts reading the same
    branch's correlation cost one computation.

    Args:
        frames: Per branch, the encoder's input ``[B, 2, C, H, W]``.
        features: Per branch, ``(reference, target)`` features ``[B, C, h, w]``.
        data_samples: The batch's data samples (flows and other targets).
        radius: Correlation window radius on the feature grid.
        dropped: ``[B, 2, 1, H, W]`` true values of the colour channel dropped
            from the real pair's input (None when the real pair is not encoded).
    """

    def __init__(
        self,
        frames: Dict[str, Tensor],
        features: Dict[str, Tuple[Tensor, Tensor]],
        data_samples: List[BaseDataElement],
        radius: int,
        dropped: Optional[Tensor] = None,
    ) -> None:
        self.frames = frames
        self.features = features
        self.data_samples = data_samples
        self.radius = radius
        self.dropped = dropped
        self._correlations: Dict[str, Tensor] = {}

    def correlation(self, branch: str) -> Tensor:
        """``[B, (2R+1)^2, h, w]`` raw target-to-reference correlation of ``branch``."""
        if branch not in self._correlations:
            ref, tgt = self.features[branch]
            self._correlations[branch] = local_correlation_fast(tgt, ref, self.radius)
        return self._correlations[branch]

    def field(self, name: str, like: Tensor) -> Tensor:
        """The data samples' ``name`` field stacked into one batch, on ``like``'s
        device and dtype."""
        missing = [i for i, s in enumerate(self.data_samples) if name not in s]
        if missing:
            raise KeyError(f'Data samples {missing} carry no {name!r} field')
        return torch.stack([s.get(name) for s in self.data_samples]).to(like)
