"""Track points through a live stream (a camera, a network stream, a file) frame by frame.

    python tools/track_stream.py SOURCE --out DIR [--queries grid:8 | FILE.csv | "t,x,y;..."]
                                 [--checkpoint CKPT|zoo:NAME|none] [--video] [--realtime]

SOURCE is anything OpenCV opens: a video file, a camera index (0), or a URL
(rtsp://, http://...). Queries are (t, x, y): a point is added when the
stream reaches frame t (``grid:N``: an N x N grid at frame 0) and tracked
forward from there. Tracks are appended to DIR/tracks.csv
(``frame,point,x,y,visible``; ``point`` is the query's row) as each frame is
tracked, and with ``--video`` drawn into DIR/tracks.mp4. Frames per second
are printed as it goes. Ctrl-C (or SIGTERM) stops it cleanly: everything
written so far stays readable, the CSV and the video holding the same
frames. Every option, and every query against the first frame's size, is
checked before anything is written.
"""

import argparse
import contextlib
import itertools
import os
import os.path as osp
import signal
import sys
import time
from typing import Dict, Iterator, Optional, TextIO, Tuple

import cv2
import numpy as np

from fgvc.apis import OnlineTracker
from fgvc.apis.predictor import check_short_side
from fgvc.apis.queries import parse_queries, validate_queries
from fgvc.fileio import OpenCVPath, is_utf8, shown
from fgvc.outputs.files import CSV_DECIMALS, CSV_HEADER
from fgvc.visualization import Mp4Writer, draw_track_frame, track_colours

from .options import (
    INTERRUPTED,
    add_checkpoint_arg,
    add_predictor_args,
    announce_weights,
    check_distinct_paths,
    one_line_errors,
    predictor_from_args,
)

DEFAULT_QUERIES = 'grid:8'
DEFAULT_FPS = 25.0
PALETTE = 64  # colours cycled over point ids
REPORT_EVERY_S = 2.0
RADIUS = 3


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track points through a live stream frame by frame',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument('source', help='video file, camera index (e.g. 0) or stream URL')
    parser.add_argument('--out', required=True, help='output folder (tracks.csv, tracks.mp4)')
    parser.add_argument(
        '--queries',
        default=DEFAULT_QUERIES,
        help='grid:N at frame 0, a CSV file of t,x,y rows, or "t,x,y;t,x,y" (pixels); '
        'each point is added when the stream reaches its frame',
    )
    add_checkpoint_arg(parser)
    add_predictor_args(parser)
    parser.add_argument('--video', action='store_true', help='also write an annotated mp4')
    parser.add_argument('--max-frames', type=int, help='stop after this many frames (>= 1)')
    parser.add_argument(
        '--realtime',
        action='store_true',
        help='a file source: read it no faster than its frame rate, like a live stream',
    )
    parser.add_argument('--overwrite', action='store_true', help='replace an earlier tracks.csv')
    return parser.parse_args(argv)


def is_camera(source: str) -> bool:
    return source.isdigit()


def open_source(source: str) -> Tuple[cv2.VideoCapture, Optional[OpenCVPath]]:
    """The capture of a camera index, a file (any name, through an alias
    OpenCV can take) or a stream URL, and the file's alias to close."""
    alias = None
    if is_camera(source):
        capture = cv2.VideoCapture(int(source))
    elif osp.exists(source) or not is_utf8(source):
        if not osp.isfile(source):
            raise FileNotFoundError(f'Stream file not found: {shown(source)}')
        alias = OpenCVPath(source)
        capture = cv2.VideoCapture(alias.path)
    else:
        capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        if alias is not None:
            alias.close()
        raise ValueError(
            f'Cannot open the stream {shown(source)}: not a camera, file or stream URL'
        )
    return capture, alias


def check_args(args: argparse.Namespace) -> None:
    """The options, before the stream is opened; ``ValueError`` names the first bad one."""
    if args.max_frames is not None and args.max_frames < 1:
        raise ValueError(f'--max-frames must be at least 1, got {args.max_frames}')
    if args.realtime and (is_camera(args.source) or '://' in args.source):
        raise ValueError(
            '--realtime paces reading a file; a camera or stream comes at its own pace'
        )
    check_short_side(args.short_side, '--short-side')
    check_distinct_paths(
        {'--out': args.out},
        {
            'SOURCE': args.source if osp.isfile(args.source) else None,
            '--queries': args.queries if osp.isfile(args.queries) else None,
        },
    )
    if osp.exists(args.out) and not osp.isdir(args.out):
        raise FileExistsError(f'--out {shown(args.out)} is a file, not a folder')
    csv_path = osp.join(args.out, 'tracks.csv')
    if osp.exists(csv_path) and not args.overwrite:
        raise FileExistsError(f'{shown(csv_path)} exists: choose another --out or pass --overwrite')


