"""Frames per second and memory of the online tracker on a long generated stream.

The stream is a smooth random texture panning across a 640x360 window (made
on the fly, so the stream itself holds no memory); ``--points`` points on a
grid are added at frame 0 and tracked by :class:`fgvc.apis.OnlineTracker`.
It prints frames per second, and the peak resident memory of the process at
each of ``--marks`` (default frames 200 and 2,000) with the growth between
the first and the last: bounded memory means that growth stays small (the
target: under 50 MB). Example (2 CPU cores; a learnt encoder at short side
256 costs about a second a frame)::

    python tools/benchmark_online.py --checkpoint CKPT --short-side 256 --points 100
    python tools/benchmark_online.py --config configs/eval/raw_patch_eval.py   # fast
"""

import argparse
import json
import resource
import time
from typing import Iterator, List, Optional

import cv2
import numpy as np
import torch

from fgvc.apis import OnlineTracker
from fgvc.apis.queries import grid_queries
from fgvc.cli.options import add_predictor_args, predictor_from_args

#: The generated stream: frame size, texture smoothness and panning speed.
FRAME_HW = (360, 640)
TEXTURE_BLUR = 7
PAN_PX = (1.5, 0.75)  # (x, y) per frame
MIB = 2**20
REPORT_EVERY = 100


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', default=None, help='encoder weights (default: untrained)')
    parser.add_argument('--points', type=int, default=100)
    parser.add_argument('--marks', type=int, nargs='+', default=[200, 2000])
    add_predictor_args(parser, device='cpu')
    parser.add_argument('--threads', type=int, default=2, help='CPU threads (torch)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def panning_stream(num_frames: int, seed: int) -> Iterator[np.ndarray]:
    """uint8 RGB frames of a smooth texture panning by ``PAN_PX`` a frame (wrapping)."""
    height, width = FRAME_HW
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, (2 * height, 2 * width, 3), np.uint8)
    texture = cv2.GaussianBlur(texture, (0, 0), TEXTURE_BLUR)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    tiled = np.tile(texture, (2, 2, 1))
    for t in range(num_frames):
        x, y = (int(t * PAN_PX[0]) % (2 * width), int(t * PAN_PX[1]) % (2 * height))
        yield np.ascontiguousarray(tiled[y : y + height, x : x + width])


def peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    predictor = predictor_from_args(args)
    tracker = OnlineTracker(predictor)
    side = int(round(np.sqrt(args.points)))
    tracker.add_points(grid_queries(side, *FRAME_HW)[:, 1:])
    marks = sorted(args.marks)
    print(
        f'{args.device}, {torch.get_num_threads()} threads: {FRAME_HW[1]}x{FRAME_HW[0]} stream, '
        f'{side * side} points, short side {args.short_side}, {marks[-1]} frames',
        flush=True,
    )
    memory, start = {}, time.perf_counter()
    for t, frame in enumerate(panning_stream(marks[-1], args.seed), 1):
        _, xy, _ = tracker.step(frame)
        if t == 1:
            first_xy = xy
        if t in marks:
            memory[t] = peak_rss_mb()
            print(f'frame {t}: peak resident memory {memory[t]:.1f} MiB', flush=True)
        if t % REPORT_EVERY == 0:
            print(f'frame {t}: {t / (time.perf_counter() - start):.2f} frames/s', flush=True)
    seconds = time.perf_counter() - start
    result = dict(
        frames_per_second=marks[-1] / seconds,
        peak_rss_mb={str(k): round(v, 1) for k, v in memory.items()},
        growth_mb=round(memory[marks[-1]] - memory[marks[0]], 1),
        held_frames=len(tracker.stream.held_frames),
        # mean tracked motion of the points over the stream, (x, y) px; the
        # texture itself moved by -PAN_PX a frame (rounded to whole pixels)
        mean_motion_px=[round(float(v), 3) for v in (xy - first_xy).mean(0)],
    )
    print(
        f'{result["frames_per_second"]:.2f} frames/s; peak resident memory grew by '
        f'{result["growth_mb"]:.1f} MiB from frame {marks[0]} to frame {marks[-1]}; '
        f'{result["held_frames"]} frames of features held'
    )
    print(json.dumps(result))


if __name__ == '__main__':
    main()
