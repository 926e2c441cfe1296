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
outside OUT_DIR. ``tools/data/prepare.py tapvid`` converts a whole TAP-Vid
download this way.
"""

import argparse

from fgvc.cli.options import add_trust_flag, one_line_errors
from fgvc.datasets.prepare.tapvid import FORMATS, split_tapvid_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='a TAP-Vid pickle or a folder of them')
    parser.add_argument('out_dir', help='folder for the per-video files')
    parser.add_argument(
        '--format', choices=FORMATS[::-1], default='pkl', help='npz: pickle-free (safe to share)'
    )
    add_trust_flag(parser, 'a TAP-Vid pickle')
    args = parser.parse_args()
    with one_line_errors():
        count = split_tapvid_path(
            args.src, args.out_dir, args.format, progress=True, trust=args.trust_pickle
        )
    print(f'Wrote {count} per-video {args.format} files to {args.out_dir}')


if __name__ == '__main__':
    main()