def read_frames(capture: cv2.VideoCapture, realtime: bool) -> Iterator[np.ndarray]:
    """RGB frames until the stream ends, paced at its frame rate if ``realtime``."""
    period = 1.0 / (capture.get(cv2.CAP_PROP_FPS) or DEFAULT_FPS)
    due = time.perf_counter()
    while True:
        ok, frame = capture.read()
        if not ok:
            return
        if realtime:
            due += period
            time.sleep(max(0.0, due - time.perf_counter()))
        yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def queries_by_frame(spec: str, height: int, width: int) -> Dict[int, Tuple[list, np.ndarray]]:
    """``{t: (ids, xy [n, 2])}``: the queries of each frame, ids their rows,
    every one checked against the stream's ``height`` x ``width`` frames."""
    queries = parse_queries(spec, height, width)
    validate_queries(queries, None, height, width)  # a stream's length is not known
    frames = queries[:, 0]
    out = {}
    for t in np.unique(frames).astype(int).tolist():
        rows = np.flatnonzero(frames == t)
        out[t] = (rows.tolist(), queries[rows, 1:])
    return out


class FrameSignals:
    """Ctrl-C (SIGINT) and SIGTERM end the loop cleanly, by raising
    KeyboardInterrupt, but never halfway through writing a frame's outputs:
    a signal that arrives inside :meth:`whole_frame` is raised when the frame
    is written, so the CSV and the video always hold the same frames. SIGINT
    is set explicitly: a process started in the background by a
    non-interactive shell inherits it ignored, and Python then leaves it so."""

    def __init__(self) -> None:
        self.holding = False
        self.pending = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, signum, frame) -> None:
        if self.holding:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def whole_frame(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


def record(t: int, ids: np.ndarray, xy: np.ndarray, visible: np.ndarray, csv: TextIO) -> None:
    """Append frame ``t``'s rows to the CSV at once (a reader sees whole frames)."""
    csv.writelines(
        f'{t},{i},{x:.{CSV_DECIMALS}f},{y:.{CSV_DECIMALS}f},{int(v)}\n'
        for i, (x, y), v in zip(ids, xy, visible)
    )
    csv.flush()


def close_source(capture: cv2.VideoCapture, alias: Optional[OpenCVPath]) -> None:
    capture.release()
    if alias is not None:
        alias.close()


def open_stream(args: argparse.Namespace):
    """Open the stream and read its first frame, check the queries against
    it and build the predictor (closing the stream on any failure). Returns
    the capture, its alias, the frames (the first, then the rest), the
    queries by frame and the predictor."""
    capture, alias = open_source(args.source)
    frames = read_frames(capture, args.realtime)
    try:
        first = next(frames, None)
        if first is None:
            raise ValueError(f'The stream {shown(args.source)} gave no frame')
        # every query checked against the frame size before anything is written
        pending = queries_by_frame(args.queries, *first.shape[:2])
        predictor = predictor_from_args(args)
    except BaseException:
        close_source(capture, alias)
        raise
    return capture, alias, itertools.chain([first], frames), pending, predictor


def track(args: argparse.Namespace, signals: FrameSignals) -> bool:
    """Track the stream into ``args.out``; returns False if interrupted."""
    csv_path = osp.join(args.out, 'tracks.csv')
    capture, alias, frames, pending, predictor = open_stream(args)
    announce_weights(predictor)
    tracker = OnlineTracker(predictor)
    colours = track_colours(PALETTE)
    fps = capture.get(cv2.CAP_PROP_FPS) or DEFAULT_FPS
    os.makedirs(args.out, exist_ok=True)
    writer = Mp4Writer(osp.join(args.out, 'tracks.mp4'), fps) if args.video else None
    count, start, reported = 0, time.perf_counter(), time.perf_counter()
    interrupted = False
    with open(csv_path, 'w') as csv:
        csv.write(CSV_HEADER + '\n')
        try:
            for t, frame in enumerate(itertools.islice(frames, args.max_frames)):
                if t in pending:
                    ids, xy = pending.pop(t)
                    tracker.add_points(xy, ids)
                ids, xy, visible = tracker.step(frame)
                drawn = None
                if writer is not None:
                    colour = colours[ids % PALETTE]
                    drawn = draw_track_frame(
                        frame, xy[:, None], ~visible[:, None], 0, colour, RADIUS
                    )
                with signals.whole_frame():
                    record(t, ids, xy, visible, csv)
                    if drawn is not None:
                        writer.write(drawn)
                    count += 1
                now = time.perf_counter()
                if now - reported >= REPORT_EVERY_S:
                    print(f'frame {t}: {len(ids)} points, {count / (now - start):.1f} frames/s')
                    reported = now
        except KeyboardInterrupt:
            interrupted = True
        finally:
            close_source(capture, alias)
            if writer is not None:
                writer.close()
    seconds = time.perf_counter() - start
    left = sum(len(ids) for ids, _ in pending.values())
    print(
        f'{"Interrupted" if interrupted else "Done"}: {count} frames in {seconds:.1f} s '
        f'({count / max(seconds, 1e-9):.1f} frames/s), {len(tracker.ids)} points tracked'
        + (f', {left} queried after the last frame never added' if left else '')
    )
    print(f'Tracks in {shown(osp.abspath(csv_path))}' + (' and tracks.mp4' if writer else ''))
    return not interrupted


def main(argv=None) -> None:
    args = parse_args(argv)
    signals = FrameSignals()
    signals.install()
    with one_line_errors():
        check_args(args)
        completed = track(args, signals)
    if not completed:
        sys.exit(INTERRUPTED)


if __name__ == '__main__':
    main()
