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


def top_k(
    values: torch.Tensor, k: int, keys: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` largest entries of the last dimension of ``values`` and their positions.

    Entries are ordered by descending value, equal values by ascending ``keys``
    (a tensor shaped like ``values``; default: the position in the last
    dimension). Rows without equal values among their ``k + 1`` largest cost
    one ``topk``; only the others are sorted whole.
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
        order = _sort_rows(rows[tied], row_keys)[:, : top.shape[1]]
        where[tied] = order
        top[tied] = rows[tied].gather(1, order)
    shape = values.shape[:-1] + (k,)
    return top[:, :k].reshape(shape), where[:, :k].reshape(shape)
