"""Peak memory of the demo on a long generated video (``tools/benchmark_demo.py``).

A video (default 2,000 frames of 640x360: a textured rectangle moving over a
static textured background, rendered and written a chunk at a time) is
generated once into the work dir; the demo runs on it in a subprocess, and
the subprocess's peak resident memory is reported against the target (4 GB)
with its run time.
"""

import os.path as osp
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.fileio import TRUST_FLAG
from fgvc.visualization import Mp4Writer

from .memory import peak_rss_mib

TARGET_GB = 4.0
MIB_PER_GB = 2**10
RENDER_CHUNK = 50
FPS = 25.0
# The rectangle (x, y, w, h as fractions of the frame) circles with these
# amplitudes (fractions of the frame) and period (frames).
LAYER_BOX = (0.3, 0.3, 0.4, 0.4)
AMPLITUDE = (0.2, 0.2)
PERIOD = 200


@dataclass
class DemoBenchmarkOptions:
    """The options of ``tools/benchmark_demo.py``.

    Attributes:
        frames, height, width, seed: the generated video.
        queries, short_side, config, checkpoint, trust_pickle: the demo's
            ``--queries``, ``--short-side``, ``--config``, ``--checkpoint``
            and trust flag (None: the demo's defaults).
        work_dir: where the video and the demo's outputs go.
    """

    frames: int = 2000
    height: int = 360
    width: int = 640
    queries: str = 'grid:4'
    short_side: int = 64
    config: Optional[str] = None
    checkpoint: Optional[str] = None
    trust_pickle: bool = False
    work_dir: str = osp.join('work_dirs', 'benchmark_demo')
    seed: int = 0


def write_video(path: str, frames: int, height: int, width: int, seed: int) -> None:
    """Render the moving-rectangle scene into an mp4, a chunk of frames at a time."""
    t = np.arange(frames)
    angle = 2 * np.pi * t / PERIOD
    offsets = np.stack(
        [AMPLITUDE[0] * width * np.sin(angle), AMPLITUDE[1] * height * (np.cos(angle) - 1)], 1
    )
    box = tuple(int(f * s) for f, s in zip(LAYER_BOX, (width, height, width, height)))
    scene = make_moving_layer_scene(height, width, offsets, box, seed)
    with Mp4Writer(path, FPS) as writer:
        for start in range(0, frames, RENDER_CHUNK):
            chunk, _ = render(scene, start, min(start + RENDER_CHUNK, frames))
            for frame in chunk:
                writer.write(frame)


def demo_arguments(options: DemoBenchmarkOptions, video: str) -> List[str]:
    """The demo's command-line arguments for ``video``."""
    arguments = [
        video,
        '--queries',
        options.queries,
        '--short-side',
        str(options.short_side),
        '--out',
        osp.join(options.work_dir, 'demo_out'),
        '--overwrite',
    ]
    if options.config:
        arguments += ['--config', options.config]
    if options.checkpoint:
        arguments += ['--checkpoint', options.checkpoint]
    if options.trust_pickle:
        arguments.append(TRUST_FLAG)
    return arguments


def run_demo_benchmark(options: DemoBenchmarkOptions, demo_command: Sequence[str]) -> int:
    """Generate the video (unless it is there), run ``demo_command`` (the
    program that runs the demo, e.g. ``python tools/demo.py``) on it and
    print its time and peak resident memory against :data:`TARGET_GB`.
    Returns the exit status: 1, with the reason on stderr, when the demo
    failed."""
    name = f'generated_{options.frames}x{options.width}x{options.height}.mp4'
    video = osp.join(options.work_dir, name)
    if not osp.isfile(video):
        start = time.time()
        write_video(video, options.frames, options.height, options.width, options.seed)
        print(f'Generated {video} in {time.time() - start:.0f} s')
    command = [*demo_command, *demo_arguments(options, video)]
    print('Running:', ' '.join(command), flush=True)
    start = time.time()
    result = subprocess.run(command)
    seconds = time.time() - start
    peak_gb = peak_rss_mib(children=True) / MIB_PER_GB
    if result.returncode != 0:
        print(f'The demo failed (exit status {result.returncode})', file=sys.stderr)
        return 1
    verdict = 'within' if peak_gb < TARGET_GB else 'OVER'
    print(
        f'{options.frames} frames {options.width}x{options.height}, {options.queries}, encoder '
        f'short side {options.short_side}: {seconds:.0f} s ({options.frames / seconds:.2f} '
        f'frames/s), peak RSS {peak_gb:.2f} GB, {verdict} the {TARGET_GB:g} GB target'
    )
    return 0
