"""What every propagation matcher provides, and the checks of its options.

A matcher finds, for every pixel of a target frame, its best matches in each
memory frame (:class:`Candidates`); :func:`joint_candidates` keeps the best
over all memory frames of a group and :func:`weighted_labels` averages their
labels. The joint top-k of several frames is always among the union of their
per-frame top-k, so the split is exact, and a memory frame shared by several
groups is matched once. Where every group has the same memory frames, the
joint top-k is asked of the matcher directly (:meth:`Matcher.match_joint`),
which a matcher may find faster than through the per-frame lists. Matchers
are registered in :data:`fgvc.registry.MATCHERS` and named in configs as
``propagation=dict(matcher=dict(type='LocalMatcher', neighbor_range=30))``.
"""

import numbers
from typing import Any, List, NamedTuple, Optional, Sequence

import torch

from .ranking import top_k

#: Target pixels whose labels are gathered at once in :func:`weighted_labels`.
#: It changes no result (each pixel's sum is its own); it bounds the gathered
#: labels to ``N x GATHER_CHUNK x k`` values (N labels, k candidates).
GATHER_CHUNK = 1024


class Candidates(NamedTuple):
    """Each target pixel's best matches in one memory frame.

    ``values`` ``[P, k]`` cosine affinities (``-inf`` where fewer than k
    pixels are allowed) and ``index`` ``[P, k]`` flat positions of the matched
    pixels in the memory frame, for the ``P = h * w`` target pixels.
    """

    values: torch.Tensor
    index: torch.Tensor


_KINDS = {
    'int': (lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool)),
    'number': (lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)),
    'bool': (lambda v: isinstance(v, bool)),
}


def check_option(
    owner: str,
    name: str,
    value: Any,
    kind: str,
    minimum: Optional[float] = None,
    strict: bool = False,
) -> None:
    """Raise an error naming ``owner`` and option ``name`` unless ``value`` is a
    ``kind`` ('int', 'number' or 'bool') no less than ``minimum`` (greater
    than it if ``strict``)."""
    if not _KINDS[kind](value):
        raise TypeError(
            f'{owner} option {name!r} must be {"a " + kind if kind != "int" else "an int"}, '
            f'got {value!r} ({type(value).__name__})'
        )
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = '>' if strict else '>='
        raise ValueError(f'{owner} option {name!r} must be {relation} {minimum}, got {value!r}')


def check_choice(owner: str, name: str, value: Any, choices: Sequence[str]) -> None:
    """Raise an error naming ``owner`` and option ``name`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f'{owner} option {name!r} must be one of {list(choices)}, got {value!r}')


class Matcher:
    """Base of the propagation matchers: per-frame candidates of target pixels.

    :meth:`prepare` lays out one frame's features for matching; the engine
    calls it once per frame and passes its result back as memory, so that a
    memory frame is laid out once, not once per target frame. :meth:`match`
    matches one target frame against all the memory frames of a step; a
    matcher implements it, or :meth:`candidates` for one memory frame.
    """

    def prepare(self, features: torch.Tensor) -> Any:
        """Layout for matching of a frame's ``[C, h, w]`` L2-normalised features."""
        return features

    def match(self, target: torch.Tensor, memories: Sequence[Any], topk: int) -> List[Candidates]:
        """Each pixel of ``target`` (``[C, h, w]`` L2-normalised features):
        its ``topk`` best matches in each of ``memories`` (from :meth:`prepare`)."""
        return [self.candidates(target, memory, topk) for memory in memories]

    def match_joint(self, target: torch.Tensor, memories: Sequence[Any], topk: int) -> Candidates:
        """Each pixel of ``target``: its ``topk`` best matches over all of
        ``memories`` at once, as :func:`joint_candidates` of :meth:`match`."""
        return joint_candidates(self.match(target, memories, topk), topk)

    def candidates(self, target: torch.Tensor, memory: Any, topk: int) -> Candidates:
        """Each target pixel's ``topk`` best matches in one memory frame."""
        raise NotImplementedError(f'{type(self).__name__} implements neither match nor candidates')

    def __repr__(self) -> str:
        options = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{type(self).__name__}({options})'


def joint_candidates(candidates: Sequence[Candidates], topk: int) -> Candidates:
    """The ``topk`` best of each target pixel's candidates in several memory
    frames; the index of pixel q of memory frame m (``candidates[m]``) is
    ``m P + q`` for ``P`` pixels a frame. Equal affinities: the lower
    (memory frame, pixel) first (see :mod:`.ranking`)."""
    num_pixels = candidates[0].values.shape[0]
    values = torch.cat([c.values for c in candidates], 1)
    index = torch.cat([c.index + m * num_pixels for m, c in enumerate(candidates)], 1)
    top, where = top_k(values, topk, index)
    return Candidates(top, index.gather(1, where))


def weighted_labels(
    joint: Candidates, memory_labels: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Labels ``[N, P]`` of the target pixels: the mean of their joint
    candidates' labels (``memory_labels`` ``[N, M, P]``, flattened memory
    frames) weighted by the softmax of affinity / ``temperature``."""
    num_labels, num_mem, num_pixels = memory_labels.shape
    # A pixel with no allowed match anywhere (all -inf) gets zero labels.
    weights = torch.softmax(joint.values / temperature, dim=1).nan_to_num_(0.0)
    labels = memory_labels.reshape(num_labels, num_mem * num_pixels)
    out = labels.new_empty(num_labels, num_pixels)
    for start in range(0, num_pixels, GATHER_CHUNK):
        stop = start + GATHER_CHUNK
        out[:, start:stop] = (labels[:, joint.index[start:stop]] * weights[start:stop]).sum(-1)
    return out


def merge_candidates(
    candidates: Sequence[Candidates], memory_labels: torch.Tensor, topk: int, temperature: float
) -> torch.Tensor:
    """Labels ``[N, P]`` of the target pixels from their candidates in every
    memory frame (:func:`joint_candidates`, then :func:`weighted_labels`)."""
    return weighted_labels(joint_candidates(candidates, topk), memory_labels, temperature)
