"""TAP-Vid pickles.

* DAVIS format: one pickle holding ``{name: {'video': uint8 [T, H, W, 3],
  'points': float32 [N, T, 2] (x, y) in [0, 1], 'occluded': bool [N, T]}}``.
* Kinetics format: shards ``NNNN_of_MMMM.pkl``, each a list of dicts with the
  same keys plus ``'video_id'``, whose ``'video'`` is a list of JPEG bytes.
"""

import os
import pickle
from typing import Dict, List, Sequence

import numpy as np

from fgvc.fileio import encode_jpeg

PICKLE_PROTOCOL = 4


def _dump(obj, path: str) -> None:
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=PICKLE_PROTOCOL)


def write_tapvid_pickle(entries: Dict[str, Dict[str, np.ndarray]], path: str) -> None:
    """Write the DAVIS-format dict ``{name: entry}`` to ``path``."""
    _dump(entries, path)


def kinetics_entry(entry: Dict[str, np.ndarray], video_id: str) -> Dict:
    """A Kinetics-format dict: the entry with JPEG frames and a video id."""
    out = dict(entry)
    out['video'] = [encode_jpeg(frame) for frame in entry['video']]
    out['video_id'] = video_id
    return out


def shard_name(index: int, count: int) -> str:
    """TAP-Vid-Kinetics shard file name, e.g. ``0000_of_0010.pkl``."""
    return f'{index:04d}_of_{count:04d}.pkl'


def write_kinetics_shards(entries: Sequence[Dict], out_dir: str, num_shards: int) -> List[str]:
    """Split Kinetics-format dicts into ``num_shards`` pickles; returns their paths."""
    num_shards = max(1, min(num_shards, len(entries)))
    paths = []
    for i, chunk in enumerate(np.array_split(np.arange(len(entries)), num_shards)):
        path = os.path.join(out_dir, shard_name(i, num_shards))
        _dump([entries[j] for j in chunk], path)
        paths.append(path)
    return paths
