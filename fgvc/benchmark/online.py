"""Frames per second and memory of the online tracker on a long generated stream
(``tools/benchmark_online.py``).

The stream is a smooth random texture panning across a 640x360 window (made
on the fly, so the stream itself holds no memory); points on a grid are added
at frame 0 and tracked by :class:`fgvc.apis.OnlineTracker`. It prints frames
per second, and the peak resident memory of the process at each mark with
the growth between the first and the last: bounded memory means that growth
stays small (the target: under 50 MB).
"""

import json
import time
from typing import Iterator, Sequence

import cv2
import numpy as np
import torch

from fgvc.apis import OnlineTracker, Predictor
from fgvc.apis.queries import grid_queries

from .memory import peak_rss_mib

#: The generated stream: frame size, texture smoothness and panning speed.
FRAME_HW = (360, 640)
TEXTURE_BLUR = 7
PAN_PX = (1.5, 0.75)  # (x, y) per frame
REPORT_EVERY = 100


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


def run_online_benchmark(
    predictor: Predictor,
    points: int = 100,
    marks: Sequence[int] = (200, 2000),
    threads: int = 2,
    seed: int = 0,
) -> dict:
    """Track a grid of about ``points`` points (the nearest square) through
    the stream of ``seed`` up to the last of ``marks`` with torch on
    ``threads`` CPU threads, printing the progress, the peak resident memory
    at each mark and a summary, then the returned measurements as one JSON
    line."""
    torch.set_num_threads(threads)
    tracker = OnlineTracker(predictor)
    side = int(round(np.sqrt(points)))
    tracker.add_points(grid_queries(side, *FRAME_HW)[:, 1:])
    marks = sorted(marks)
    print(
        f'{predictor.device}, {torch.get_num_threads()} threads: {FRAME_HW[1]}x{FRAME_HW[0]} '
        f'stream, {side * side} points, short side {predictor.short_side}, {marks[-1]} frames',
        flush=True,
    )
    memory, start = {}, time.perf_counter()
    for t, frame in enumerate(panning_stream(marks[-1], seed), 1):
        _, xy, _ = tracker.step(frame)
        if t == 1:
            first_xy = xy
        if t in marks:
            memory[t] = peak_rss_mib()
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
    return result
