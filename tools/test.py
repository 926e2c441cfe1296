"""Evaluate an encoder on one task: ``tools/test.py CONFIG CKPT --task TASK`` (the
``fgvc-test`` command once installed; the code is fgvc/cli/evaluate.py)."""

from fgvc.cli.evaluate import main

if __name__ == '__main__':
    main()
