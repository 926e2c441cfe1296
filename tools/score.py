"""Score any tracker's predictions on one task (the ``fgvc-score``
command once installed; the code is fgvc/cli/score.py)."""

from fgvc.cli.score import main

if __name__ == '__main__':
    main()
