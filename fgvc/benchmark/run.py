"""Inference cost of the propagation matchers, measured side by side in one process.

The workload (generated, TAP-Vid-like): a ``size`` x ``size`` video of
``frames`` frames with ``points`` query points, encoded once by the ResNet-18
of ``configs/eval/res18_d1_eval.py`` (stride-2 features, 256 channels);
trackers whose propagation uses the 'local', 'coarse_to_fine' and 'dense'
matchers then track the points on those same features with precede_frames 5,
top-k 10 and neighbourhood 30, through ``PointTracker.track``. For each mode:
seconds, frames per second, peak memory (CPU: growth of the process's
resident set over the features already held; CUDA: max allocated) and
<delta^x_avg against the generated ground truth, then the ratios against
dense; then a per-stage profile and the opt-in workloads of
:class:`BenchmarkOptions`. The last line printed is one JSON object with the
ratios.
"""

import json
import time
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmengine import Config

from fgvc.apis.predictor import DEFAULT_CONFIG as EVAL_CONFIG
from fgvc.apis.predictor import resolve_device
from fgvc.apis.weights import UNTRAINED, Weights, encoder_type_of, resolve_weights
from fgvc.registry import MODELS
from fgvc.utils import apply_overrides, register_all_modules

from .correlation import correlation_timing
from .end_to_end import predictor_workload, vos_workload
from .matchers import (
    MATCHERS,
    build_trackers,
    encode,
    make_workload,
    memory_scaling,
    print_mode,
    ratios,
    run_mode,
    spread_workload,
    warm_up,
)
from .memory import busy_core
from .options import ORDER, SCALING_MODES, BenchmarkOptions, check_options
from .profiling import stage_profile


def _encoder(options: BenchmarkOptions, device: torch.device) -> Tuple[torch.nn.Module, Weights]:
    """The evaluation config's model, its encoder untrained or loaded from
    ``options.checkpoint`` at the width and depth its stored config sets,
    and the weights."""
    cfg = Config.fromfile(EVAL_CONFIG)
    weights = resolve_weights(
        options.checkpoint or UNTRAINED, options.trust_pickle, encoder_type_of(cfg)
    )
    apply_overrides(cfg, weights.options)
    model = MODELS.build(cfg.model).to(device).eval()
    if weights.checkpoint is not None:
        weights.checkpoint.load_into(model)
    return model, weights


def compare_matchers(model, trackers, work, options: BenchmarkOptions, device) -> Dict:
    """The modes side by side on the workload's features: results and ratios."""
    start = time.perf_counter()
    features = encode(model, work['video'], device)
    groups = len(np.unique(np.round(work['query_points'][:, 0])))
    first = next(iter(trackers.values()))
    print(
        f'{device.type}, {torch.get_num_threads()} threads: {options.frames} frames of '
        f'{options.size}x{options.size}, {len(work["query_points"])} queries in {groups} query '
        f'frame(s), features {tuple(features.shape)} encoded in '
        f'{time.perf_counter() - start:.1f} s\n{first.propagation}',
        flush=True,
    )
    warm_up(features, work, trackers, device)
    load = ' (a second process keeps one core busy)' if options.under_load else ''
    print(f'{"mode":16s}{"seconds":>10s}{"frames/s":>10s}{"peak MiB":>10s}{"<d_avg":>9s}{load}')
    results = {}
    for mode in (m for m in ORDER if m in options.modes):
        results[mode] = run_mode(trackers[mode], features, work, device)
        print_mode(mode, results[mode])
    summary = ratios(results)
    for key, value in summary.items():
        print(f'  {key}: {value}')
    return dict(features=list(features.shape), query_frames=groups, modes=results, ratios=summary)


def run_benchmark(options: Optional[BenchmarkOptions] = None) -> Dict:
    """Run what ``options`` asks (default: the matcher comparison and its
    per-stage profile), print it, and return every measurement."""
    options = options or BenchmarkOptions()
    register_all_modules()
    check_options(options, MATCHERS)
    device = resolve_device(options.device, '--device')
    torch.manual_seed(options.seed)
    model, weights = _encoder(options, device)
    scaling = len(options.scaling_sizes) >= 2
    modes = [m for m in ORDER if m in options.modes or (scaling and m in SCALING_MODES)]
    trackers = build_trackers(Config.fromfile(EVAL_CONFIG).model, options.cfg_options, modes)
    work = make_workload(
        options.size, options.frames, options.points, options.late_queries, options.seed
    )
    out = dict(device=str(device), workload=dict(size=options.size, frames=options.frames))
    out['workload'].update(points=options.points, seed=options.seed)
    out['weights'] = weights.description
    out['settings'] = {mode: str(tracker.propagation) for mode, tracker in trackers.items()}
    with busy_core(options.under_load):
        out.update(compare_matchers(model, trackers, work, options, device))
        if options.profile_frames > 0:
            chosen = {m: trackers[m] for m in ORDER if m in options.modes}
            frames = min(options.profile_frames, options.frames)
            out['profile'] = stage_profile(model, chosen, work, frames, device)
        if options.predictor_frames > 0:
            out['predictor'] = predictor_workload(options, device)
        if options.spread_frames > 0:
            out['spread'] = spread_workload(model, modes[0], trackers[modes[0]], options, device)
        if options.vos_frames > 0:
            out['vos'] = vos_workload(options, device)
    if scaling:
        out['scaling'] = memory_scaling(model, trackers, options, device)
    if options.correlation_radius >= 0:
        out['correlation'] = correlation_timing(
            options.correlation_radius, device, options.seed, options.peak_gflops
        )
    if options.json:
        with open(options.json, 'w') as f:
            json.dump(out, f, indent=2)
    print(json.dumps(out['ratios']))
    return out
