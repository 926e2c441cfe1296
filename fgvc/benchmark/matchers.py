"""The matchers side by side on the same features: time, peak memory and
<delta^x_avg, then the ratios against dense; peak memory against grid size;
many query frames against one."""

import time
from dataclasses import replace
from typing import Dict, List

import numpy as np
import torch

from fgvc.datasets.synthetic import generate_video
from fgvc.datasets.synthetic.presets import VIDEO_SCENE, sized_scene
from fgvc.datasets.transforms.queries import sample_queries_first
from fgvc.evaluation.functional import compute_tapvid_metrics
from fgvc.propagation import ExactMemory
from fgvc.registry import MEMORIES, MODELS

from .memory import PeakMemory
from .options import BenchmarkOptions

WARM_UP_GRID = 32
#: Frame size (h, w) of the many-query-frames workload.
SPREAD_HW = (96, 128)
WORKLOAD = dict(precede_frames=5, topk=10)  # TAP-Vid settings
#: The matcher of each mode (TAP-Vid neighbourhood 30).
MATCHERS = dict(
    local=dict(type='LocalMatcher', neighbor_range=30),
    coarse_to_fine=dict(type='CoarseToFineMatcher'),
    dense=dict(type='DenseMatcher', neighbor_range=30),
)


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


def generated_frames(height: int, width: int, frames: int, points: int, seed: int) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` frames of a generated ``width`` x ``height`` video."""
    scene = replace(
        sized_scene(VIDEO_SCENE, height, frames, points), width=width, late_query_fraction=0.0
    )
    return generate_video(scene, (seed, height)).video


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


def first_frames(work: Dict[str, np.ndarray], frames: int) -> Dict[str, np.ndarray]:
    """The workload cut to its first ``frames`` frames."""
    return dict(
        work,
        video=work['video'][:frames],
        occluded=work['occluded'][:, :frames],
        target_points=work['target_points'][:, :frames],
    )


def warm_up(
    features: torch.Tensor,
    work: Dict[str, np.ndarray],
    trackers: Dict[str, torch.nn.Module],
    device: torch.device,
) -> None:
    """Run every mode once on three frames of a smaller grid, so that no
    measurement pays for first-use costs (library code paged in, thread pools)."""
    corner = features[:3, :, :WARM_UP_GRID, :WARM_UP_GRID]
    for tracker in trackers.values():
        run_mode(tracker, corner, first_frames(work, 3), device)


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
    options: BenchmarkOptions,
    device: torch.device,
) -> List[Dict[str, float]]:
    """Peak memory (MiB) of local and dense propagation at several grid sizes."""
    print(
        f'\nPeak memory against grid positions ({options.scaling_frames} frames, '
        f'{options.points} points; MiB, and MiB per 1,000 positions):'
    )
    print(f'{"input":>8s}{"positions":>11s}{"local":>9s}{"/1k":>7s}{"dense":>9s}{"/1k":>7s}')
    rows = []
    for size in options.scaling_sizes:
        work = make_workload(size, options.scaling_frames, options.points, False, options.seed)
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
    return [
        dict(size=size, positions=n, local_mb=local, dense_mb=dense)
        for size, (n, local, dense) in zip(options.scaling_sizes, rows)
    ]


def spread_workload(
    model, mode: str, tracker: torch.nn.Module, options: BenchmarkOptions, device: torch.device
) -> Dict[str, float]:
    """Seconds to track ``options.points`` points through a generated
    ``SPREAD_HW`` video of ``options.spread_frames`` frames, all queried in
    frame 0 (exact) and queried evenly over its frames (under the memory
    policy ``options.memory``, exact if None), forward from the same
    positions, and the ratio."""
    height, width = SPREAD_HW
    frames, points = options.spread_frames, options.points
    video = generated_frames(height, width, frames, points, options.seed)
    features = encode(model, video, device)
    rng = np.random.default_rng(options.seed)
    yx = rng.uniform((0, 0), (height, width), (points, 2))
    spread = np.floor(np.arange(points) * frames / points)
    memory = MEMORIES.build(options.memory) if options.memory else ExactMemory()
    seconds = {}
    for name, query_frames, policy in (
        ('frame 0', np.zeros(points), ExactMemory()),
        ('spread', spread, memory),
    ):
        queries = torch.as_tensor(np.column_stack([query_frames, yx]), dtype=torch.float32)
        start = time.perf_counter()
        tracker.track(features, queries.to(device), (height, width), memory=policy)
        seconds[name] = time.perf_counter() - start
    groups = len(np.unique(spread))
    print(
        f'\n{mode}, {points} points in {frames} frames of {width}x{height}: all in frame 0 '
        f'{seconds["frame 0"]:.1f} s, spread over {groups} query frames '
        f'{seconds["spread"]:.1f} s ({seconds["spread"] / seconds["frame 0"]:.2f}x, {memory})',
        flush=True,
    )
    return dict(seconds, ratio=seconds['spread'] / seconds['frame 0'], memory=repr(memory))
