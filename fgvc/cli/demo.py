"""Track points, or propagate a mask, through your own video.

    python tools/demo.py VIDEO [--checkpoint CKPT|zoo:NAME|none] [--queries grid:N | ...]
                               [--mask first_mask.png] [--out DIR]
    python tools/demo.py VIDEO VIDEO ... | VIDEO_FOLDER | LIST.txt [--out ROOT] [--resume]

VIDEO is a video file (mp4, avi, mov, gif, ...) or a folder of frames. Points
are (t, x, y): frame index, then pixels from the top-left corner of the
frame (the top-left pixel's centre is (0.5, 0.5)). Outputs go to DIR
(default work_dirs/demo/<video name>), which appears only once complete:

* points: tracks.npz (tracks [T, N, 2], visibility [T, N], queries [N, 3]),
  tracks.csv (frame, point, x, y, visible) and tracks.mp4;
* mask: masks/<video name>/%05d.png (DAVIS palette PNGs) and overlay.mp4.

``--overwrite`` replaces only a folder an earlier run of this tool wrote.
Without ``--checkpoint`` the model shipped with the package is used (the
console names it with its sha256 prefix); ``--checkpoint none`` gives the
untrained encoder (seeded: untrained runs repeat). The checkpoint is loaded
safely; ``--trust-pickle`` allows one that may run code (see
docs/security.md).

Several videos, a folder of videos or a text file listing them (one a line)
are processed one after the other into ROOT/<video name> (default
work_dirs/demo; ``-2``, ``-3`` for repeated names, and an input keeps the
folder an earlier run made from it), with ROOT/summary.csv (video, frames,
points, seconds, status); a video that fails is reported and the others go
on, and the exit code is 1 if any failed. --resume skips videos whose output
folder is complete and made from the same bytes.

Every option is checked before any video is read; an option the run would
ignore (e.g. --radius with --mask) is an error. File names need not be UTF-8.
"""

import argparse
import math
import os.path as osp
import sys
import time
from typing import Dict, List

from fgvc.apis import Predictor
from fgvc.apis.predictor import check_short_side
from fgvc.apis.queries import parse_queries, queries_in_video
from fgvc.apis.weights import names_no_file
from fgvc.fileio import read_index_png, shown
from fgvc.fileio.video_reader import open_video
from fgvc.outputs.batch import FAILED, expand_videos, is_batch, process_videos, video_name
from fgvc.outputs.files import (
    DEFAULT_ALPHA,
    DEFAULT_RADIUS,
    DEFAULT_TRAIL,
    source_record,
    staged_output_dir,
    track_into,
    write_mask_outputs,
)

from .options import (
    add_adaptation_args,
    add_checkpoint_arg,
    add_predictor_args,
    announce_weights,
    check_adaptation_args,
    check_distinct_paths,
    one_line_errors,
    predictor_from_args,
)

