"""The Predictor end to end: seconds per frame of encoding and of everything
else a call does (propagation, read-out, resizing)."""

import contextlib
import time
from typing import Callable, Dict, Iterator, List

import numpy as np
import torch

from fgvc.apis import Predictor
from fgvc.fileio.video_reader import open_video

from .matchers import generated_frames
from .options import BenchmarkOptions

#: Frame sizes (h, w) of the end-to-end point and VOS workloads, and the
#: encoder input's short side of the point workload.
PREDICTOR_HW = (480, 854)
PREDICTOR_SHORT_SIDE = 256
VOS_HW = (240, 432)


def benchmark_predictor(options: BenchmarkOptions, device: torch.device, short_side: int):
    """The Predictor of the end-to-end workloads (``checkpoint``, or
    untrained), which times tracking, not test-time adaptation."""
    return Predictor(
        checkpoint=options.checkpoint,
        adapt_steps=0,
        device=str(device),
        warn_untrained=False,
        short_side=short_side,
        trust_checkpoint=options.trust_pickle,
    )


@contextlib.contextmanager
def timed_encoding(model) -> Iterator[List[float]]:
    """Seconds of each encoder call of ``model`` inside the block, timed
    without the profiler (whose per-operator cost would be charged to the
    many small operators of propagation)."""
    seconds: List[float] = []
    plain, previous = model.feature_encoder, model.external_encoder

    def encoder(frames: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        out = plain(frames)
        seconds.append(time.perf_counter() - start)
        return out

    model.use_encoder(encoder)
    try:
        yield seconds
    finally:
        model.use_encoder(previous)


def encoding_and_the_rest(
    model, run: Callable[[np.ndarray], object], video: np.ndarray
) -> Dict[str, float]:
    """Seconds per frame of ``model``'s encoding and of everything else
    ``run(video)`` does (``propagation``), and the ``total`` seconds; after a
    warm-up on ``frames_per_batch`` frames, so that every kernel shape has run."""
    run(video[: model.frames_per_batch])
    with timed_encoding(model) as encode_seconds:
        start = time.perf_counter()
        run(video)
        total = time.perf_counter() - start
    encode = sum(encode_seconds) / len(video)
    return dict(encode=encode, propagation=total / len(video) - encode, total=total)


def predictor_workload(options: BenchmarkOptions, device: torch.device) -> Dict[str, float]:
    """The Predictor on a generated ``PREDICTOR_HW`` video, ``points`` points
    in frame 0, short side ``PREDICTOR_SHORT_SIDE``, the full-width encoder:
    seconds per frame of encoding and of propagation."""
    height, width = PREDICTOR_HW
    frames, points = options.predictor_frames, options.points
    video = generated_frames(height, width, frames, points, options.seed)
    rng = np.random.default_rng(options.seed)
    queries = np.stack(
        [np.zeros(points), rng.uniform(0, width, points), rng.uniform(0, height, points)], 1
    )
    predictor = benchmark_predictor(options, device, PREDICTOR_SHORT_SIDE)
    model = predictor.model(predictor.point_task)
    result = encoding_and_the_rest(model, lambda clip: predictor(clip, queries), video)
    print(
        f'\nPredictor, {len(video)} frames of {width}x{height} (encoder input '
        f'{predictor.encoder_size(open_video(video))}), {points} points: encode '
        f'{result["encode"]:.3f} s/frame, propagation {result["propagation"]:.3f} s/frame '
        f'({result["propagation"] / result["encode"]:.2f}x encoding), {result["total"]:.1f} s '
        'in all',
        flush=True,
    )
    return result


def vos_workload(options: BenchmarkOptions, device: torch.device) -> Dict[str, float]:
    """Seconds per frame of encoding and of propagation of a first-frame mask
    through a generated ``VOS_HW`` sequence with the vos task's settings and
    the full-width encoder (``Predictor.segment``)."""
    height, width = VOS_HW
    video = generated_frames(height, width, options.vos_frames, 1, options.seed)
    first = np.zeros((height, width), np.uint8)
    first[height // 4 : 3 * height // 4, width // 4 : width // 2] = 1
    predictor = benchmark_predictor(options, device, short_side=height)
    model = predictor.model(predictor.mask_task)
    result = encoding_and_the_rest(model, lambda clip: predictor.segment(clip, first), video)
    print(
        f'\nVOS, {len(video)} frames of {width}x{height}, {model.propagation.precede_frames} '
        f'memory frames: encode {result["encode"]:.3f} s/frame, propagation '
        f'{result["propagation"]:.3f} s/frame ({result["propagation"] / result["encode"]:.2f}x '
        f'encoding), {result["total"]:.1f} s in all',
        flush=True,
    )
    return result
