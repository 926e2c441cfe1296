"""Track points, or propagate a mask, through your own video (the ``fgvc-demo``
command once installed; the code is fgvc/cli/demo.py)."""

from fgvc.cli.demo import main

if __name__ == '__main__':
    main()
