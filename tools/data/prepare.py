"""Prepare a downloaded dataset for the loaders (nothing is downloaded).

    python tools/data/prepare.py DATASET SOURCE_DIR --out DIR [--short-side 240]

DATASET: davis, tapvid, jhmdb, badja, youtube-vos, flyingthings. The layout
in SOURCE_DIR is checked (every missing path is named, with the dataset's
official source and licence), the index files the loaders need are built in
DIR, which links to SOURCE_DIR's folders, and DAVIS or YouTube-VOS frames can
be downscaled (``--short-side 240``: the 240p layout).
"""

from fgvc.datasets.prepare.cli import main

if __name__ == '__main__':
    main()
