"""Accuracy of the propagation memory policies against exact propagation.

Every policy tracks the same queries on the same features (each clip is
encoded once), so the table compares policies and nothing else:

- ``tapvid``: TAP-Vid 'strided' queries (a query every ``query_stride``
  frames, tracked both ways) on TAP-Vid videos, e.g. the generated ones of
  ``tools/data/synthetic/generate.py``; <delta^x_avg as tapnet defines it.
- ``jhmdb``, ``badja``: each joint queried at its first visible frame in
  every window of ``query_stride`` frames, tracked forward; <delta^x_avg of
  the visible frames after the query, positions scaled to a 256 x 256 raster
  (TAP-Vid's), so that the thresholds mean what they mean there.
- ``davis``: ``points`` points sampled inside each object's ground-truth
  mask at every ``query_stride``-th frame, tracked forward; the percentage of
  predictions inside that object's mask in the later frames where it is
  present (a point must stay on its object).

Each task uses its own model settings from the evaluation config (the
'davis' TAP-Vid model for the DAVIS masks, at the sequences' own size).
"""

import copy
import math
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine import Config
from tqdm import tqdm

from fgvc.apis.predictor import DEFAULT_CONFIG as EVAL_CONFIG
from fgvc.apis.predictor import untrained_encoder_message
from fgvc.apis.weights import DEFAULT_WEIGHTS, Weights, encoder_type_of, resolve_weights
from fgvc.evaluation.functional import compute_tapvid_metrics
from fgvc.propagation import ExactMemory, KeyframeMemory, MemoryPolicy
from fgvc.registry import DATASETS, MODELS
from fgvc.utils import apply_overrides, register_all_modules

#: Raster the keypoint positions are scaled to before scoring (TAP-Vid's).
SCORED_HW = (256, 256)
#: The evaluation config's task whose model each check uses.
MODEL_TASK = dict(tapvid='davis', jhmdb='jhmdb', badja='badja', davis='davis')
#: The dataset of each check: the config task it comes from and its options.
DATASET_TASK = dict(tapvid='davis', jhmdb='jhmdb', badja='badja', davis='vos')


@dataclass
class AccuracyOptions:
    """What ``tools/memory_accuracy.py`` measures.

    Attributes:
        data: ``{check: data root}`` of the checks to run (keys of
            :data:`MODEL_TASK`); ``davis`` is a DAVIS-2016-layout root.
        policies: (horizon, interval) of each KeyframeMemory compared with
            exact propagation (horizon ``math.inf`` is exact itself).
        checkpoint, trust_checkpoint: encoder weights, by the rule of
            :mod:`fgvc.apis.weights` (default: the shipped model; 'none':
            untrained); a checkpoint's stored config sets the encoder's width.
        query_stride: frames between query frames.
        points: points sampled per object and query frame (``davis``).
        davis_split, davis_resolution: the DAVIS list and frame folder.
        max_videos, max_frames, max_queries: cut the data: clips, frames
            of a clip, TAP-Vid queries of a clip (a seeded random subset;
            None: all of it).
        device: 'auto', 'cpu' or 'cuda'.
        seed: of the sampled points and queries, and of an untrained encoder's weights.
    """

    data: Dict[str, str] = field(default_factory=dict)
    policies: List[Tuple[float, int]] = field(default_factory=lambda: [(15, 5)])
    config: str = EVAL_CONFIG
    checkpoint: Optional[str] = DEFAULT_WEIGHTS
    trust_checkpoint: bool = False
    query_stride: int = 5
    points: int = 10
    davis_split: str = 'dev'
    davis_resolution: str = '240p'
    max_videos: Optional[int] = None
    max_frames: Optional[int] = None
    max_queries: Optional[int] = None
    device: str = 'auto'
    seed: int = 0


def policy_name(policy: MemoryPolicy) -> str:
    if isinstance(policy, KeyframeMemory):
        return f'H={policy.horizon} K={policy.interval}'
    return 'exact'


