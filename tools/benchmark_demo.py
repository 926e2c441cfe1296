"""Peak memory of tools/demo.py on a long generated video.

Generates a video (default 2,000 frames of 640x360: a textured rectangle
moving over a static textured background, rendered and written a chunk at a
time), runs the demo on it in a subprocess and reports the subprocess's peak
resident memory against the target (4 GB) and its run time:

    python tools/benchmark_demo.py [--frames 2000] [--short-side 64] [--checkpoint CKPT]
"""

import argparse
import os.path as osp
import resource
import subprocess
import sys
import time

import numpy as np

from fgvc.cli.options import add_trust_flag
from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.fileio import TRUST_FLAG
from fgvc.visualization import Mp4Writer

TARGET_GB = 4.0
KIB_PER_GB = 2**20  # ru_maxrss is in KiB on Linux
RENDER_CHUNK = 50
FPS = 25.0
# The rectangle (x, y, w, h as fractions of the frame) circles with these
# amplitudes (fractions of the frame) and period (frames).
LAYER_BOX = (0.3, 0.3, 0.4, 0.4)
AMPLITUDE = (0.2, 0.2)
PERIOD = 200


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument('--frames', type=int, default=2000)
    parser.add_argument('--height', type=int, default=360)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--queries', default='grid:4')
    parser.add_argument(
        '--short-side', type=int, default=64, help='encoder input short side passed to the demo'
    )
    parser.add_argument('--config', help="demo --config (default: the demo's)")
    parser.add_argument(
        '--checkpoint', help="demo --checkpoint (default: the demo's, the shipped model)"
    )
    add_trust_flag(parser, 'a checkpoint (passed to the demo)')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'benchmark_demo'))
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


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


def main() -> None:
    args = parse_args()
    video = osp.join(args.work_dir, f'generated_{args.frames}x{args.width}x{args.height}.mp4')
    if not osp.isfile(video):
        start = time.time()
        write_video(video, args.frames, args.height, args.width, args.seed)
        print(f'Generated {video} in {time.time() - start:.0f} s')
    command = [
        sys.executable,
        osp.join(osp.dirname(__file__), 'demo.py'),
        video,
        '--queries',
        args.queries,
        '--short-side',
        str(args.short_side),
        '--out',
        osp.join(args.work_dir, 'demo_out'),
        '--overwrite',
    ]
    if args.config:
        command += ['--config', args.config]
    if args.checkpoint:
        command += ['--checkpoint', args.checkpoint]
    if args.trust_pickle:
        command.append(TRUST_FLAG)
    print('Running:', ' '.join(command), flush=True)
    start = time.time()
    result = subprocess.run(command)
    seconds = time.time() - start
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / KIB_PER_GB
    if result.returncode != 0:
        sys.exit(f'The demo failed (exit status {result.returncode})')
    verdict = 'within' if peak_gb < TARGET_GB else 'OVER'
    print(
        f'{args.frames} frames {args.width}x{args.height}, {args.queries}, encoder short side '
        f'{args.short_side}: {seconds:.0f} s ({args.frames / seconds:.2f} frames/s), '
        f'peak RSS {peak_gb:.2f} GB, {verdict} the {TARGET_GB:g} GB target'
    )


if __name__ == '__main__':
    main()