DEFAULT_QUERIES = 'grid:8'
#: The options naming the output folder and its replacement, for its errors.
OUTPUT_OPTIONS = dict(out_name='--out', overwrite_name='--overwrite')
DEFAULT_OUT_ROOT = osp.join('work_dirs', 'demo')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track points or propagate a mask through your own video',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        'videos',
        nargs='+',
        metavar='VIDEO',
        help='video file (mp4, avi, mov, gif, ...) or folder of frames; several, a folder of '
        'videos or a .txt list of them: batch mode',
    )
    add_checkpoint_arg(parser)
    parser.add_argument(
        '--queries',
        help=f'grid:N (N x N points at frame 0), a CSV file of t,x,y rows, or '
        f'"t,x,y;t,x,y" (pixels, top-left pixel centre at 0.5,0.5); default {DEFAULT_QUERIES}',
    )
    parser.add_argument(
        '--mask',
        help='first-frame mask PNG (object ids, or grey 0/255): '
        'propagate it instead of tracking points',
    )
    parser.add_argument(
        '--out',
        help=f'output folder (default {DEFAULT_OUT_ROOT}/<video name>); batch mode: the folder '
        f'of the per-video folders and summary.csv (default {DEFAULT_OUT_ROOT})',
    )
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing --out, if an earlier run of this tool wrote it',
    )
    parser.add_argument(
        '--resume', action='store_true', help='batch mode: skip videos whose output is complete'
    )
    add_predictor_args(parser)
    add_adaptation_args(parser, "this video's", config_default=True)
    parser.add_argument(
        '--save-adapted',
        help='write the adapted encoder (a checkpoint) there (a --mask run, or --adapt)',
    )
    parser.add_argument(
        '--fps', type=float, help="frame rate (> 0) of the output video (default: the input's)"
    )
    parser.add_argument(
        '--trail',
        type=int,
        help=f'points: frames (>= 0) of fading trail behind each point (default {DEFAULT_TRAIL})',
    )
    parser.add_argument(
        '--radius', type=int, help=f'points: point radius (>= 1), pixels (default {DEFAULT_RADIUS})'
    )
    parser.add_argument(
        '--alpha', type=float, help=f'--mask: mask opacity in [0, 1] (default {DEFAULT_ALPHA})'
    )
    return parser.parse_args(argv)


def check_drawing_args(args: argparse.Namespace) -> None:
    """What a point or mask run draws: options of the other kind refused,
    defaults set, ranges checked."""
    if args.mask:
        drawn = [o for o in ('queries', 'trail', 'radius') if getattr(args, o) is not None]
        if drawn:
            raise ValueError(f'--{drawn[0]} applies to point tracking, not to a --mask run')
    elif args.alpha is not None:
        raise ValueError('--alpha applies to --mask runs (the mask overlay) only')
    args.queries = DEFAULT_QUERIES if args.queries is None else args.queries
    args.trail = DEFAULT_TRAIL if args.trail is None else args.trail
    args.radius = DEFAULT_RADIUS if args.radius is None else args.radius
    args.alpha = DEFAULT_ALPHA if args.alpha is None else args.alpha
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise ValueError(f'--fps must be a frame rate > 0, got {args.fps:g}')
    if args.radius < 1:
        raise ValueError(f'--radius must be at least 1 pixel, got {args.radius}')
    if args.trail < 0:
        raise ValueError(f'--trail must be >= 0 frames, got {args.trail}')
    if not 0 <= args.alpha <= 1:
        raise ValueError(f'--alpha must be in [0, 1], got {args.alpha:g}')


def check_args(args: argparse.Namespace, batch: bool) -> None:
    """Every option, before any video is read: ranges, options the run
    would ignore, outputs that would replace an input. Sets the defaults of
    options left out; ``ValueError`` names the first problem."""
    check_adaptation_args(args)  # the count named as the flag, before work
    check_short_side(args.short_side, '--short-side')
    check_drawing_args(args)
    if args.resume and not batch:
        raise ValueError('--resume applies to several videos (batch mode); one video was given')
    # Without --adapt a --mask run adapts (the config's default steps) unless
    # the encoder is ONNX; a points run does not.
    adapts = args.adapt if args.adapt is not None else bool(args.mask and not args.encoder_onnx)
    if args.save_adapted and not adapts:
        raise ValueError(
            '--save-adapted needs --adapt STEPS (> 0), or a --mask run (adapted by default): nothing is adapted'
        )
    if getattr(args, 'adapt_seed_given', False) and not adapts:
        raise ValueError(
            '--adapt-seed is used only with --adapt STEPS (> 0), or a --mask run (adapted by default)'
        )
    if args.encoder_onnx and args.adapt:
        raise ValueError('--adapt fine-tunes the PyTorch encoder, which --encoder-onnx replaces')
    inputs = {f'VIDEO {v}': v for v in args.videos}
    inputs.update(
        {
            '--mask': args.mask,
            '--config': args.config,
            '--encoder-onnx': args.encoder_onnx,
            '--queries': args.queries if osp.isfile(args.queries) else None,
            '--checkpoint': None if names_no_file(args.checkpoint) else args.checkpoint,
        }
    )
    check_distinct_paths({'--out': args.out, '--save-adapted': args.save_adapted}, inputs)