def _weights(cfg: Config, options: AccuracyOptions) -> Weights:
    """The weights ``options.checkpoint`` names, their encoder's width and
    depth applied to ``cfg``; says which on the console (a warning on stderr
    when the default left the encoder untrained)."""
    weights = resolve_weights(options.checkpoint, options.trust_checkpoint, encoder_type_of(cfg))
    apply_overrides(cfg, weights.options)
    print(f'Weights: {weights.description}', flush=True)
    if weights.fallback:
        print(f'WARNING: {untrained_encoder_message(weights.fallback)}', file=sys.stderr)
    return weights


def _model(cfg: Config, task: str, weights: Weights, device: torch.device):
    cfg = copy.deepcopy(cfg)
    cfg.merge_from_dict(dict(model=cfg.tasks[task].model))
    model = MODELS.build(cfg.model).to(device).eval()
    if weights.checkpoint is not None:
        weights.checkpoint.load_into(model)
    return model


def _dataset(cfg: Config, check: str, root: str, options: AccuracyOptions):
    dataset = copy.deepcopy(dict(cfg.tasks[DATASET_TASK[check]].dataset))
    dataset['data_root'] = root
    if check == 'tapvid':
        dataset['pipeline'] = [
            dict(t, query_mode='strided', query_stride=options.query_stride)
            if t['type'] == 'SampleTapVidQueries'
            else t
            for t in dataset['pipeline']
        ]
    if check == 'davis':
        dataset.update(split=options.davis_split, resolution=options.davis_resolution)
    return DATASETS.build(dataset)


def _clips(dataset, options: AccuracyOptions, check: str) -> Iterator[Tuple[torch.Tensor, dict]]:
    """Each clip's uint8 frames ``[T, H, W, 3]`` and its sample's fields (cut
    to ``max_frames``), with a progress bar named after ``check``."""
    count = len(dataset) if options.max_videos is None else min(options.max_videos, len(dataset))
    for index in tqdm(range(count), desc=check, unit='clip'):
        item = dataset[index]
        frames, sample = item['inputs'], item['data_samples'].to_dict()
        stop = options.max_frames or len(frames)
        sample = {k: _cut(k, v, stop) for k, v in sample.items()}
        yield frames[:stop], sample


def _cut(key: str, value, stop: int):
    """A sample field cut to the first ``stop`` frames (time is axis 1 of
    tracks, axis 0 of masks); queries after ``stop`` are dropped by the callers."""
    if key in ('target_points', 'occluded'):
        return np.asarray(value)[:, :stop]
    if key in ('gt_masks', 'mask_areas'):
        return np.asarray(value)[:stop]
    return value


