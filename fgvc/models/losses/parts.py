"""Loss parts of :class:`fgvc.models.trackers.MixedTracker`.

A part is one weighted training objective. It declares the ``branches``
(pairs, see :data:`.training_batch.BRANCHES`) it reads, so the tracker
encodes only the pairs that some part needs, and computes its loss from a
:class:`.training_batch.TrainingBatch`. Parts are registered in ``MODELS``
and listed by name in the config's ``model.losses``; the tracker builds each
with its ``radius`` and the encoder's output ``feature_channels``, from
which heads take their input width. A new objective is a new registered
part: the tracker needs no edit.
"""

import os.path as osp
from typing import ClassVar, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from fgvc.registry import MODELS

from ..encoder import unit_features
from .soft_label_loss import TEACHER_LABELS
from .training_batch import BRANCHES, TrainingBatch


class LossPart(BaseModule):
    """Base of the loss parts.

    Args:
        weight: Factor of the loss (a part of weight 0 is not built).
        radius: Correlation window radius R on the feature grid.
        feature_channels: Channels of the encoder's output features.
    """

    branches: ClassVar[Tuple[str, ...]] = ()
    #: Branches whose encoder input must have lost a colour channel.
    dropped_branches: ClassVar[Tuple[str, ...]] = ()

    def __init__(self, weight: float, radius: int, feature_channels: int, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        unknown = sorted(set(self.branches) - set(BRANCHES))
        if not self.branches or unknown:
            raise ValueError(
                f'{type(self).__name__}.branches must name some of {BRANCHES}, got {self.branches}'
            )
        self.weight = float(weight)
        self.radius = radius
        self.feature_channels = feature_channels

    def forward(self, batch: TrainingBatch) -> Tensor:
        """The unweighted scalar loss of ``batch``."""
        raise NotImplementedError


def head_config(head: dict, in_channels: int, what: str) -> dict:
    """``head`` with ``in_channels`` set; a different value already there is an error."""
    given = head.get('in_channels', in_channels)
    if given != in_channels:
        raise ValueError(
            f'head.in_channels is {given}, but {what} has {in_channels} channels; '
            'leave in_channels out (it follows the encoder and the radius)'
        )
    return dict(head, in_channels=in_channels)


def check_teacher_checkpoint(teacher: dict) -> None:
    """Fail at construction when the teacher's local checkpoint is missing."""
    init_cfg = teacher.get('init_cfg') or {}
    path = init_cfg.get('checkpoint') if isinstance(init_cfg, dict) else None
    if path is None:
        raise ValueError(
            'teacher needs init_cfg=dict(type="Pretrained", checkpoint=...): '
            'a frozen teacher must be loaded from a checkpoint'
        )
    if '://' not in path and not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'Teacher checkpoint not found: {path} (set by teacher.init_cfg.checkpoint)'
        )


