"""Inference cost of the propagation modes, measured side by side in one process.

Workload (TAP-Vid-DAVIS sized, generated): a 256x256 video of 50 frames with
100 query points, encoded once by the ResNet-18 of
``configs/eval/res18_d1_eval.py`` (stride-2 features, 128x128x256); trackers
whose propagation uses the 'local', 'coarse_to_fine' and 'dense' matchers
(``LocalMatcher``, ``CoarseToFineMatcher``, ``DenseMatcher``) then track the
points on those same features with precede_frames 5, top-k 10 and
neighbourhood 30, through ``PointTracker.track``. For each
mode it prints seconds, frames per second, peak memory (CPU: growth of the
process's resident set over the features already held; CUDA: max allocated)
and <delta^x_avg against the generated ground truth, then the ratios against
dense. It also measures how peak memory grows with the number of grid
positions (three input sizes) and times ``local_correlation`` against
``local_correlation_fast``. The last line is one JSON object with the
ratios. Example (about 10 minutes on 2 CPU cores, most of it dense)::

    python tools/benchmark.py
"""

import argparse
import contextlib
import ctypes
import gc
import json
import re
import subprocess
import sys
import time
from dataclasses import replace
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine import Config
from torch._C._profiler import _ExperimentalConfig
from torch.profiler import ProfilerActivity, profile

from fgvc.apis import Predictor
from fgvc.cli.options import add_cfg_options, add_trust_flag
from fgvc.datasets.synthetic import generate_video
from fgvc.datasets.synthetic.presets import VIDEO_SCENE, sized_scene
from fgvc.datasets.transforms.queries import sample_queries_first
from fgvc.evaluation.functional import compute_tapvid_metrics
from fgvc.fileio.video_reader import open_video
from fgvc.models.ops import local_correlation, local_correlation_fast
from fgvc.models.trackers.base import ENCODE
from fgvc.propagation.engine import MATCH, MERGE, READOUT
from fgvc.propagation.workers import JOB, WAIT
from fgvc.registry import MODELS
from fgvc.utils import load_encoder_weights, register_all_modules

EVAL_CONFIG = 'configs/eval/res18_d1_eval.py'
MIB = 2**20
ORDER = ('local', 'coarse_to_fine', 'dense')  # dense last: it leaves the most freed memory
WARM_UP_GRID = 32
#: Frame sizes (h, w) of the many-query-frames and VOS workloads.
SPREAD_HW = (96, 128)
VOS_HW = (240, 432)
WORKLOAD = dict(precede_frames=5, topk=10)  # TAP-Vid settings
#: Profiler labels of the stages, and the operators that are matrix products.
STAGES = dict(encode=ENCODE, match=MATCH, merge=MERGE, readout=READOUT)
MATRIX_PRODUCTS = {'aten::mm', 'aten::bmm', 'aten::baddbmm', 'aten::addmm', 'aten::matmul'}
#: The matcher of each mode (TAP-Vid neighbourhood 30).
MATCHERS = dict(
    local=dict(type='LocalMatcher', neighbor_range=30),
    coarse_to_fine=dict(type='CoarseToFineMatcher'),
    dense=dict(type='DenseMatcher', neighbor_range=30),
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=256, help='input height and width')
    parser.add_argument('--frames', type=int, default=50)
    parser.add_argument('--points', type=int, default=100)
    parser.add_argument(
        '--late-queries',
        action='store_true',
        help='query some points after frame 0 (several query groups); '
        'by default every point is queried in frame 0',
    )
    parser.add_argument('--checkpoint', default=None, help='encoder weights (default: untrained)')
    add_trust_flag(parser)
    parser.add_argument('--modes', nargs='+', default=list(ORDER), choices=ORDER)
    parser.add_argument(
        '--scaling-sizes',
        type=int,
        nargs='*',
        default=[128, 192, 256],
        help='input sizes of the memory-growth check (none to skip)',
    )
    parser.add_argument('--scaling-frames', type=int, default=8)
    parser.add_argument(
        '--correlation-radius',
        type=int,
        default=24,
        help='radius of the correlation timing (negative to skip)',
    )
    parser.add_argument(
        '--peak-gflops',
        type=float,
        default=None,
        help="the device's peak fp32 GFLOP/s: correlation times are then "
        'also given against this roofline',
    )
    add_cfg_options(
        parser,
        help="propagation options, and options of one mode's matcher prefixed by the "
        'mode, e.g. topk=5 coarse_to_fine.refine_radius=12 dense.step=4096',
    )
    parser.add_argument(
        '--profile-frames',
        type=int,
        default=8,
        help='frames of the per-stage profile of each mode (0 to skip)',
    )
    parser.add_argument(
        '--predictor-frames',
        type=int,
        default=24,
        help='frames of the end-to-end Predictor workload (0 to skip)',
    )
    parser.add_argument(
        '--spread-frames',
        type=int,
        default=0,
        help='frames of the many-query-frames workload (96x128, --points spread evenly over '
        'the frames against all queried in frame 0, local matcher; 0 to skip)',
    )
    parser.add_argument(
        '--vos-frames',
        type=int,
        default=0,
        help="frames of the VOS workload (240x432, the vos task's 20 memory frames, "
        'full-width encoder; 0 to skip)',
    )
    parser.add_argument(
        '--under-load',
        action='store_true',
        help='run the mode comparison, the profile and the Predictor, spread and VOS workloads '
        'while a second process keeps one core busy',
    )
    parser.add_argument('--device', default='auto', help="'cpu', 'cuda' or 'auto'")
    parser.add_argument(
        '--json', help='also write every measurement (modes, ratios, correlation) to this file'
    )
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


