"""Encoders on real clips, with and without test-time adaptation, beside classical references.

``tools/eval_real.py --encoder NAME=CKPT ... [--davis DIR] [--badja DIR] [--jhmdb DIR]``

* VOS J&F on the DAVIS sequences of ``--split`` (default ``dev``: never trained on):
  the first mask propagated through each sequence;
* PCK on BADJA (PCK@0.2, sqrt of mask area) and JHMDB (PCK@0.1) clips: each
  joint queried at its first visible frame and tracked;

for every encoder (``none`` is the untrained encoder), the same encoder adapted
to each clip with ``--adapt STEPS`` (never reading its labels), and two
references computed on the same clips: ``static`` (the first mask or the query
position kept) and ``dis`` (OpenCV DIS optical flow chained frame to frame:
masks warped, points moved by the flow). Prints one table, the adaptation's
cost (seconds per step, peak resident memory) and one JSON line.
"""

import argparse
import json
import os.path as osp
import resource
import sys
import time
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np
from tqdm import tqdm

from fgvc.apis import Predictor
from fgvc.apis.cli import add_adaptation_args, add_cfg_options
from fgvc.apis.predictor import DEFAULT_CONFIG
from fgvc.apis.weights import names_no_file
from fgvc.datasets.real_video import build_index
from fgvc.datasets.video_reader import ArrayVideo
from fgvc.evaluation.functional import badja_normaliser, jhmdb_normaliser, pck
from fgvc.evaluation.metrics.vos_metric import sequence_scores
from fgvc.fileio import VOID, read_index_png, read_video
from fgvc.registry import DATASETS
from fgvc.utils import register_all_modules

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--encoder',
        action='append',
        default=[],
        metavar='NAME=CKPT',
        help="an encoder to evaluate (CKPT 'none': untrained, 'zoo:NAME' or 'default': a "
        'shipped model); repeatable',
    )
    parser.add_argument('--davis', help='DAVIS-layout root (JPEGImages/<res>/, Annotations/<res>/)')
    parser.add_argument('--split', default='dev', help='DAVIS ImageSets list (default dev)')
    parser.add_argument(
        '--badja', help='BADJA root (DAVIS frames beside it, as in the eval config)'
    )
    parser.add_argument('--jhmdb', help='JHMDB root with its list file')
    add_adaptation_args(parser, "each clip's")
    parser.add_argument('--short-side', type=int, default=120, help='encoder input short side')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    add_cfg_options(parser, 'model.backbone.base_channels=16 (every encoder)')
    parser.add_argument('--no-references', action='store_true', help='skip static and dis')
    parser.add_argument('--out', help='also write the JSON line to this file')
    return parser.parse_args(argv)


def parse_encoders(specs: List[str]) -> Dict[str, Optional[str]]:
    encoders = {}
    for spec in specs:
        name, sep, path = spec.partition('=')
        if not sep or not name or not path:
            raise ValueError(f'--encoder takes NAME=CKPT (CKPT may be none), got {spec!r}')
        if not names_no_file(path) and not osp.exists(path):
            raise FileNotFoundError(f'Checkpoint of encoder {name!r} not found: {path}')
        encoders[name] = None if path.lower() == 'none' else path
    return encoders


# --- the classical references --------------------------------------------------------


def dis_flows(frames: np.ndarray) -> List[np.ndarray]:
    """Flow from each frame t to t + 1 (``[H, W, 2]`` (dx, dy))."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    return [dis.calc(a, b, None) for a, b in zip(grey[:-1], grey[1:])]


def dis_masks(frames: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The first mask warped frame to frame by DIS flow (nearest labels)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    height, width = first.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    masks = [first]
    for t in range(1, len(frames)):
        back = dis.calc(grey[t], grey[t - 1], None)  # frame t -> t - 1
        masks.append(cv2.remap(masks[-1], xs + back[..., 0], ys + back[..., 1], cv2.INTER_NEAREST))
    return np.stack(masks)


def dis_points(frames: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``[T, N, 2]``: each query (t, x, y) moved forward (and backward) by DIS flow."""
    forward = dis_flows(frames)
    backward = dis_flows(frames[::-1])[::-1]  # backward[t]: frame t + 1 -> t
    tracks = np.zeros((len(frames), len(queries), 2), np.float32)
    for i, (t0, x, y) in enumerate(queries):
        t0 = int(round(t0))
        tracks[t0, i] = (x, y)
        for t in range(t0 + 1, len(frames)):
            tracks[t, i] = tracks[t - 1, i] + sample_flow(forward[t - 1], tracks[t - 1, i])
        for t in range(t0 - 1, -1, -1):
            tracks[t, i] = tracks[t + 1, i] + sample_flow(backward[t], tracks[t + 1, i])
    return tracks


