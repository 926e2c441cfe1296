"""Train an FGVC encoder: ``tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``
(the ``fgvc-train`` command once installed; the code is fgvc/cli/train.py)."""

from fgvc.cli.train import main

if __name__ == '__main__':
    main()
