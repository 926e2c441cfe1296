"""Track points through a live stream frame by frame (the ``fgvc-track-stream``
command once installed; the code is fgvc/cli/track_stream.py)."""

from fgvc.cli.track_stream import main

if __name__ == '__main__':
    main()