class PeakMemory:
    """Peak memory in MiB used inside a ``with`` block, beyond what was held before it.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the kernel's resident-set
    high-water mark (VmHWM), reset on entry through ``/proc/self/clear_refs``
    after glibc has returned freed memory (``malloc_trim``), so that blocks of
    an earlier measurement do not hide this one's. The resident set includes
    what glibc keeps of freed blocks for reuse (tens of MiB at most).
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.peak_mb = 0.0

    @staticmethod
    def _status(field: str) -> float:
        with open('/proc/self/status') as f:
            return int(re.search(rf'{field}:\s+(\d+) kB', f.read()).group(1)) / 1024

    def __enter__(self) -> 'PeakMemory':
        gc.collect()
        if self.device.type == 'cuda':
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._base = torch.cuda.memory_allocated() / MIB
            return self
        try:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
        except OSError as error:
            raise RuntimeError(
                'CPU peak memory needs Linux with a writable '
                f'/proc/self/clear_refs and glibc: {error}'
            ) from error
        self._base = self._status('VmRSS')
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize()
            self.peak_mb = torch.cuda.max_memory_allocated() / MIB - self._base
        else:
            self.peak_mb = self._status('VmHWM') - self._base


def make_workload(
    size: int, frames: int, points: int, late_queries: bool, seed: int
) -> Dict[str, np.ndarray]:
    """A generated video with TAP-Vid 'first' queries and ground truth, in pixels."""
    scene = sized_scene(VIDEO_SCENE, size, frames, points)
    if not late_queries:
        scene = replace(scene, late_query_fraction=0.0)
    video = generate_video(scene, (seed, size))
    queries = sample_queries_first(video.tracks.occluded, video.tracks.points)
    return dict(video=video.video, **queries)


def encode(model, video: np.ndarray, device: torch.device) -> torch.Tensor:
    """``[T, C, h, w]`` unit-norm features of every frame."""
    frames = model.data_preprocessor.normalize(torch.from_numpy(video))
    return model.extract_features(frames.to(device))


def build_trackers(model_cfg: dict, options: dict, modes: List[str]) -> Dict[str, torch.nn.Module]:
    """A :class:`PointTracker` per mode, each with that mode's matcher.

    ``options`` are propagation options; a key ``MODE.NAME`` sets option
    NAME of that mode's matcher."""
    trackers = {}
    for mode in modes:
        matcher = dict(MATCHERS[mode])
        propagation = dict(WORKLOAD)
        for key, value in options.items():
            prefix, _, name = key.rpartition('.')
            if not prefix:
                propagation[name] = value
            elif prefix == mode:
                matcher[name] = value
        cfg = dict(model_cfg, propagation=dict(propagation, matcher=matcher))
        trackers[mode] = MODELS.build(cfg).eval()
    return trackers


