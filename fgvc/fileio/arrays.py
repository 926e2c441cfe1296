"""Arrays saved as ``.npz`` files, read without unpickling."""

from typing import Dict, Sequence

import numpy as np


def read_npz(
    path: str, required: Sequence[str] = (), what: str = 'npz file'
) -> Dict[str, np.ndarray]:
    """The arrays of ``path`` (loaded with ``allow_pickle=False``). An
    unreadable file, or one without every key of ``required``, raises
    ``ValueError`` naming the file (called ``what``) and the problem."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as err:
        raise ValueError(f'Cannot read {what} {path}: {type(err).__name__}: {err}') from err
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ValueError(f'{what} {path} lacks {missing} (has {sorted(arrays)})')
    return arrays
