"""What the loss parts of a mixed training step read: pairs, features, fields."""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from fgvc.models.ops import local_correlation_fast

#: The flow-labelled (synthetic) pair and the unlabelled (real) pair.
BRANCHES = ('synthetic', 'real')
#: Whether the dropped colour channel is drawn for each sample or once for
#: the whole batch (the release, whose batch is one sample per process).
DROP_DRAWS = ('sample', 'batch')


class TrainingBatch:
    """One training step's encoded pairs, shared by every loss part.

    Each branch is a ``(reference, target)`` pair per sample. Correlations
    are computed on first request and shared, so two parts reading the same
    branch's correlation cost one computation.

    Args:
        frames: Per branch, the pair ``[B, 2, C, H, W]`` as loaded (before
            any colour channel is dropped: what a teacher sees).
        features: Per branch, ``(reference, target)`` features ``[B, C, h, w]``.
        data_samples: The batch's data samples (flows and other targets).
        radius: Correlation window radius on the feature grid.
        dropped: Per branch whose encoder input lost a colour channel, that
            channel's true values ``[B, 2, 1, H, W]``.
        inputs: Per branch, the encoder's input (``frames`` with the colour
            drop applied); ``frames`` when None.
    """

    def __init__(
        self,
        frames: Dict[str, Tensor],
        features: Dict[str, Tuple[Tensor, Tensor]],
        data_samples: List[BaseDataElement],
        radius: int,
        dropped: Optional[Dict[str, Tensor]] = None,
        inputs: Optional[Dict[str, Tensor]] = None,
    ) -> None:
        self.frames = frames
        self.features = features
        self.data_samples = data_samples
        self.radius = radius
        self.dropped = dropped or {}
        self.inputs = frames if inputs is None else inputs
        self._correlations: Dict[str, Tensor] = {}

    def correlation(self, branch: str) -> Tensor:
        """``[B, (2R+1)^2, h, w]`` raw target-to-reference correlation of ``branch``."""
        if branch not in self._correlations:
            ref, tgt = self.features[branch]
            self._correlations[branch] = local_correlation_fast(tgt, ref, self.radius)
        return self._correlations[branch]

    def dropped_channel(self, branch: str) -> Tensor:
        """``[B, 2, 1, H, W]``: the values of the colour channel dropped from
        ``branch``'s encoder input."""
        if branch not in self.dropped:
            raise KeyError(
                f'No colour channel was dropped from the {branch!r} pair '
                f"(dropped from: {sorted(self.dropped)}); add it to the tracker's drop_branches"
            )
        return self.dropped[branch]

    def field(self, name: str, like: Tensor) -> Tensor:
        """The data samples' ``name`` field stacked into one batch, on ``like``'s
        device and dtype."""
        missing = [i for i, s in enumerate(self.data_samples) if name not in s]
        if missing:
            raise KeyError(f'Data samples {missing} carry no {name!r} field')
        return torch.stack([s.get(name) for s in self.data_samples]).to(like)


def drop_colour(
    frames: Tensor, channels: Sequence[int], draw: str = 'sample'
) -> Tuple[Tensor, Tensor]:
    """Drop one of ``channels`` from pairs ``[B, 2, C, H, W]``.

    The dropped channel is drawn with torch's global generator, per sample
    (``draw='sample'``) or once for the batch (``'batch'``); it is zeroed in
    both frames and the others rescaled by C / (C - 1). Returns the encoder
    input and the dropped channel's true values ``[B, 2, 1, H, W]``.
    """
    if draw not in DROP_DRAWS:
        raise ValueError(f'drop_draw must be one of {DROP_DRAWS}, got {draw!r}')
    batch, _, num_channels = frames.shape[:3]
    if draw == 'sample':
        choice = torch.randint(len(channels), (batch,), device=frames.device)
    else:
        choice = torch.randint(len(channels), (1,), device=frames.device).expand(batch)
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
    drop_branches: Sequence[str] = ('real',),
    drop_draw: str = 'sample',
    passes: Optional[Sequence[Sequence[str]]] = None,
) -> TrainingBatch:
    """Encode each branch's pair ``[B, 2, C, H, W]`` with ``backbone``.

    The pairs of ``drop_branches`` first lose one of ``drop_channels``
    (:func:`drop_colour`; ``l1_loss`` reconstructs the real pair's). Each
    entry of ``passes`` lists branches encoded together in one backbone call,
    so they share batch statistics; passes run in order. None: every pair in
    one pass.
    """
    inputs, dropped = dict(pairs), {}
    for branch in pairs:
        if branch in drop_branches:
            inputs[branch], dropped[branch] = drop_colour(pairs[branch], drop_channels, drop_draw)
    groups = [list(pairs)] if passes is None else [[b for b in g if b in pairs] for g in passes]
    batch = next(iter(pairs.values())).shape[0]
    features = {}
    for group in filter(None, groups):
        stacked = torch.cat([inputs[b] for b in group], dim=1)
        feats = backbone(stacked.flatten(0, 1))[-1]
        feats = feats.view(batch, stacked.shape[1], *feats.shape[1:])
        features.update({b: (feats[:, 2 * i], feats[:, 2 * i + 1]) for i, b in enumerate(group)})
    missing = sorted(set(pairs) - set(features))
    if missing:
        raise ValueError(f'encoder passes {passes} leave the {missing} pair(s) unencoded')
    return TrainingBatch(pairs, features, data_samples, radius, dropped, inputs)