def run_mode(
    tracker: torch.nn.Module,
    features: torch.Tensor,
    work: Dict[str, np.ndarray],
    device: torch.device,
) -> Dict[str, float]:
    """Track the workload's queries with ``tracker``; time, peak memory and accuracy."""
    queries = torch.as_tensor(work['query_points'], dtype=torch.float32, device=device)
    raster_hw = work['video'].shape[1:3]
    with PeakMemory(device) as memory:
        start = time.perf_counter()
        tracks, _ = tracker.track(features, queries, raster_hw)
        if device.type == 'cuda':
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    tracks = tracks.cpu().numpy()
    metrics = compute_tapvid_metrics(
        work['query_points'][None],
        work['occluded'][None],
        work['target_points'][None],
        np.zeros_like(work['occluded'])[None],
        tracks[None],
        query_mode='first',
    )
    return dict(
        seconds=seconds,
        fps=features.shape[0] / seconds,
        peak_mb=memory.peak_mb,
        delta=100 * float(metrics['average_pts_within_thresh'].mean()),
    )


def warm_up(
    features: torch.Tensor,
    work: Dict[str, np.ndarray],
    trackers: Dict[str, torch.nn.Module],
    device: torch.device,
) -> None:
    """Run every mode once on three frames of a smaller grid, so that no
    measurement pays for first-use costs (library code paged in, thread pools)."""
    short = dict(work, occluded=work['occluded'][:, :3], target_points=work['target_points'][:, :3])
    corner = features[:3, :, :WARM_UP_GRID, :WARM_UP_GRID]
    for tracker in trackers.values():
        run_mode(tracker, corner, short, device)


def print_mode(mode: str, r: Dict[str, float]) -> None:
    print(
        f'{mode:16s}{r["seconds"]:10.2f}{r["fps"]:10.2f}{r["peak_mb"]:10.1f}{r["delta"]:9.2f}',
        flush=True,
    )


def ratios(results: Dict[str, Dict[str, float]]) -> Dict[str, float]:
    """Speed-up and memory ratio (dense / mode) and |delta difference| in points."""
    out = {}
    dense = results.get('dense')
    for mode, prefix in (('local', 'local'), ('coarse_to_fine', 'c2f')):
        if dense is None or mode not in results:
            continue
        r = results[mode]
        out[f'{prefix}_speedup'] = round(dense['seconds'] / r['seconds'], 2)
        out[f'{prefix}_memory_ratio'] = round(dense['peak_mb'] / max(r['peak_mb'], 1e-3), 2)
        out[f'{prefix}_delta_diff'] = round(abs(r['delta'] - dense['delta']), 3)
    return out


def memory_scaling(
    model,
    trackers: Dict[str, torch.nn.Module],
    sizes: List[int],
    args: argparse.Namespace,
    device: torch.device,
) -> None:
    """Peak memory of local and dense propagation at several grid sizes."""
    print(
        f'\nPeak memory against grid positions ({args.scaling_frames} frames, '
        f'{args.points} points; MiB, and MiB per 1,000 positions):'
    )
    print(f'{"input":>8s}{"positions":>11s}{"local":>9s}{"/1k":>7s}{"dense":>9s}{"/1k":>7s}')
    rows = []
    for size in sizes:
        work = make_workload(size, args.scaling_frames, args.points, False, args.seed)
        features = encode(model, work['video'], device)
        positions = features.shape[-2] * features.shape[-1]
        local = run_mode(trackers['local'], features, work, device)['peak_mb']
        dense = run_mode(trackers['dense'], features, work, device)['peak_mb']
        rows.append((positions, local, dense))
        print(
            f'{size:8d}{positions:11d}{local:9.1f}{1e3 * local / positions:7.2f}'
            f'{dense:9.1f}{1e3 * dense / positions:7.2f}',
            flush=True,
        )
    # Linear growth (a + b n) keeps the increment per position constant from
    # size to size; quadratic growth makes it grow with n.
    for (n0, l0, d0), (n1, l1, d1) in zip(rows, rows[1:]):
        print(
            f'{n0:>6d} -> {n1:<6d} positions: MiB per 1,000 more positions: '
            f'local {1e3 * (l1 - l0) / (n1 - n0):6.2f}, dense {1e3 * (d1 - d0) / (n1 - n0):7.2f}'
        )