def sample_flow(flow: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Flow at a continuous position (pixel i covers [i, i + 1)), bilinear,
    clamped to the frame."""
    height, width = flow.shape[:2]
    x = float(np.clip(point[0] - 0.5, 0, width - 1))
    y = float(np.clip(point[1] - 0.5, 0, height - 1))
    x0, y0 = min(int(x), width - 2), min(int(y), height - 2)
    wx, wy = x - x0, y - y0
    patch = flow[y0 : y0 + 2, x0 : x0 + 2]
    return (
        patch[0, 0] * (1 - wx) * (1 - wy)
        + patch[0, 1] * wx * (1 - wy)
        + patch[1, 0] * (1 - wx) * wy
        + patch[1, 1] * wx * wy
    )


def static_points(frames: np.ndarray, queries: np.ndarray) -> np.ndarray:
    return np.repeat(queries[None, :, 1:], len(frames), axis=0).astype(np.float32)


def static_masks(frames: np.ndarray, first: np.ndarray) -> np.ndarray:
    return np.repeat(first[None], len(frames), axis=0)


# --- the clips -------------------------------------------------------------------------


def davis_clips(root: str, split: str) -> List[dict]:
    """Frames, ground-truth ids (255 void) and object count of each listed sequence."""
    index = build_index(root, split=split)
    if index['layout'] != 'davis':
        raise ValueError(f'{root} is not a DAVIS layout (JPEGImages/<res>/<seq>/)')
    clips = []
    for video in index['videos']:
        frames = read_video(video['frames'])
        masks = []
        for path in video['frames']:
            folder, name = osp.split(
                path.replace(f'{osp.sep}JPEGImages{osp.sep}', f'{osp.sep}Annotations{osp.sep}')
            )
            masks.append(read_index_png(osp.join(folder, osp.splitext(name)[0] + '.png')))
        gt = np.stack(masks)
        if set(np.unique(gt).tolist()) <= {0, 255}:  # DAVIS-2016: one object, 0/255
            gt = (gt == 255).astype(np.uint8)
        objects = int(np.where(gt == VOID, 0, gt).max())
        clips.append(dict(name=video['video'], frames=frames, gt=gt, objects=objects))
    return clips


def keypoint_clips(cfg_path: str, task: str, root: str) -> List[dict]:
    """Frames, queries (t, x, y), targets [T, n, 2], scored [T, n] and normaliser [T]."""
    from mmengine.config import Config

    spec = Config.fromfile(cfg_path).tasks[task].dataset
    spec.data_root = root
    spec.pipeline = [dict(type='SampleKeypointQueries')]
    dataset = DATASETS.build(spec)
    clips = []
    for i in range(len(dataset)):
        item = dataset[i]
        queries = item['query_points'][:, [0, 2, 1]]  # (t, y, x) -> (t, x, y)
        height, width = item['video'].shape[1:3]
        # joints annotated outside the frame cannot be queried
        inside = (queries[:, 1] >= 0) & (queries[:, 1] <= width)
        inside &= (queries[:, 2] >= 0) & (queries[:, 2] <= height)
        queries = queries[inside]
        targets = item['target_points'][inside].transpose(1, 0, 2)
        item['occluded'] = item['occluded'][inside]
        frames_t = np.arange(len(item['video']))[:, None]
        scored = (~item['occluded']).T & (frames_t > queries[None, :, 0])
        if task == 'badja':
            norm = badja_normaliser(item['mask_areas'])
        else:
            norm = jhmdb_normaliser(targets)
        clips.append(
            dict(
                name=item.get('video_name', str(i)),
                frames=item['video'],
                queries=queries,
                targets=targets,
                scored=scored,
                norm=norm,
            )
        )
    return clips


# --- scoring ---------------------------------------------------------------------------


def vos_score(clips: List[dict], segment: Method, name: str) -> float:
    """Mean J&F over sequences and objects."""
    scores = []
    for clip in tqdm(clips, desc=f'{name}: davis', unit='video', leave=False):
        first = np.where(clip['gt'][0] == VOID, 0, clip['gt'][0]).astype(np.uint8)
        pred = segment(clip['frames'], first)
        for obj in sequence_scores(clip['gt'], pred, clip['objects'], 0.008).values():
            scores.append((obj['J-Mean'] + obj['F-Mean']) / 2)
    return float(np.mean(scores))


def pck_score(clips: List[dict], track: Method, alpha: float, average: str, desc: str) -> float:
    values = []
    for clip in tqdm(clips, desc=desc, unit='clip', leave=False):
        pred = track(clip['frames'], clip['queries'])
        values.append(pck(pred, clip['targets'], alpha, clip['norm'], clip['scored'], average))
    return float(np.mean(values))


def predictor_methods(predictor: Predictor):
    def track(frames, queries):
        return predictor(frames, queries)[0]

    def segment(frames, first):
        return predictor.segment(frames, first)

    return track, segment


BENCHMARKS = ('davis_jf', 'badja_pck@0.2', 'jhmdb_pck@0.1')


def evaluate(methods: Dict[str, tuple], data: Dict[str, list]) -> Dict[str, Dict[str, float]]:
    results = {}
    for name, (track, segment) in methods.items():
        row = {}
        if 'davis' in data:
            row['davis_jf'] = vos_score(data['davis'], segment, name)
        if 'badja' in data:
            row['badja_pck@0.2'] = pck_score(data['badja'], track, 0.2, 'all', f'{name}: badja')
        if 'jhmdb' in data:
            row['jhmdb_pck@0.1'] = pck_score(data['jhmdb'], track, 0.1, 'joint', f'{name}: jhmdb')
        results[name] = row
        print(f'{name}: ' + ', '.join(f'{k} {v:.4f}' for k, v in row.items()), flush=True)
    return results


def adaptation_cost(predictor: Predictor, clip: dict) -> Dict[str, float]:
    """Seconds per adaptation step on one clip and the process's peak resident memory."""
    reader = ArrayVideo(clip['frames'])
    start = time.time()
    predictor.model_for(predictor.point_task, reader, predictor.encoder_size(reader))
    return dict(
        seconds_per_step=(time.time() - start) / predictor.adapt_steps,
        peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        frame_size=list(clip['frames'].shape[1:3]),
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        register_all_modules()
        encoders = parse_encoders(args.encoder)
        if args.adapt < 0:
            raise ValueError(f'--adapt needs a step count >= 0, got {args.adapt}')
        data = {}
        if args.davis:
            data['davis'] = davis_clips(args.davis, args.split)
        if args.badja:
            data['badja'] = keypoint_clips(args.config, 'badja', args.badja)
        if args.jhmdb:
            data['jhmdb'] = keypoint_clips(args.config, 'jhmdb', args.jhmdb)
        if not data:
            raise ValueError('Nothing to evaluate: give --davis, --badja and/or --jhmdb')
    except (ValueError, FileNotFoundError, KeyError) as err:
        sys.exit(f'error: {err}')

    methods = {}
    cost = None
    for name, checkpoint in encoders.items():
        common = dict(
            config=args.config,
            checkpoint=checkpoint,
            short_side=args.short_side,
            cfg_options=args.cfg_options,
            warn_untrained=False,
        )
        methods[name] = predictor_methods(Predictor(**common))
        if args.adapt:
            adapted = Predictor(**common, adapt_steps=args.adapt, adapt_seed=args.adapt_seed)
            methods[f'{name} + adapt {args.adapt}'] = predictor_methods(adapted)
            if cost is None:
                cost = adaptation_cost(adapted, next(iter(data.values()))[0])
    if not args.no_references:
        methods['static'] = (static_points, static_masks)
        methods['dis'] = (dis_points, dis_masks)
    results = evaluate(methods, data)

    columns = [b for b in BENCHMARKS if any(b in row for row in results.values())]
    width = max(len(n) for n in results)
    print(f'{"method":<{width}}  ' + '  '.join(f'{c:>14}' for c in columns))
    for name, row in results.items():
        print(
            f'{name:<{width}}  ' + '  '.join(f'{row.get(c, float("nan")):>14.4f}' for c in columns)
        )
    if cost:
        print(
            f'adaptation: {cost["seconds_per_step"]:.2f} s/step, peak resident memory '
            f'{cost["peak_rss_gb"]:.2f} GB (frames {cost["frame_size"][1]}x{cost["frame_size"][0]})'
        )
    line = json.dumps(dict(results=results, adaptation_cost=cost, short_side=args.short_side))
    print(line)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(line + '\n')


if __name__ == '__main__':
    main()
