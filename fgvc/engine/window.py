"""Window affinities as label propagation reads them, for adaptation.

The affinity of target cell p to reference cell p + d, for d in the
radius-``radius`` window and p + d on the map, is the softmax over d of
``<f_tgt(p), f_ref(p + d)> / temperature`` with unit feature vectors.
"""

from typing import Tuple

import torch.nn.functional as F
from torch import Tensor

from fgvc.models.losses.flow_labels import off_map_logits, window_inside
from fgvc.models.losses.reconstruction_loss import reconstruct
from fgvc.models.ops import local_correlation_fast

__all__ = ['affinity_anchor', 'label_cross_entropy', 'propagate_in_window', 'window_logits']

#: Floor of a propagated label's share before its log (an empty cell is not -inf).
LABEL_FLOOR = 1e-6


def window_logits(
    reference: Tensor, target: Tensor, radius: int, temperature: float
) -> Tuple[Tensor, Tensor]:
    """Logits ``[B, (2r+1)^2, h, w]`` of the window affinities between unit
    features ``[B, C, h, w]`` (off-map displacements masked), and where the
    window lies on the map (``inside``, as :func:`window_inside` gives it)."""
    inside = window_inside(reference.shape[-2:], radius, reference.device)
    logits = local_correlation_fast(target, reference, radius) / temperature
    return off_map_logits(logits, inside, 'mask'), inside


def propagate_in_window(
    reference: Tensor, target: Tensor, labels: Tensor, radius: int, temperature: float
) -> Tensor:
    """``labels`` ``[B, K, h, w]`` of the reference cells carried to the target
    cells by the window affinities of the unit features ``reference`` and
    ``target``."""
    logits, _ = window_logits(reference, target, radius, temperature)
    return reconstruct(logits.softmax(dim=1), labels, radius)


def label_cross_entropy(propagated: Tensor, labels: Tensor) -> Tensor:
    """``[B, h, w]`` cross-entropy of the ``propagated`` labels ``[B, K, h, w]``
    against the soft ``labels`` of the same cells: -sum_k labels_k log
    max(propagated_k, LABEL_FLOOR)."""
    return -(labels * propagated.clamp_min(LABEL_FLOOR).log()).sum(dim=1)


def affinity_anchor(
    adapted: Tuple[Tensor, Tensor],
    frozen: Tuple[Tensor, Tensor],
    radius: int,
    temperature: float,
) -> Tensor:
    """Mean over target cells of KL(frozen || adapted) between window affinities.

    ``adapted`` and ``frozen`` are each ``(reference, target)`` features
    ``[B, C, h, w]`` of the same frames from the two encoders (normalised
    here).
    """

    def log_affinity(ref: Tensor, tgt: Tensor) -> Tuple[Tensor, Tensor]:
        logits, inside = window_logits(
            F.normalize(ref, dim=1), F.normalize(tgt, dim=1), radius, temperature
        )
        return logits.log_softmax(dim=1), inside

    log_q, inside = log_affinity(*adapted)
    log_p, _ = log_affinity(*frozen)
    terms = log_p.exp() * (log_p - log_q)
    return terms.masked_fill(~inside, 0.0).sum(dim=1).mean()