def best_time(
    fn: Callable[[], torch.Tensor], repeats: int, device: torch.device
) -> Tuple[float, torch.Tensor]:
    """Fastest wall time of ``repeats`` calls of ``fn`` and its last output."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times), out


def correlation_timing(
    radius: int, device: torch.device, seed: int, peak_gflops: Optional[float]
) -> Dict[str, Dict[str, float]]:
    """Reference and fast local correlation at 1x256x128x128: forward, and
    forward + backward (3x the FLOPs), with GFLOP/s, the fraction of the
    roofline ``peak_gflops`` if given, and the largest difference. Returns
    them per pass ('forward', 'forward_backward')."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randn(1, 256, 128, 128, generator=gen).to(device) for _ in range(2)]
    gflop = 2 * 256 * (2 * radius + 1) ** 2 * 128 * 128 / 1e9
    print(f'\nlocal_correlation at 1x256x128x128, radius {radius} ({gflop:.1f} GFLOP forward):')
    results = {}
    for backward in (False, True):

        def call(fn: Callable, backward: bool = backward) -> Callable[[], torch.Tensor]:
            def run() -> torch.Tensor:
                feats = [x.clone().requires_grad_(backward) for x in inputs]
                with torch.set_grad_enabled(backward):
                    out = fn(*feats, radius)
                    if backward:
                        out.backward(torch.ones_like(out))
                        return torch.cat([f.grad.flatten() for f in feats])
                return out

            return run

        flops = gflop * (3 if backward else 1)
        ref_s, ref = best_time(call(local_correlation), 2, device)
        fast_s, fast = best_time(call(local_correlation_fast), 3, device)
        name = 'forward + backward' if backward else 'forward'
        print(
            f'  {name:19s} reference {ref_s:7.3f} s {flops / ref_s:7.1f} GFLOP/s | fast '
            f'{fast_s:7.3f} s {flops / fast_s:7.1f} GFLOP/s | x{ref_s / fast_s:.2f}, max abs '
            f'difference {(ref - fast).abs().max().item():.1e}'
        )
        results['forward_backward' if backward else 'forward'] = result = dict(
            reference_seconds=ref_s,
            fast_seconds=fast_s,
            reference_gflops=flops / ref_s,
            fast_gflops=flops / fast_s,
            max_abs_difference=(ref - fast).abs().max().item(),
        )
        if peak_gflops:
            print(
                f'  {"":19s} roofline {flops / peak_gflops:.4f} s: reference at '
                f'{flops / ref_s / peak_gflops:.1%}, fast at {flops / fast_s / peak_gflops:.1%}'
            )
            result.update(
                reference_peak_fraction=flops / ref_s / peak_gflops,
                fast_peak_fraction=flops / fast_s / peak_gflops,
            )
    return results


def stage_seconds(run: Callable[[], object]) -> Dict[str, float]:
    """Run ``run`` under the profiler (every thread): seconds in each labelled
    stage (the calling thread's), and the share of the time threads spend
    matching that goes to matrix products.

    Matching time is counted per thread: the calling thread's matching stage
    less its waits for worker threads, plus the workers' jobs."""
    config = _ExperimentalConfig(profile_all_threads=True)
    with profile(activities=[ProfilerActivity.CPU], experimental_config=config) as prof:
        run()
    events = prof.events()
    main = {e.thread for e in events if e.name in STAGES.values()}  # the calling thread

    def total(name: str, in_main: bool) -> float:
        chosen = (e for e in events if e.name == name and (e.thread in main) == in_main)
        return sum(e.cpu_time_total for e in chosen) / 1e6

    out = {stage: total(label, True) for stage, label in STAGES.items()}
    matching = out['match'] - total(WAIT, True) + total(JOB, False)
    products = sum(e.self_cpu_time_total for e in events if e.name in MATRIX_PRODUCTS) / 1e6
    out['products'] = products / max(matching, 1e-9)
    return out


