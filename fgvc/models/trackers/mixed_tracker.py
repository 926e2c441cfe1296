"""FGVC training: flow-supervised synthetic pairs plus unlabelled real pairs."""

from typing import Dict, List, Optional, Sequence

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

from fgvc.models.losses import BRANCHES, DROP_DRAWS, TrainingBatch, encode_pairs
from fgvc.models.losses.builder import build_loss_parts, loss_branches, weighted_losses
from fgvc.registry import MODELS

from .point_tracker import PointTracker


@MODELS.register_module()
class MixedTracker(PointTracker):
    """Shared encoder trained with the weighted loss parts of ``losses``.

    ``losses`` maps each loss's name (as logged; it must contain ``'loss'``)
    to the config of a registered :class:`fgvc.models.losses.LossPart`,
    with its ``weight``. A part of weight 0 is not built, and a pair no part
    needs is not encoded: each part declares the branches it reads
    (``'synthetic'``: the flow-labelled pair, ``'real'``: the unlabelled
    pair). Every part is built with the tracker's ``radius`` and the
    encoder's output channels. Which input frames form each branch's
    (reference, target) pair is told by the data samples' ``branch_frames``
    (set by ``PackMixedInputs``). Prediction (``mode='predict'``) is
    :class:`PointTracker`'s, so the val loop tracks TAP-Vid points, and the
    encoder's keys stay under ``backbone.``.

    Args:
        backbone: The student encoder; its last output is the feature map.
        radius: Correlation window radius R on the feature grid, shared by
            every loss part.
        losses: ``{name: part config}``, in the order the losses are computed.
        drop_channels: Input channels one of which is dropped from the
            encoder input of the ``drop_branches`` pairs (Lab: a and b); the
            real pair's is reconstructed by ``l1_loss``.
        drop_branches: Pairs whose encoder input loses a colour channel
            (the release also drops one from the synthetic pair's student
            input; its teacher always sees the full frame).
        drop_draw: 'sample' draws the dropped channel for each sample,
            'batch' once per batch and pair (the release).
        encoder_passes: Groups of branches encoded together, in order: each
            group is one encoder call, so its pairs share BatchNorm batch
            statistics (and running statistics are updated once per group).
            The release encodes ``(('real',), ('synthetic',))``.
        propagation, data_preprocessor, frames_per_batch: As in
            :class:`PointTracker`.
    """

    def __init__(
        self,
        backbone: dict,
        radius: int,
        losses: Dict[str, dict],
        drop_channels: Sequence[int] = (1, 2),
        drop_branches: Sequence[str] = ('real',),
        drop_draw: str = 'sample',
        encoder_passes: Sequence[Sequence[str]] = (BRANCHES,),
        propagation: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        frames_per_batch: int = 8,
        init_cfg=None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            propagation=propagation,
            data_preprocessor=data_preprocessor,
            frames_per_batch=frames_per_batch,
            init_cfg=init_cfg,
        )
        self.radius = radius
        self.drop_channels = tuple(drop_channels)
        self.losses = build_loss_parts(losses, radius, self.backbone.out_channels[-1])
        self.branches = loss_branches(self.losses)
        self.drop_branches = check_branches('drop_branches', drop_branches)
        if drop_draw not in DROP_DRAWS:
            raise ValueError(f'drop_draw must be one of {DROP_DRAWS}, got {drop_draw!r}')
        self.drop_draw = drop_draw
        self.encoder_passes = check_passes(encoder_passes)
        for name, part in self.losses.items():
            undropped = sorted(set(part.dropped_branches) - set(self.drop_branches))
            if undropped:
                raise ValueError(
                    f'model.losses.{name} reconstructs the colour dropped from the '
                    f'{undropped} pair(s), which drop_branches={self.drop_branches} leaves whole'
                )

    def forward(self, inputs, data_samples: List[BaseDataElement], mode: str = 'predict'):
        if mode == 'loss':
            return self.loss(
                torch.stack(inputs) if isinstance(inputs, list) else inputs, data_samples
            )
        return super().forward(inputs, data_samples, mode)

    def encode_pairs(self, frames: Tensor, data_samples: List[BaseDataElement]) -> TrainingBatch:
        """Encode the pairs of ``[B, F, C, H, W]`` normalised frames that the
        loss parts need (see :func:`fgvc.models.losses.encode_pairs`)."""
        slots = data_samples[0].metainfo.get('branch_frames')
        if slots is None:
            raise KeyError(
                'Training samples carry no branch_frames (pack them with PackMixedInputs)'
            )
        pairs = {branch: frames[:, list(slots[branch])] for branch in self.branches}
        return encode_pairs(
            self.backbone,
            pairs,
            data_samples,
            self.radius,
            self.drop_channels,
            drop_branches=self.drop_branches,
            drop_draw=self.drop_draw,
            passes=self.encoder_passes,
        )

    def loss(self, frames: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Weighted losses of ``[B, F, C, H, W]`` normalised frames."""
        batch = self.encode_pairs(frames, data_samples)
        losses = weighted_losses(self.losses, batch)
        check_finite(losses, data_samples)
        return losses


def check_branches(name: str, branches: Sequence[str]) -> tuple:
    """``branches`` as a tuple; a name outside :data:`BRANCHES` is an error naming ``name``."""
    unknown = sorted(set(branches) - set(BRANCHES))
    if unknown:
        raise ValueError(f'model.{name} names unknown branch(es) {unknown}; use {BRANCHES}')
    return tuple(branches)


def check_passes(passes: Sequence[Sequence[str]]) -> tuple:
    """Encoder passes as tuples; every branch must be in exactly one pass."""
    passes = tuple(check_branches('encoder_passes', group) for group in passes)
    listed = [b for group in passes for b in group]
    if sorted(listed) != sorted(BRANCHES):
        raise ValueError(
            f'model.encoder_passes must list each of {BRANCHES} exactly once, got {passes}'
        )
    return passes


def check_finite(losses: Dict[str, Tensor], data_samples: List[BaseDataElement]) -> None:
    """Raise ``FloatingPointError`` naming the loss and the samples' sources
    when a loss is NaN or infinite."""
    for name, value in losses.items():
        if not torch.isfinite(value).all():
            sources = [s.metainfo.get('sources') for s in data_samples]
            raise FloatingPointError(
                f'{name} is {value.item()} on the batch of samples {sources}; training stopped'
            )
