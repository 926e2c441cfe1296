"""The one place loss parts are built from a config and summed over a batch.

Training (:class:`fgvc.models.trackers.MixedTracker`, ``model.losses``) and
test-time adaptation (:mod:`fgvc.engine.adaptation`, ``adaptation.losses``)
both name their parts in a ``{name: part config}`` dict.
"""

from typing import Dict, Tuple

from mmengine.model import ModuleDict
from torch import Tensor

from fgvc.registry import MODELS

from .parts import LossPart
from .training_batch import BRANCHES, TrainingBatch


def build_part(name: str, cfg: dict, context: dict, where: str = 'model.losses') -> LossPart:
    """Build loss part ``name``; an error names the config entry ``where.name``."""
    try:
        part = MODELS.build(cfg, default_args=context)
    except (ValueError, KeyError, TypeError, FileNotFoundError) as error:
        raise type(error)(f'{where}.{name}: {error}') from error
    if not isinstance(part, LossPart):
        raise TypeError(f'{where}.{name} builds a {type(part).__name__}, not a LossPart')
    return part


def build_loss_parts(
    losses: Dict[str, dict], radius: int, feature_channels: int, where: str = 'model.losses'
) -> ModuleDict:
    """The parts of ``losses`` whose weight is not 0, in order, each built
    with the correlation ``radius`` and the encoder's ``feature_channels``.

    A name must contain ``'loss'`` (mmengine sums only those) and at least one
    part must have a weight; errors name the config entry (``where``).
    """
    context = dict(radius=radius, feature_channels=feature_channels)
    parts = ModuleDict()
    for name, cfg in losses.items():
        if 'loss' not in name:
            raise ValueError(f'{where} key {name!r} must contain "loss" (mmengine sums only those)')
        if cfg.get('weight', 0.0):
            parts[name] = build_part(name, cfg, context, where)
    if not parts:
        raise ValueError(f'{where} has no part with a non-zero weight: {list(losses)}')
    return parts


def loss_branches(parts: ModuleDict) -> Tuple[str, ...]:
    """The branches (pairs) some part reads, in :data:`BRANCHES` order."""
    return tuple(b for b in BRANCHES if any(b in part.branches for part in parts.values()))


def weighted_losses(parts: ModuleDict, batch: TrainingBatch) -> Dict[str, Tensor]:
    """Each part's loss of ``batch`` times its weight."""
    return {name: part(batch) * part.weight for name, part in parts.items()}