def stage_profile(
    model, trackers: Dict[str, torch.nn.Module], work: Dict[str, np.ndarray], frames: int, device
) -> None:
    """Per-stage seconds per frame of each mode on the workload's first ``frames``
    frames, and the fraction of matching time spent in matrix products."""
    short = dict(
        work,
        video=work['video'][:frames],
        occluded=work['occluded'][:, :frames],
        target_points=work['target_points'][:, :frames],
    )
    features = []
    encode_s = stage_seconds(lambda: features.append(encode(model, short['video'], device)))
    print(
        f'\nPer-stage profile ({frames} frames; seconds per frame; encode '
        f'{encode_s["encode"] / frames:.3f}):'
    )
    print(f'{"mode":16s}{"match":>9s}{"merge":>9s}{"readout":>9s}{"products":>10s}')
    for mode, tracker in trackers.items():
        r = stage_seconds(lambda t=tracker: run_mode(t, features[0], short, device))
        print(
            f'{mode:16s}{r["match"] / frames:9.3f}{r["merge"] / frames:9.3f}'
            f'{r["readout"] / frames:9.3f}{r["products"]:10.1%}',
            flush=True,
        )


def generated_frames(height: int, width: int, frames: int, points: int, seed: int) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` frames of a generated ``width`` x ``height`` video."""
    scene = replace(
        sized_scene(VIDEO_SCENE, height, frames, points), width=width, late_query_fraction=0.0
    )
    return generate_video(scene, (seed, height)).video


def benchmark_predictor(args: argparse.Namespace, device: torch.device, short_side: int):
    """The Predictor of the end-to-end workloads (``--checkpoint``, or untrained)."""
    return Predictor(
        checkpoint=args.checkpoint,
        device=str(device),
        warn_untrained=False,
        short_side=short_side,
        trust_checkpoint=args.trust_checkpoint,
    )


@contextlib.contextmanager
def timed_encoding(model) -> Iterator[List[float]]:
    """Seconds of each call of ``model.encode`` inside the block, timed
    without the profiler (whose per-operator cost would be charged to the
    many small operators of propagation)."""
    seconds: List[float] = []
    plain, own = model.encode, 'encode' in vars(model)

    def encode(frames: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        out = plain(frames)
        seconds.append(time.perf_counter() - start)
        return out

    model.encode = encode
    try:
        yield seconds
    finally:
        if own:
            model.encode = plain
        else:
            del model.encode


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


def predictor_workload(args: argparse.Namespace, device: torch.device) -> Dict[str, float]:
    """The Predictor on a generated 854x480 video, 100 points in frame 0, short
    side 256, the full-width encoder: seconds per frame of encoding and of
    propagation (everything else the call does)."""
    video = generated_frames(480, 854, args.predictor_frames, args.points, args.seed)
    rng = np.random.default_rng(args.seed)
    queries = np.stack(
        [np.zeros(args.points), rng.uniform(0, 854, args.points), rng.uniform(0, 480, args.points)],
        1,
    )
    predictor = benchmark_predictor(args, device, short_side=256)
    model = predictor.model(predictor.point_task)
    result = encoding_and_the_rest(model, lambda frames: predictor(frames, queries), video)
    print(
        f'\nPredictor, {len(video)} frames of 854x480 (encoder input '
        f'{predictor.encoder_size(open_video(video))}), {args.points} points: encode '
        f'{result["encode"]:.3f} s/frame, propagation {result["propagation"]:.3f} s/frame '
        f'({result["propagation"] / result["encode"]:.2f}x encoding), {result["total"]:.1f} s '
        'in all',
        flush=True,
    )
    return result


def spread_workload(
    model, mode: str, tracker: torch.nn.Module, args: argparse.Namespace, device: torch.device
) -> Dict[str, float]:
    """Seconds to track ``args.points`` points through a generated
    ``SPREAD_HW`` video of ``args.spread_frames`` frames, queried evenly over
    its frames and all in frame 0 (forward tracking, same positions), and the
    ratio."""
    height, width = SPREAD_HW
    video = generated_frames(height, width, args.spread_frames, args.points, args.seed)
    features = encode(model, video, device)
    rng = np.random.default_rng(args.seed)
    yx = rng.uniform((0, 0), (height, width), (args.points, 2))
    spread = np.floor(np.arange(args.points) * args.spread_frames / args.points)
    seconds = {}
    for name, frames in (('frame 0', np.zeros(args.points)), ('spread', spread)):
        queries = torch.as_tensor(np.column_stack([frames, yx]), dtype=torch.float32)
        start = time.perf_counter()
        tracker.track(features, queries.to(device), (height, width))
        seconds[name] = time.perf_counter() - start
    groups = len(np.unique(spread))
    print(
        f'\n{mode}, {args.points} points in {args.spread_frames} frames of {width}x{height}: all in '
        f'frame 0 {seconds["frame 0"]:.1f} s, spread over {groups} query frames '
        f'{seconds["spread"]:.1f} s ({seconds["spread"] / seconds["frame 0"]:.2f}x)',
        flush=True,
    )
    return seconds


def vos_workload(args: argparse.Namespace, device: torch.device) -> Dict[str, float]:
    """Seconds per frame of encoding and of propagation of a first-frame mask
    through a generated ``VOS_HW`` sequence with the vos task's settings and
    the full-width encoder (``Predictor.segment``)."""
    height, width = VOS_HW
    video = generated_frames(height, width, args.vos_frames, 1, args.seed)
    first = np.zeros((height, width), np.uint8)
    first[height // 4 : 3 * height // 4, width // 4 : width // 2] = 1
    predictor = benchmark_predictor(args, device, short_side=height)
    model = predictor.model(predictor.mask_task)
    result = encoding_and_the_rest(model, lambda frames: predictor.segment(frames, first), video)
    print(
        f'\nVOS, {len(video)} frames of {width}x{height}, {model.propagation.precede_frames} '
        f'memory frames: encode {result["encode"]:.3f} s/frame, propagation '
        f'{result["propagation"]:.3f} s/frame ({result["propagation"] / result["encode"]:.2f}x '
        f'encoding), {result["total"]:.1f} s in all',
        flush=True,
    )
    return result


@contextlib.contextmanager
def busy_core(enabled: bool) -> Iterator[None]:
    """A second process spinning on one core while the block runs."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    device = torch.device(
        ('cuda' if torch.cuda.is_available() else 'cpu') if args.device == 'auto' else args.device
    )
    torch.manual_seed(args.seed)
    register_all_modules()
    model_cfg = Config.fromfile(EVAL_CONFIG).model
    model = MODELS.build(model_cfg).to(device).eval()
    if args.checkpoint:
        load_encoder_weights(model, args.checkpoint, trust=args.trust_checkpoint)
    scaling = len(args.scaling_sizes) >= 2
    modes = [m for m in ORDER if m in args.modes or (scaling and m in ('local', 'dense'))]
    trackers = build_trackers(model_cfg, args.cfg_options, modes)

    work = make_workload(args.size, args.frames, args.points, args.late_queries, args.seed)
    start = time.perf_counter()
    features = encode(model, work['video'], device)
    groups = len(np.unique(np.round(work['query_points'][:, 0])))
    print(
        f'{device.type}, {torch.get_num_threads()} threads: {args.frames} frames of '
        f'{args.size}x{args.size}, {len(work["query_points"])} queries in {groups} query '
        f'frame(s), features {tuple(features.shape)} encoded in '
        f'{time.perf_counter() - start:.1f} s\n{trackers[modes[0]].propagation}',
        flush=True,
    )
    warm_up(features, work, trackers, device)
    load = ' (a second process keeps one core busy)' if args.under_load else ''
    print(f'{"mode":16s}{"seconds":>10s}{"frames/s":>10s}{"peak MiB":>10s}{"<d_avg":>9s}{load}')
    results = {}
    with busy_core(args.under_load):
        for mode in (m for m in ORDER if m in args.modes):
            results[mode] = run_mode(trackers[mode], features, work, device)
            print_mode(mode, results[mode])
        summary = ratios(results)
        for key, value in summary.items():
            print(f'  {key}: {value}')
        del features
        if args.profile_frames > 0:
            chosen = {m: trackers[m] for m in ORDER if m in args.modes}
            stage_profile(model, chosen, work, min(args.profile_frames, args.frames), device)
        if args.predictor_frames > 0:
            predictor_workload(args, device)
        if args.spread_frames > 0:
            spread_workload(model, modes[0], trackers[modes[0]], args, device)
        if args.vos_frames > 0:
            vos_workload(args, device)
    if scaling:
        memory_scaling(model, trackers, args.scaling_sizes, args, device)
    correlation = None
    if args.correlation_radius >= 0:
        correlation = correlation_timing(
            args.correlation_radius, device, args.seed, args.peak_gflops
        )
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(
                    device=str(device),
                    workload=dict(size=args.size, frames=args.frames, points=args.points),
                    modes=results,
                    ratios=summary,
                    correlation=correlation,
                ),
                f,
                indent=2,
            )
    print(json.dumps(summary))


if __name__ == '__main__':
    main()
