"""Generate every synthetic dataset of a preset into one output folder.

Each output format has a writer ``(out_dir, preset, seed) -> None``; video i
of a format is drawn with the seed sequence (seed, format stream id, i), so
formats are independent of each other and of which subset is generated.
"""

import os
import time
import zlib
from dataclasses import replace
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from .config import SceneConfig
from .keypoints import actor_layer, layer_keypoints
from .presets import DatasetPreset
from .scene import Scene, make_scene, render
from .video import SyntheticVideo, generate_video, seed_rng
from .writers import badja, davis, flyingthings, jhmdb, tapvid, youtube_vos

Writer = Callable[[str, DatasetPreset, int], None]

TAPVID_DAVIS_PATH = os.path.join('TAP-Vid', 'tapvid_davis', 'tapvid_davis.pkl')
TAPVID_KINETICS_DIR = os.path.join('TAP-Vid', 'tapvid_kinetics')
FLYINGTHINGS_DIR = 'FlyingThings3D'
YOUTUBE_VOS_DIR = 'YouTube-VOS'
DAVIS_DIR = 'DAVIS'
DAVIS2016_DIR = 'DAVIS2016'
JHMDB_DIR = 'JHMDB'
JHMDB_LIST = 'val_list.txt'
JHMDB_CLASSES = ('catch', 'clap', 'run', 'wave')
BADJA_DIR = 'BADJA'


def stream_id(name: str) -> int:
    """Stable integer id of a format name, used in the seed sequence."""
    return zlib.crc32(name.encode())


def generate_videos(cfg: SceneConfig, seed: int, count: int, stream: str) -> List[SyntheticVideo]:
    """``count`` videos of ``cfg`` drawn with seeds (seed, stream_id(stream), i)."""
    sid = stream_id(stream)
    return [generate_video(cfg, (seed, sid, i)) for i in range(count)]


def generate_tapvid_videos(
    cfg: SceneConfig, seed: int, count: int, stream: str = 'tapvid_davis'
) -> Dict[str, Dict]:
    """TAP-Vid DAVIS-format dict ``{name: {'video', 'points', 'occluded'}}``."""
    videos = generate_videos(cfg, seed, count, stream)
    return {f'synth{i:04d}': v.tapvid() for i, v in enumerate(videos)}


def write_tapvid_davis(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    entries = generate_tapvid_videos(preset.video_scene, seed, preset.tapvid_davis)
    tapvid.write_tapvid_pickle(entries, os.path.join(out_dir, TAPVID_DAVIS_PATH))


def write_tapvid_kinetics(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    entries = generate_tapvid_videos(
        preset.video_scene, seed, preset.tapvid_kinetics, stream='tapvid_kinetics'
    )
    items = [tapvid.kinetics_entry(e, f'kinetics_{name}') for name, e in entries.items()]
    tapvid.write_kinetics_shards(
        items, os.path.join(out_dir, TAPVID_KINETICS_DIR), preset.kinetics_shards
    )


def rendered_scenes(
    cfg: SceneConfig, seed: int, count: int, stream: str
) -> Iterator[Tuple[Scene, np.ndarray, np.ndarray, np.random.Generator]]:
    """(scene, frames, layer ids, rng) of ``count`` scenes, without tracks."""
    sid = stream_id(stream)
    for i in range(count):
        rng = seed_rng((seed, sid, i))
        scene = make_scene(cfg, rng)
        frames, ids = render(scene)
        yield scene, frames, ids, rng


def write_flyingthings(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    root = os.path.join(out_dir, FLYINGTHINGS_DIR)
    scenes = rendered_scenes(preset.flow_scene, seed, preset.flyingthings, 'flyingthings')
    for i, (scene, frames, ids, _) in enumerate(scenes):
        flyingthings.write_sequence(root, i, scene, frames, ids)


def write_youtube_vos(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    root = os.path.join(out_dir, YOUTUBE_VOS_DIR)
    scenes = rendered_scenes(preset.video_scene, seed, preset.youtube_vos, 'youtube_vos')
    videos = {}
    for i, (_, frames, _, _) in enumerate(scenes):
        name = f'synth{i:05d}'
        videos[name] = youtube_vos.write_video(root, name, frames)
    youtube_vos.write_list(root, videos)


def write_davis(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    root = os.path.join(out_dir, DAVIS_DIR)
    names = []
    for i, (_, frames, ids, _) in enumerate(
        rendered_scenes(preset.video_scene, seed, preset.davis, 'davis')
    ):
        names.append(f'synth-{i:03d}')
        davis.write_davis2017_sequence(root, names[-1], frames, ids)
    davis.write_davis2017_list(root, names)


def write_jhmdb(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    root = os.path.join(out_dir, JHMDB_DIR)
    lines = []
    for i, (scene, frames, _, rng) in enumerate(
        rendered_scenes(preset.video_scene, seed, preset.jhmdb, 'jhmdb')
    ):
        points, _ = layer_keypoints(scene, actor_layer(scene), jhmdb.NUM_JOINTS, rng)
        cls = JHMDB_CLASSES[i % len(JHMDB_CLASSES)]
        lines.append(jhmdb.write_video(root, cls, f'synth_{cls}_{i:03d}', frames, points))
    jhmdb.write_list(root, JHMDB_LIST, lines)


def write_badja(out_dir: str, preset: DatasetPreset, seed: int) -> None:
    """BADJA joints plus DAVIS-2016 frames and masks, mirroring the sample data."""
    full_w, full_h = badja.FULL_RESOLUTION
    cfg = preset.video_scene
    cfg = replace(cfg, width=int(round(cfg.height * full_w / full_h)))
    davis_root = os.path.join(out_dir, DAVIS2016_DIR)
    names, lengths = [], []
    for i, (scene, frames, ids, rng) in enumerate(
        rendered_scenes(cfg, seed, preset.badja, 'badja')
    ):
        seq = f'synth-animal-{i:03d}'
        actor = actor_layer(scene)
        points, occluded = layer_keypoints(scene, actor, len(badja.USED_JOINTS), rng)
        davis.write_davis2016_sequence(davis_root, seq, frames, ids == actor)
        badja.write_annotations(
            os.path.join(out_dir, BADJA_DIR),
            seq,
            badja.annotations(seq, points, occluded, cfg.height, cfg.width),
        )
        names.append(seq)
        lengths.append(len(frames))
    davis.write_davis2016_list(davis_root, names, lengths)


WRITERS: Dict[str, Writer] = {
    'tapvid_davis': write_tapvid_davis,
    'tapvid_kinetics': write_tapvid_kinetics,
    'flyingthings': write_flyingthings,
    'youtube_vos': write_youtube_vos,
    'davis': write_davis,
    'jhmdb': write_jhmdb,
    'badja': write_badja,
}


def generate_datasets(
    out_dir: str, preset: DatasetPreset, seed: int = 0, formats: Optional[Iterable[str]] = None
) -> Dict[str, float]:
    """Write the chosen formats (default all) under ``out_dir``; returns seconds per format."""
    names = list(WRITERS) if formats is None else list(formats)
    unknown = sorted(set(names) - set(WRITERS))
    if unknown:
        raise KeyError(f'unknown synthetic formats {unknown}; known: {list(WRITERS)}')
    timings = {}
    for name in names:
        start = time.perf_counter()
        WRITERS[name](out_dir, preset, seed)
        timings[name] = time.perf_counter() - start
    return timings
