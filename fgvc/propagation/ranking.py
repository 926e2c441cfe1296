"""The k largest values with a defined order among equal values.

Exactly equal affinities are common where features are equal (flat regions
of a generated video, an untrained encoder). ``torch.topk`` picks among
them in an order that depends on the layout of its input, on the size of
the row and on the device. Every selection of propagation (a matcher's
candidates, the merge over memory frames, the read-out of positions) goes
through :func:`top_k` instead: the larger value first, and among equal
values the lower key (by default the position in the row). The selected set
and its order then depend only on the values and keys, so matchers that lay
out their candidates differently, and CPU and CUDA, choose the same pixels.
"""

from typing import Optional, Tuple

import torch


def _sort_rows(values: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Positions that sort rows of ``values`` descending, equal values by ascending ``keys``."""
    by_key = keys.argsort(dim=1, stable=True)
    by_value = values.gather(1, by_key).argsort(dim=1, descending=True, stable=True)
    return by_key.gather(1, by_value)


def _tied_top_k(rows: torch.Tensor, keys: torch.Tensor, kth: torch.Tensor, k: int) -> torch.Tensor:
    """Positions of the top ``k`` of ``rows`` in the order of :func:`top_k`,
    given each row's k-th largest value ``kth`` ``[R, 1]``.

    Fewer than k entries exceed ``kth``; they are all taken, and the rest are
    the entries equal to it with the lowest keys. Ranking entries by that
    rule needs one ``topk`` of the keys, not a sort of the whole row.
    """
    low, high = keys.min() - 1, keys.max() + 1
    rank = torch.where(rows > kth, low, torch.where(rows == kth, keys, high))
    chosen = rank.topk(k, dim=1, largest=False).indices
    return chosen.gather(1, _sort_rows(rows.gather(1, chosen), keys.gather(1, chosen)))


def top_k(
    values: torch.Tensor, k: int, keys: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` largest entries of the last dimension of ``values`` and their positions.

    Entries are ordered by descending value, equal values by ascending ``keys``
    (a tensor shaped like ``values``; default: the position in the last
    dimension). Rows without equal values among their ``k + 1`` largest cost
    one ``topk``; the others one more ``topk`` of their keys.
    """
    n = values.shape[-1]
    k = min(k, n)
    rows = values.reshape(-1, n)
    top, where = rows.topk(min(k + 1, n), dim=1)
    tied = (top[:, 1:] == top[:, :-1]).any(1).nonzero().squeeze(1)
    if len(tied):
        row_keys = (
            keys.reshape(-1, n)[tied]
            if keys is not None
            else torch.arange(n, device=values.device).expand(len(tied), n)
        )
        order = _tied_top_k(rows[tied], row_keys, top[tied, k - 1 : k], k)
        where[tied, :k] = order
        top[tied, :k] = rows[tied].gather(1, order)
    shape = values.shape[:-1] + (k,)
    return top[:, :k].reshape(shape), where[:, :k].reshape(shape)
