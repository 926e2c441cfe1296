"""Convert a torchvision / MoCo / DetCo / DINO or release ResNet checkpoint for
FGVC (``--help`` says how; the code is fgvc/cli/convert.py)."""

import sys

from fgvc.cli.convert import main

if __name__ == '__main__':
    sys.exit(main())
