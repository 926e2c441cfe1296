"""Split TAP-Vid pickles into one file per video, as pickles or pickle-free npz.

``python tools/data/tapvid/split_pickle.py IN OUT_DIR [--format npz]`` where IN
is a pickle or a folder of pickles (either TAP-Vid format). Each video is
written to ``OUT_DIR/<name>.pkl`` as a one-entry dict ``{name: video}``, or
with ``--format npz`` to ``OUT_DIR/<name>.npz`` (arrays only: loading it runs
no code), so that data workers load only the video they need; TapVidDataset
reads either folder. IN is read safely (arrays and containers only; a pickle
holding any other type is refused unless ``--trust-pickle``); convert once and
evaluate the npz files from then on. Video names must be plain file names (no
separators, no ``..``); others stop the tool before anything is written
outside OUT_DIR.
"""

import argparse
import os
import os.path as osp
import pickle
from glob import glob

from tqdm import tqdm

from fgvc.apis.cli import add_trust_flag, one_line_errors
from fgvc.fileio import atomic_write
from fgvc.datasets.tapvid import iter_videos, read_tapvid_pickle, write_tapvid_npz
from fgvc.utils.paths import safe_join


def write_pickle(name: str, video: dict, path: str) -> None:
    atomic_write(path, pickle.dumps({name: video}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='a TAP-Vid pickle or a folder of them')
    parser.add_argument('out_dir', help='folder for the per-video files')
    parser.add_argument(
        '--format', choices=('pkl', 'npz'), default='pkl', help='npz: pickle-free (safe to share)'
    )
    add_trust_flag(parser, 'a TAP-Vid pickle')
    args = parser.parse_args()
    with one_line_errors():
        split(args)


def split(args: argparse.Namespace) -> None:
    files = [args.src] if osp.isfile(args.src) else sorted(glob(osp.join(args.src, '*.pkl')))
    if not files:
        raise FileNotFoundError(f'No TAP-Vid pickles at {args.src}')
    os.makedirs(args.out_dir, exist_ok=True)
    count = 0
    for path in files:
        data = read_tapvid_pickle(path, args.trust_pickle)
        for name, _, video in tqdm(list(iter_videos(data, path)), desc=path):
            out = safe_join(args.out_dir, name, 'TAP-Vid video', path) + f'.{args.format}'
            if args.format == 'npz':
                write_tapvid_npz(video, out)
            else:
                write_pickle(name, video, out)
            count += 1
    print(f'Wrote {count} per-video {args.format} files to {args.out_dir}')


if __name__ == '__main__':
    main()
