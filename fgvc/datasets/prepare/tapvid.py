"""TAP-Vid pickles converted to one pickle-free npz per video, which
:class:`~fgvc.datasets.TapVidDataset` reads (each data worker loads only its video).

Source: any of ``tapvid_davis/tapvid_davis.pkl``,
``tapvid_kinetics/*.pkl`` (the shards tapnet's ``generate_tapvid.py`` writes)
and ``tapvid_rgb_stacking/tapvid_rgb_stacking.pkl``. Each found is written to
``<out>/<subset>_npz/<video>.npz``. Pickles are read safely (arrays and
containers only, :func:`fgvc.fileio.load_pickle`): one holding any other type
is refused unless trusted (the tools' ``--trust-pickle``). Convert once and
evaluate the npz files.
"""

import os
import os.path as osp
import pickle
from glob import glob
from typing import Dict, List, Sequence

from tqdm import tqdm

from fgvc.datasets.tapvid import (
    TapVidDataset,
    as_occlusion,
    check_tracks,
    iter_videos,
    read_tapvid_pickle,
    write_tapvid_npz,
)
from fgvc.fileio import atomic_write
from fgvc.utils.paths import safe_join

from .common import Checklist

NAME = 'tapvid'
#: Each subset's pickles, relative to the source folder.
SUBSETS: Dict[str, str] = {
    'tapvid_davis': osp.join('tapvid_davis', 'tapvid_davis.pkl'),
    'tapvid_kinetics': osp.join('tapvid_kinetics', '*.pkl'),
    'tapvid_rgb_stacking': osp.join('tapvid_rgb_stacking', 'tapvid_rgb_stacking.pkl'),
}
KINETICS_CSV = osp.join('tapvid_kinetics', 'tapvid_kinetics.csv')
FORMATS = ('npz', 'pkl')
OUT_SUFFIX = '_npz'


def split_tapvid_pickles(
    files: Sequence[str],
    out_dir: str,
    fmt: str = 'npz',
    progress: bool = False,
    trust: bool = False,
) -> int:
    """Write every video of the TAP-Vid pickles ``files`` (either format) to
    ``out_dir/<name>.npz`` (pickle-free) or ``.pkl`` (a one-entry dict);
    returns how many. Names must be plain file names; ground truth is checked.
    A pickle holding other types than arrays and containers is refused
    (:class:`fgvc.fileio.UnsafePickleError`) unless ``trust``."""
    if fmt not in FORMATS:
        raise ValueError(f'Unknown format {fmt!r}: choose one of {FORMATS}')
    os.makedirs(out_dir, exist_ok=True)
    count = 0
    for path in files:
        videos = list(iter_videos(read_tapvid_pickle(path, trust), path))
        for name, _, video in tqdm(videos, desc=osp.basename(path), disable=not progress):
            where = f'TAP-Vid video {name!r} in {path}'
            occluded = as_occlusion(video['occluded'], where)
            check_tracks(video['points'], occluded, len(video['video']), where)
            out = safe_join(out_dir, name, 'TAP-Vid video', path) + f'.{fmt}'
            if fmt == 'npz':
                write_tapvid_npz(video, out)
            else:
                atomic_write(out, pickle.dumps({name: video}))
            count += 1
    return count


def split_tapvid_path(
    source: str, out_dir: str, fmt: str = 'npz', progress: bool = False, trust: bool = False
) -> int:
    """:func:`split_tapvid_pickles` of ``source``: a TAP-Vid pickle or a folder
    of them (its ``*.pkl``); ``FileNotFoundError`` when it holds none."""
    files = [source] if osp.isfile(source) else sorted(glob(osp.join(source, '*.pkl')))
    if not files:
        raise FileNotFoundError(f'No TAP-Vid pickles at {source}')
    return split_tapvid_pickles(files, out_dir, fmt, progress=progress, trust=trust)


def subset_files(source: str) -> Dict[str, List[str]]:
    """The pickles of each subset found in ``source``."""
    found = {}
    for subset, pattern in SUBSETS.items():
        files = sorted(glob(osp.join(source, pattern)))
        if files:
            found[subset] = files
    return found


def prepare_tapvid(source: str, out: str, progress: bool = False, trust: bool = False) -> List[str]:
    """Convert every TAP-Vid subset found in ``source`` into ``out`` (see the
    module's docstring; ``trust``: unpickle other types too); returns what was
    done, a line each."""
    found = subset_files(source)
    if not found:
        check = Checklist(NAME, source)
        for subset, pattern in SUBSETS.items():
            what = f'{subset} pickles'
            if subset == 'tapvid_kinetics' and osp.isfile(osp.join(source, KINETICS_CSV)):
                what += (
                    f" (found {KINETICS_CSV}: write them with tapnet's generate_tapvid.py "
                    'from the Kinetics-700-2020 validation videos)'
                )
            check.add(osp.join(source, pattern), what)
        check.check()
    done = []
    for subset, files in found.items():
        folder = osp.join(out, subset + OUT_SUFFIX)
        count = split_tapvid_pickles(files, folder, 'npz', progress, trust)
        TapVidDataset(folder, [], lazy_init=True).load_data_list()
        done.append(f'{subset}: {count} videos from {len(files)} pickle(s) to {folder}')
    done.append(
        'Evaluate: python tools/test.py configs/eval/res18_d1_eval.py CKPT --task davis '
        f'--data-root {osp.join(out, "tapvid_davis" + OUT_SUFFIX)} (or --task kinetics with '
        'the kinetics folder)'
    )
    return done
