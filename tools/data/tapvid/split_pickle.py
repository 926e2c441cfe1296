"""Split TAP-Vid pickles into one pickle per video.

``python tools/data/tapvid/split_pickle.py IN OUT_DIR`` where IN is a pickle
or a folder of pickles (either TAP-Vid format). Each video is written to
``OUT_DIR/<name>.pkl`` as a one-entry dict ``{name: video}``, so that data
workers load only the video they need; TapVidDataset reads the folder.
"""
import argparse
import os
import os.path as osp
import pickle
from glob import glob

from tqdm import tqdm

from fgvc.datasets.tapvid import iter_videos, read_tapvid_pickle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='a TAP-Vid pickle or a folder of them')
    parser.add_argument('out_dir', help='folder for the per-video pickles')
    args = parser.parse_args()
    files = [args.src] if osp.isfile(args.src) else sorted(glob(osp.join(args.src, '*.pkl')))
    if not files:
        raise FileNotFoundError(f'No TAP-Vid pickles at {args.src}')
    os.makedirs(args.out_dir, exist_ok=True)
    count = 0
    for path in files:
        for name, _, video in tqdm(list(iter_videos(read_tapvid_pickle(path), path)), desc=path):
            out = osp.join(args.out_dir, f'{name}.pkl')
            with open(out + '.tmp', 'wb') as f:
                pickle.dump({name: video}, f)
            os.replace(out + '.tmp', out)
            count += 1
    print(f'Wrote {count} per-video pickles to {args.out_dir}')


if __name__ == '__main__':
    main()