@MODELS.register_module()
class FlowSupervision(LossPart):
    """``sup_loss``: the synthetic pair's correlation against soft labels from
    its flow (:class:`.FlowSoftLabelLoss`).

    The label's teacher features come from the frozen ``teacher`` (an
    encoder config whose ``init_cfg`` loads a checkpoint; it stays in eval
    mode; it sees the reference frame before any colour drop) or, without
    one, from the student's detached features; either is L2-normalised along
    ``teacher_norm_dim`` of its ``[B, C, h, w]`` map. The teacher's
    ``Pretrained`` init is strict (``fgvc.utils.StrictPretrainedInit``): a
    checkpoint whose keys do not fit it is an error, never a random teacher.
    It reads the authors' release layout too: a release training checkpoint's
    ``teacher.*`` is this teacher (``losses.sup_loss.teacher.*`` after
    conversion), and with ``prefix='backbone.'`` its student encoder serves as
    a teacher.

    Args:
        loss: Config of the soft-label loss (without ``radius``).
        teacher: Frozen encoder config, or None.
        teacher_norm_dim: 1 normalises each cell's feature vector (over
            channels); the release normalises its frozen teacher's map along
            dim 2 (over the rows of each channel and column). Without a
            teacher only 1 is accepted for a label that reads the features.
    """

    branches = ('synthetic',)

    def __init__(
        self,
        weight: float,
        radius: int,
        feature_channels: int,
        loss: dict,
        teacher: Optional[dict] = None,
        teacher_norm_dim: int = 1,
        init_cfg=None,
    ) -> None:
        super().__init__(weight, radius, feature_channels, init_cfg)
        if teacher_norm_dim not in (1, 2, 3):
            raise ValueError(
                f'teacher_norm_dim must be 1 (channels), 2 (rows) or 3 (columns) of the '
                f'[B, C, h, w] teacher features, got {teacher_norm_dim}'
            )
        self.teacher_norm_dim = teacher_norm_dim
        self.loss = MODELS.build(dict(loss, radius=radius))
        if (
            teacher is None
            and teacher_norm_dim != 1
            and getattr(self.loss, 'label', None) in TEACHER_LABELS
        ):
            # Over channels the self-similarity peaks at the flow target (Cauchy-Schwarz);
            # over rows it peaks where a cell's magnitude is largest, and a student that
            # labels itself learns those wrong matches, which makes its next labels worse.
            raise ValueError(
                f'sup_loss: teacher_norm_dim={teacher_norm_dim} without a teacher: the student '
                'labels itself, and a label normalised off the channels peaks away from the '
                "flow target; use teacher_norm_dim=1, a frozen teacher, or label='gaussian'"
            )
        self.teacher = None
        if teacher is not None:
            check_teacher_checkpoint(teacher)
            self.teacher = MODELS.build(teacher)
            self.teacher.requires_grad_(False)

    def train(self, mode: bool = True) -> 'FlowSupervision':
        """Set train mode; the teacher always stays in eval mode."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def teacher_features(self, frame: Tensor, student: Tensor) -> Tensor:
        """Teacher features of ``frame`` (the student's detached ``student``
        features without a teacher), L2-normalised along ``teacher_norm_dim``."""
        if self.teacher is None:
            return F.normalize(student.detach(), dim=self.teacher_norm_dim)
        with torch.no_grad():
            return unit_features(self.teacher(frame), self.teacher_norm_dim)

    def forward(self, batch: TrainingBatch) -> Tensor:
        ref, tgt = batch.features['synthetic']
        flow = batch.field('flow', ref)
        flow_back = batch.field('flow_back', ref)
        teacher_ref = self.teacher_features(batch.frames['synthetic'][:, 0], ref)
        return self.loss(tgt, ref, teacher_ref, flow, flow_back)


@MODELS.register_module()
class ColourReconstruction(LossPart):
    """``l1_loss``: the real pair's reconstruction of the colour channel
    dropped from its input (:class:`.ReconstructionLoss`).

    Args:
        loss: Config of the reconstruction loss (without ``radius``).
    """

    branches = ('real',)
    dropped_branches = ('real',)

    def __init__(
        self, weight: float, radius: int, feature_channels: int, loss: dict, init_cfg=None
    ) -> None:
        super().__init__(weight, radius, feature_channels, init_cfg)
        self.loss = MODELS.build(dict(loss, radius=radius))

    def forward(self, batch: TrainingBatch) -> Tensor:
        ref = batch.features['real'][0]
        corr = batch.correlation('real')
        dropped = batch.dropped_channel('real')
        return self.loss(corr, ref.shape[1], dropped[:, 0], dropped[:, 1])


class DomainAlignment(LossPart):
    """Base of the adversarial alignment parts: a discriminator (``head``,
    :class:`.DomainDiscriminator`) tells the synthetic pair's :meth:`inputs`
    from the real pair's, behind gradient reversal. Subclasses say what it
    reads and how wide that is (:meth:`head_input`).

    Args:
        head: Config of the discriminator (its ``in_channels`` follow).
    """

    branches = ('synthetic', 'real')

    def __init__(
        self, weight: float, radius: int, feature_channels: int, head: dict, init_cfg=None
    ) -> None:
        super().__init__(weight, radius, feature_channels, init_cfg)
        width, what = self.head_input(radius, feature_channels)
        self.head = MODELS.build(head_config(head, width, what))

    @staticmethod
    def head_input(radius: int, feature_channels: int) -> Tuple[int, str]:
        """The discriminator's input width, and what has that width."""
        raise NotImplementedError

    def inputs(self, batch: TrainingBatch) -> Tuple[Tensor, Tensor]:
        """The synthetic and the real vectors the discriminator tells apart."""
        raise NotImplementedError

    def forward(self, batch: TrainingBatch) -> Tensor:
        return self.head.loss(*self.inputs(batch))


@MODELS.register_module()
class CorrelationAlignment(DomainAlignment):
    """``corr_da_loss``: the raw local-correlation vectors of the synthetic
    and the real pair; the head's input width is the window size ``(2R+1)^2``."""

    @staticmethod
    def head_input(radius: int, feature_channels: int) -> Tuple[int, str]:
        return (2 * radius + 1) ** 2, f'the radius-{radius} window'

    def inputs(self, batch: TrainingBatch) -> Tuple[Tensor, Tensor]:
        real = batch.correlation('real')  # computed first, as before (the same sums)
        return batch.correlation('synthetic'), real


@MODELS.register_module()
class FeatureAlignment(DomainAlignment):
    """``da_loss``: the same as :class:`CorrelationAlignment` on the encoder's
    features; the head's input width is the encoder's output channels."""

    @staticmethod
    def head_input(radius: int, feature_channels: int) -> Tuple[int, str]:
        return feature_channels, 'the encoder output'

    def inputs(self, batch: TrainingBatch) -> Tuple[Tensor, Tensor]:
        syn_ref, syn_tgt = batch.features['synthetic']
        real_ref, real_tgt = batch.features['real']
        return torch.cat([syn_ref, syn_tgt]), torch.cat([real_ref, real_tgt])
