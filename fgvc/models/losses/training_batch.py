"""What the loss parts of a mixed training step read: pairs, features, fields."""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

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


def drop_colour(frames: Tensor, channels: Sequence[int]) -> Tuple[Tensor, Tensor]:
    """Drop one of ``channels`` per sample from pairs ``[B, 2, C, H, W]``.

    The dropped channel (drawn with torch's global generator) is zeroed in
    both frames and the others rescaled by C / (C - 1). Returns the encoder
    input and the dropped channel's true values ``[B, 2, 1, H, W]``.
    """
    batch, _, num_channels = frames.shape[:3]
    choice = torch.randint(len(channels), (batch,), device=frames.device)
    dropped = torch.as_tensor(tuple(channels), device=frames.device)[choice]
    keep = torch.ones(batch, 1, num_channels, 1, 1, device=frames.device, dtype=frames.dtype)
    keep[torch.arange(batch, device=frames.device), 0, dropped] = 0
    index = dropped.view(batch, 1, 1, 1, 1).expand(-1, 2, 1, *frames.shape[-2:])
    values = frames.gather(2, index)
    return frames * keep * (num_channels / (num_channels - 1)), values


def encode_pairs(
    backbone: nn.Module,
    pairs: Dict[str, Tensor],
    data_samples: List[BaseDataElement],
    radius: int,
    drop_channels: Sequence[int],
) -> TrainingBatch:
    """Encode each branch's pair ``[B, 2, C, H, W]`` in one pass of ``backbone``
    (batch statistics are shared); the ``real`` pair first loses one of
    ``drop_channels`` (:func:`drop_colour`), which ``l1_loss`` reconstructs."""
    pairs, dropped = dict(pairs), None
    if 'real' in pairs:
        pairs['real'], dropped = drop_colour(pairs['real'], drop_channels)
    batch = next(iter(pairs.values())).shape[0]
    stacked = torch.cat(list(pairs.values()), dim=1)
    feats = backbone(stacked.flatten(0, 1))[-1]
    feats = feats.view(batch, stacked.shape[1], *feats.shape[1:])
    features = {b: (feats[:, 2 * i], feats[:, 2 * i + 1]) for i, b in enumerate(pairs)}
    return TrainingBatch(pairs, features, data_samples, radius, dropped)