def build_predictor(args: argparse.Namespace) -> Predictor:
    predictor = predictor_from_args(
        args,
        progress=True,
        adapt_steps=args.adapt,
        adapt_seed=args.adapt_seed,
        save_adapted=args.save_adapted,
    )
    announce_weights(predictor)
    return predictor


def run(args: argparse.Namespace, predictor: Predictor) -> Dict[str, int]:
    """Process the video ``args.video`` into ``args.out``; returns its
    ``frames`` and ``points`` (0 for a mask)."""
    reader = open_video(args.video)
    name = video_name(args.video)
    out_dir = args.out or osp.join(DEFAULT_OUT_ROOT, name)
    fps = args.fps or reader.fps
    source = source_record(args.video)
    input_h, input_w = predictor.encoder_size(reader)
    steps = predictor.adapt_steps_for('masks' if args.mask else 'points')
    adapted = f'; adapted to it for {steps} steps first (--adapt 0 skips)' if steps else ''
    print(
        f'{shown(reader.name)}: {len(reader)} frames, {reader.width}x{reader.height}, '
        f'{reader.fps:g} fps; encoder input {input_w}x{input_h} on {predictor.device}{adapted}'
    )
    start = time.time()
    if args.mask:
        masks = predictor.iter_segment(reader, read_index_png(args.mask))
        with staged_output_dir(out_dir, args.overwrite, source, **OUTPUT_OPTIONS) as staging:
            count = write_mask_outputs(staging, reader, masks, name, fps, args.alpha, progress=True)
        outputs = [
            f'masks/{name}/%05d.png  {count} DAVIS palette PNGs (object ids)',
            'overlay.mp4          masks over the frames',
        ]
        what = f'propagated the mask of {shown(args.mask)}'
        points = 0
    else:
        queries = queries_in_video(args.queries, reader)
        with staged_output_dir(out_dir, args.overwrite, source, **OUTPUT_OPTIONS) as staging:
            _, visibility = track_into(
                staging, predictor, reader, queries, fps, args.radius, args.trail, progress=True
            )
        outputs = [
            'tracks.npz  tracks [T, N, 2] (x, y), visibility [T, N], queries [N, 3]',
            'tracks.csv  frame, point, x, y, visible',
            'tracks.mp4  points and trails over the frames',
        ]
        what = f'tracked {len(queries)} points ({visibility.mean():.0%} visible)'
        points = len(queries)
    seconds = time.time() - start
    print(
        f'Done: {what} through {len(reader)} frames in {seconds:.1f} s '
        f'({len(reader) / seconds:.2f} frames/s).'
    )
    print(f'Outputs in {shown(osp.abspath(out_dir))}:')
    for line in outputs:
        print(f'  {line}')
    return dict(frames=len(reader), points=points)


def run_batch(args: argparse.Namespace, videos: List[str], predictor: Predictor) -> bool:
    """Process each video into its own folder under ``args.out``; True if none failed."""

    def process(video: str, out_dir: str) -> Dict[str, int]:
        return run(argparse.Namespace(**dict(vars(args), video=video, out=out_dir)), predictor)

    results = process_videos(videos, args.out or DEFAULT_OUT_ROOT, process, args.resume)
    return not any(r.status.startswith(FAILED) for r in results)


def demo(args: argparse.Namespace) -> None:
    batch = is_batch(args.videos)
    check_args(args, batch)
    if not args.mask and not batch:
        parse_queries(args.queries, 1, 1)  # the spec's syntax, before any work
    predictor = build_predictor(args)
    if batch:
        if not run_batch(args, expand_videos(args.videos), predictor):
            sys.exit(1)
    else:
        run(argparse.Namespace(**dict(vars(args), video=args.videos[0])), predictor)


def main(argv=None) -> None:
    args = parse_args(argv)
    with one_line_errors():
        demo(args)


if __name__ == '__main__':
    main()
