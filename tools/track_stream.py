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
written so far stays readable.
"""

import argparse
import os
import os.path as osp
import signal
import sys
import time
from typing import Dict, Iterator, Tuple

import cv2
import numpy as np

from fgvc.apis import OnlineTracker
from fgvc.apis.cli import (
    add_checkpoint_arg,
    add_predictor_args,
    announce_weights,
    predictor_from_args,
)
from fgvc.apis.outputs import CSV_DECIMALS, CSV_HEADER
from fgvc.apis.queries import parse_queries
from fgvc.visualization import Mp4Writer, draw_track_frame, track_colours

DEFAULT_QUERIES = 'grid:8'
DEFAULT_FPS = 25.0
PALETTE = 64  # colours cycled over point ids
REPORT_EVERY_S = 2.0
RADIUS = 3
INTERRUPTED = 130  # exit status after Ctrl-C, as shells report it


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
    parser.add_argument('--max-frames', type=int, help='stop after this many frames')
    parser.add_argument(
        '--realtime',
        action='store_true',
        help='read a file no faster than its frame rate, like a live stream',
    )
    parser.add_argument('--overwrite', action='store_true', help='replace an earlier tracks.csv')
    return parser.parse_args(argv)


def open_source(source: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        raise ValueError(f'Cannot open the stream {source}: not a camera, file or stream URL')
    return capture


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
    """``{t: (ids, xy [n, 2])}``: the queries of each frame, ids their rows."""
    queries = parse_queries(spec, height, width)
    frames = queries[:, 0]
    if (frames < 0).any() or (frames != np.round(frames)).any():
        raise ValueError('query frames must be whole numbers >= 0')
    out = {}
    for t in np.unique(frames).astype(int).tolist():
        rows = np.flatnonzero(frames == t)
        out[t] = (rows.tolist(), queries[rows, 1:])
    return out


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM both end the loop cleanly. SIGINT is set
    explicitly: a process started in the background by a non-interactive
    shell inherits it ignored, and Python then leaves it so."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)


def track(args: argparse.Namespace) -> bool:
    """Track the stream into ``args.out``; returns False if interrupted."""
    csv_path = osp.join(args.out, 'tracks.csv')
    if osp.exists(csv_path) and not args.overwrite:
        raise FileExistsError(f'{csv_path} exists: choose another --out or pass --overwrite')
    capture = open_source(args.source)
    predictor = predictor_from_args(args)
    announce_weights(predictor)
    tracker = OnlineTracker(predictor)
    colours = track_colours(PALETTE)
    fps = capture.get(cv2.CAP_PROP_FPS) or DEFAULT_FPS
    os.makedirs(args.out, exist_ok=True)
    writer = Mp4Writer(osp.join(args.out, 'tracks.mp4'), fps) if args.video else None
    pending, count, start, reported = None, 0, time.perf_counter(), time.perf_counter()
    interrupted = False
    with open(csv_path, 'w') as csv:
        csv.write(CSV_HEADER + '\n')
        try:
            for t, frame in enumerate(read_frames(capture, args.realtime)):
                if args.max_frames is not None and t >= args.max_frames:
                    break
                if pending is None:
                    pending = queries_by_frame(args.queries, *frame.shape[:2])
                if t in pending:
                    ids, xy = pending.pop(t)
                    tracker.add_points(xy, ids)
                ids, xy, visible = tracker.step(frame)
                csv.writelines(
                    f'{t},{i},{x:.{CSV_DECIMALS}f},{y:.{CSV_DECIMALS}f},{int(v)}\n'
                    for i, (x, y), v in zip(ids, xy, visible)
                )
                csv.flush()
                if writer is not None:
                    writer.write(
                        draw_track_frame(
                            frame, xy[:, None], ~visible[:, None], 0, colours[ids % PALETTE], RADIUS
                        )
                    )
                count += 1
                now = time.perf_counter()
                if now - reported >= REPORT_EVERY_S:
                    print(f'frame {t}: {len(ids)} points, {count / (now - start):.1f} frames/s')
                    reported = now
        except KeyboardInterrupt:
            interrupted = True
        finally:
            capture.release()
            if writer is not None:
                writer.close()
    seconds = time.perf_counter() - start
    left = sum(len(ids) for ids, _ in (pending or {}).values())
    print(
        f'{"Interrupted" if interrupted else "Done"}: {count} frames in {seconds:.1f} s '
        f'({count / max(seconds, 1e-9):.1f} frames/s), {len(tracker.ids)} points tracked'
        + (f', {left} queried after the last frame never added' if left else '')
    )
    print(f'Tracks in {osp.abspath(csv_path)}' + (' and tracks.mp4' if writer else ''))
    return not interrupted


def main(argv=None) -> None:
    args = parse_args(argv)
    stop_on_signals()
    try:
        completed = track(args)
    except (FileNotFoundError, FileExistsError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    if not completed:
        sys.exit(INTERRUPTED)


if __name__ == '__main__':
    main()
