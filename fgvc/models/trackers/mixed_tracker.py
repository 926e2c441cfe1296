"""FGVC training: flow-supervised synthetic pairs plus unlabelled real pairs."""

import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import Tensor

from fgvc.models.ops import local_correlation_fast
from fgvc.registry import MODELS

from .point_tracker import PointTracker

LOSS_NAMES = ('sup_loss', 'l1_loss', 'corr_da_loss', 'da_loss')
# Frames of one training sample, in order: a labelled (synthetic) pair and an
# unlabelled (real) pair, each as (reference, target).
SYN_REF, SYN_TGT, REAL_REF, REAL_TGT = range(4)


def _check_teacher_checkpoint(teacher: dict) -> None:
    """Fail at construction when the teacher's local checkpoint is missing."""
    init_cfg = teacher.get('init_cfg') or {}
    path = init_cfg.get('checkpoint') if isinstance(init_cfg, dict) else None
    if path is None:
        raise ValueError(
            'model.teacher needs init_cfg=dict(type="Pretrained", '
            'checkpoint=...): a frozen teacher must be loaded from a checkpoint'
        )
    if '://' not in path and not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'Teacher checkpoint not found: {path} (set by model.teacher.init_cfg.checkpoint)'
        )


@MODELS.register_module()
class MixedTracker(PointTracker):
    """Shared encoder trained with up to four weighted losses.

    * ``sup_loss``: the synthetic pair's correlation against soft labels
      from its flow (:class:`fgvc.models.losses.FlowSoftLabelLoss`), whose
      teacher features come from the frozen ``teacher`` or, without one,
      from the student's detached features;
    * ``l1_loss``: the real pair's reconstruction of a dropped Lab colour
      channel (:class:`fgvc.models.losses.ReconstructionLoss`);
    * ``corr_da_loss``: a discriminator telling the raw local-correlation
      vectors of the two pairs apart, behind gradient reversal;
    * ``da_loss``: the same on the encoder's features.

    A loss whose weight is 0 is not computed, its head not built, and a
    pair no remaining loss needs is not encoded. Prediction (``mode='predict'``)
    is :class:`PointTracker`'s, so the val loop tracks TAP-Vid points, and the
    encoder's keys stay under ``backbone.``.

    Args:
        backbone: The student encoder; its last output is the feature map.
        radius: Correlation window radius R on the feature grid, shared by
            every loss (injected into ``sup_loss`` and ``l1_loss``).
        loss_weight: Weight of each of ``sup_loss``, ``l1_loss``,
            ``corr_da_loss`` and ``da_loss``.
        sup_loss: Config of the soft-label loss (without ``radius``).
        l1_loss: Config of the reconstruction loss (without ``radius``).
        corr_da_head: Discriminator of correlation vectors; its
            ``in_channels`` must be ``(2R+1)^2``.
        da_head: Discriminator of feature vectors.
        teacher: Frozen encoder config whose ``init_cfg`` loads a checkpoint;
            None uses the student's detached features.
        drop_channels: Input channels one of which (drawn per sample) is
            dropped from the real pair and reconstructed (Lab: a and b).
        propagation, data_preprocessor, frames_per_batch: As in
            :class:`PointTracker`.
    """

    def __init__(
        self,
        backbone: dict,
        radius: int,
        loss_weight: Dict[str, float],
        sup_loss: dict,
        l1_loss: dict,
        corr_da_head: dict,
        da_head: dict,
        teacher: Optional[dict] = None,
        drop_channels: Sequence[int] = (1, 2),
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
        unknown = sorted(set(loss_weight) - set(LOSS_NAMES))
        if unknown:
            raise KeyError(f'Unknown loss_weight key(s) {unknown}; known: {list(LOSS_NAMES)}')
        self.loss_weight = {name: float(loss_weight.get(name, 0.0)) for name in LOSS_NAMES}
        self.radius = radius
        self.drop_channels = tuple(drop_channels)
        if self.weight('sup_loss'):
            self.sup_loss = MODELS.build(dict(sup_loss, radius=radius))
        if self.weight('l1_loss'):
            self.l1_loss = MODELS.build(dict(l1_loss, radius=radius))
        if self.weight('corr_da_loss'):
            window = (2 * radius + 1) ** 2
            if corr_da_head.get('in_channels') != window:
                raise ValueError(
                    f'corr_da_head.in_channels must be (2R+1)^2 = {window} for '
                    f'radius {radius}, got {corr_da_head.get("in_channels")}'
                )
            self.corr_da_head = MODELS.build(corr_da_head)
        if self.weight('da_loss'):
            self.da_head = MODELS.build(da_head)
        self.teacher = None
        if teacher is not None and self.weight('sup_loss'):
            _check_teacher_checkpoint(teacher)
            self.teacher = MODELS.build(teacher)
            self.teacher.requires_grad_(False)

    def weight(self, name: str) -> float:
        """Weight of loss ``name`` (0 when switched off)."""
        return self.loss_weight[name]

    def train(self, mode: bool = True) -> 'MixedTracker':
        """Set train mode; the teacher always stays in eval mode."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def forward(self, inputs, data_samples: List[BaseDataElement], mode: str = 'predict'):
        if mode == 'loss':
            return self.loss(
                torch.stack(inputs) if isinstance(inputs, list) else inputs, data_samples
            )
        return super().forward(inputs, data_samples, mode)

    def drop_colour(self, frames: Tensor) -> Tuple[Tensor, Tensor]:
        """Drop one of ``drop_channels`` per sample from ``[B, 2, C, H, W]``.

        The dropped channel is zeroed and the others rescaled by C / (C - 1).
        Returns the encoder input and the dropped channel's true values
        ``[B, 2, 1, H, W]``.
        """
        batch, _, channels = frames.shape[:3]
        choice = torch.randint(len(self.drop_channels), (batch,), device=frames.device)
        dropped = torch.as_tensor(self.drop_channels, device=frames.device)[choice]
        keep = torch.ones(batch, 1, channels, 1, 1, device=frames.device, dtype=frames.dtype)
        keep[torch.arange(batch, device=frames.device), 0, dropped] = 0
        index = dropped.view(batch, 1, 1, 1, 1).expand(-1, 2, 1, *frames.shape[-2:])
        values = frames.gather(2, index)
        return frames * keep * (channels / (channels - 1)), values

    def _teacher_features(self, frames: Tensor, student: Tensor) -> Tensor:
        """L2-normalised teacher features of ``frames`` (the student's
        detached ``student`` features without a teacher)."""
        if self.teacher is None:
            return F.normalize(student.detach(), dim=1)
        with torch.no_grad():
            return F.normalize(self.teacher(frames)[-1], dim=1)

    def loss(self, frames: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Weighted losses of ``[B, 4, C, H, W]`` normalised frames (see
        ``SYN_REF``...), flows in ``data_samples`` (``flow``, ``flow_back``)."""
        use_syn = any(self.weight(n) for n in ('sup_loss', 'corr_da_loss', 'da_loss'))
        use_real = any(self.weight(n) for n in ('l1_loss', 'corr_da_loss', 'da_loss'))
        pairs, dropped = [], None
        if use_syn:
            pairs.append(frames[:, SYN_REF : SYN_TGT + 1])
        if use_real:
            real, dropped = self.drop_colour(frames[:, REAL_REF : REAL_TGT + 1])
            pairs.append(real)
        batch = frames.shape[0]
        stacked = torch.cat(pairs, dim=1)
        feats = self.backbone(stacked.flatten(0, 1))[-1]
        feats = feats.view(batch, stacked.shape[1], *feats.shape[1:])
        syn_ref, syn_tgt = (feats[:, 0], feats[:, 1]) if use_syn else (None, None)
        real_ref, real_tgt = (feats[:, -2], feats[:, -1]) if use_real else (None, None)

        losses = {}
        if self.weight('sup_loss'):
            flow = torch.stack([s.flow for s in data_samples]).to(feats)
            flow_back = torch.stack([s.flow_back for s in data_samples]).to(feats)
            teacher_ref = self._teacher_features(frames[:, SYN_REF], syn_ref)
            losses['sup_loss'] = self.sup_loss(syn_tgt, syn_ref, teacher_ref, flow, flow_back)
        real_corr = None
        if self.weight('l1_loss') or self.weight('corr_da_loss'):
            real_corr = local_correlation_fast(real_tgt, real_ref, self.radius)
        if self.weight('l1_loss'):
            losses['l1_loss'] = self.l1_loss(
                real_corr, real_ref.shape[1], dropped[:, 0], dropped[:, 1]
            )
        if self.weight('corr_da_loss'):
            syn_corr = local_correlation_fast(syn_tgt, syn_ref, self.radius)
            losses['corr_da_loss'] = self.corr_da_head.loss(syn_corr, real_corr)
        if self.weight('da_loss'):
            losses['da_loss'] = self.da_head.loss(
                torch.cat([syn_ref, syn_tgt]), torch.cat([real_ref, real_tgt])
            )
        losses = {name: value * self.weight(name) for name, value in losses.items()}
        check_finite(losses, data_samples)
        return losses


def check_finite(losses: Dict[str, Tensor], data_samples: List[BaseDataElement]) -> None:
    """Raise ``FloatingPointError`` naming the loss and the samples' sources
    when a loss is NaN or infinite."""
    for name, value in losses.items():
        if not torch.isfinite(value).all():
            sources = [s.metainfo.get('sources') for s in data_samples]
            raise FloatingPointError(
                f'{name} is {value.item()} on the batch of samples {sources}; training stopped'
            )