def features_of(model, frames: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``[T, C, h, w]`` unit-norm features of uint8 frames ``[T, H, W, 3]``."""
    return model.extract_features(model.data_preprocessor.normalize(frames.to(device)))


def queries_at_several_frames(
    occluded: np.ndarray, points: np.ndarray, stride: int
) -> Tuple[np.ndarray, np.ndarray]:
    """Each track queried at its first visible frame in every window of
    ``stride`` frames: queries ``[n, 3]`` (t, y, x) and the track of each ``[n]``."""
    rows, query_points = [], []
    for track, visible in enumerate(~np.asarray(occluded, bool)):
        frames = np.nonzero(visible)[0]
        _, first = np.unique(frames // stride, return_index=True)
        for t in frames[first]:
            x, y = points[track, t]
            rows.append(track)
            query_points.append((t, y, x))
    return np.asarray(query_points, np.float64).reshape(-1, 3), np.asarray(rows, np.int64)


def delta_avg(
    query_points: np.ndarray,
    occluded: np.ndarray,
    target: np.ndarray,
    tracks: np.ndarray,
    query_mode: str,
) -> float:
    """<delta^x_avg (percent) of ``tracks`` ``[n, T, 2]`` against ``target``."""
    metrics = compute_tapvid_metrics(
        query_points[None],
        occluded[None],
        target[None],
        np.zeros_like(occluded)[None],
        tracks[None],
        query_mode=query_mode,
    )
    return 100 * float(metrics['average_pts_within_thresh'].mean())


def _track(model, features, query_points: np.ndarray, raster_hw, policy, backward=False):
    queries = torch.as_tensor(query_points, dtype=torch.float32)
    tracks, _ = model.track(features, queries, tuple(raster_hw), backward, memory=policy)
    return tracks.cpu().numpy()


def tapvid_scores(model, clip, policies, options, device) -> Dict[str, Tuple[float, int]]:
    """<delta^x_avg of TAP-Vid 'strided' queries under each policy, and the query count."""
    frames, sample = clip
    features = features_of(model, frames, device)
    keep = np.nonzero(sample['query_points'][:, 0] < len(frames))[0]
    if options.max_queries is not None and len(keep) > options.max_queries:
        rng = np.random.default_rng(options.seed)
        keep = np.sort(rng.choice(keep, options.max_queries, replace=False))
    queries = sample['query_points'][keep]
    occluded, target = sample['occluded'][keep], sample['target_points'][keep]
    scores = {}
    for name, policy in policies.items():
        tracks = _track(model, features, queries, sample['raster_hw'], policy, backward=True)
        scores[name] = (delta_avg(queries, occluded, target, tracks, 'strided'), len(queries))
    return scores


def keypoint_scores(model, clip, policies, options, device) -> Dict[str, Tuple[float, int]]:
    """<delta^x_avg (in a :data:`SCORED_HW` raster) of joints queried at several frames."""
    frames, sample = clip
    features = features_of(model, frames, device)
    occluded, points = sample['occluded'], sample['target_points']
    queries, rows = queries_at_several_frames(occluded, points, options.query_stride)
    height, width = sample['raster_hw']
    scale_xy = np.array([SCORED_HW[1] / width, SCORED_HW[0] / height])
    scaled_queries = queries * np.array([1, scale_xy[1], scale_xy[0]])
    scores = {}
    for name, policy in policies.items():
        tracks = _track(model, features, queries, sample['raster_hw'], policy)
        scores[name] = (
            delta_avg(
                scaled_queries, occluded[rows], points[rows] * scale_xy, tracks * scale_xy, 'first'
            ),
            len(queries),
        )
    return scores


def mask_points(
    masks: np.ndarray, points: int, stride: int, rng: np.random.Generator
) -> Tuple[np.ndarray, np.ndarray]:
    """Up to ``points`` points (pixel centres) drawn inside each object's mask
    at frames 0, ``stride``, ...: queries ``[n, 3]`` (t, y, x) and their object ids ``[n]``."""
    queries, objects = [], []
    for t in range(0, len(masks), stride):
        for obj in np.unique(masks[t]):
            if obj == 0 or obj == 255:  # background, void
                continue
            ys, xs = np.nonzero(masks[t] == obj)
            pick = rng.choice(len(ys), min(points, len(ys)), replace=False)
            queries += [(t, ys[i] + 0.5, xs[i] + 0.5) for i in pick]
            objects += [obj] * len(pick)
    return np.asarray(queries, np.float64).reshape(-1, 3), np.asarray(objects)


def inside_fraction(
    tracks: np.ndarray, queries: np.ndarray, objects: np.ndarray, masks: np.ndarray
) -> float:
    """Percentage of predictions inside their object's mask, over the frames
    after each query frame where the object is present."""
    num_frames, height, width = masks.shape
    inside = total = 0
    for track, (t0, _, _), obj in zip(tracks, queries, objects):
        for t in range(int(t0) + 1, num_frames):
            if not (masks[t] == obj).any():
                continue
            x = min(max(int(math.floor(track[t, 0])), 0), width - 1)
            y = min(max(int(math.floor(track[t, 1])), 0), height - 1)
            inside += bool(masks[t, y, x] == obj)
            total += 1
    return 100 * inside / max(total, 1)


def davis_scores(model, clip, policies, options, device) -> Dict[str, Tuple[float, int]]:
    """Percentage of points that stay inside their object's mask."""
    frames, sample = clip
    masks = np.asarray(sample['gt_masks'])
    rng = np.random.default_rng(options.seed)
    queries, objects = mask_points(masks, options.points, options.query_stride, rng)
    features = features_of(model, frames, device)
    scores = {}
    for name, policy in policies.items():
        tracks = _track(model, features, queries, masks.shape[1:], policy)
        scores[name] = (inside_fraction(tracks, queries, objects, masks), len(queries))
    return scores


SCORES = dict(
    tapvid=tapvid_scores, jhmdb=keypoint_scores, badja=keypoint_scores, davis=davis_scores
)
#: What each check's number is.
MEASURES = dict(
    tapvid='<delta^x_avg, strided queries',
    jhmdb='<delta^x_avg (256x256), joints at several frames',
    badja='<delta^x_avg (256x256), joints at several frames',
    davis='% of points inside their mask',
)


def _device(name: str) -> torch.device:
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    return torch.device(name)


def memory_policies(specs: Sequence[Tuple[float, int]]) -> Dict[str, MemoryPolicy]:
    """Exact propagation, then a KeyframeMemory for each (horizon, interval)."""
    policies: Dict[str, MemoryPolicy] = {'exact': ExactMemory()}
    for horizon, interval in specs:
        policy = KeyframeMemory(horizon, interval)
        policies[policy_name(policy)] = policy
    return policies


def suited_policies(
    policies: Dict[str, MemoryPolicy], precede_frames: int
) -> Dict[str, MemoryPolicy]:
    """The policies that work with ``precede_frames`` (a horizon beyond it)."""
    suited = {}
    for name, policy in policies.items():
        try:
            policy.check(precede_frames)
        except ValueError:
            continue
        suited[name] = policy
    return suited


def run_accuracy(options: AccuracyOptions) -> Dict[str, Dict[str, float]]:
    """``{check: {policy: score}}`` averaged over the clips (each clip
    weighs the same), printed as a table with each policy's difference from exact."""
    register_all_modules()
    device = _device(options.device)
    cfg = Config.fromfile(options.config)
    weights = _weights(cfg, options)
    torch.manual_seed(options.seed)  # an untrained encoder's weights
    policies = memory_policies(options.policies)
    table = {}
    for check, root in options.data.items():
        if check not in SCORES:
            raise KeyError(f'unknown check {check!r}: choose from {sorted(SCORES)}')
        model = _model(cfg, MODEL_TASK[check], weights, device)
        suited = suited_policies(policies, model.propagation.precede_frames)
        per_clip = [
            SCORES[check](model, clip, suited, options, device)
            for clip in _clips(_dataset(cfg, check, root, options), options, check)
        ]
        table[check] = {
            name: float(np.mean([scores[name][0] for scores in per_clip]))
            if name in suited
            else math.nan
            for name in policies
        }
        table[check]['clips'] = len(per_clip)
        table[check]['queries'] = int(sum(scores['exact'][1] for scores in per_clip))
        print(f'{check}: {table[check]}', flush=True)
    print_table(table, list(policies))
    return table


def print_table(table: Dict[str, Dict[str, float]], names: List[str]) -> None:
    print(f'{"check":8s}{"clips":>6s}{"queries":>9s}' + ''.join(f'{n:>18s}' for n in names))
    for check, row in table.items():
        exact = row['exact']
        cells = [f'{exact:18.2f}'] + [
            f'{row[n]:9.2f} ({row[n] - exact:+5.2f})'.rjust(18) for n in names[1:]
        ]
        print(f'{check:8s}{row["clips"]:6d}{row["queries"]:9d}' + ''.join(cells))
    for check in table:
        print(f'  {check}: {MEASURES[check]}')
    print("  nan: the horizon does not exceed that task's precede_frames")
