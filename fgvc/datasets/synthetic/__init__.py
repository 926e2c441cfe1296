"""Synthetic layered-scene videos with exact ground truth (numpy + OpenCV only).

Scene model: a textured background and several textured layers (procedural
value noise, stripes, blobs, gradients), each a random polygon or ellipse
moving with a smooth random affine motion, ordered in depth and composited
back to front (bilinear inverse warps). Everything is deterministic by seed.

Conventions
-----------
* Pixel-centre convention: continuous coordinates (x, y) with the origin at
  the image's top-left corner; pixel (row i, col j) has its centre at
  (j + 0.5, i + 0.5). Rendering, tracks and flows all use it.
* ``A_t`` (``scene.layers[k].motion[t]``, [2, 3]) maps layer k's canonical
  (texture) coordinates to frame coordinates at time t.
* Layer ids: 0 = background, larger = nearer the camera.
* Flow (``flow_between(scene, ids, t, s)``): displacement of the surface
  point shown at each pixel of frame t to its position in frame s, from the
  front-most layer's motion. FlyingThings3D ``into_future`` of frame t is
  s = t + 1 (sampling frame t+1 at p + flow reproduces frame t where the
  point stays visible), ``into_past`` is s = t - 1.
* MATLAB (JHMDB ``pos_img``): x_matlab = x + 0.5 (1-based pixels whose
  centres are integers). BADJA joints: (y, x) 0-based pixel indices at
  1920x1080: x_full = x * 1920 / W - 0.5.

Public API
----------
``generate_video(cfg: SceneConfig, seed) -> SyntheticVideo``
    ``.video`` uint8 [T, H, W, 3] RGB, ``.layer_ids`` uint8 [T, H, W],
    ``.tracks.points`` float32 [N, T, 2] (x, y) pixels, ``.tracks.occluded``
    bool [N, T], ``.tracks.query_frames`` [N], ``.tracks.layers`` [N],
    ``.scene``; ``.tapvid()`` -> TAP-Vid entry (points normalised by W, H).
``generate_tapvid_videos(cfg, seed, count) -> {name: entry}``
``write_tapvid_pickle(entries, path)``, ``kinetics_entry(entry, video_id)``,
``write_kinetics_shards(entries, out_dir, num_shards)``
``make_translation_scene(height, width, num_frames, velocity, seed) -> Scene``
    one full-frame texture moving with constant velocity; render it with
    ``render(scene)`` or ``video_from_scene(scene, rng, cfg)`` for tracks.
``make_moving_layer_scene(height, width, offsets, layer_box, seed) -> Scene``
    a static background and one textured rectangle translating by known
    offsets; ``render(scene, start, stop)`` renders a range of frames and
    ``tracks.follow(scene, frames, xy, layers)`` gives exact tracks.
``PRESETS`` / ``get_preset(name)``: 'tiny', 'quickstart', 'full'.
``future_flows(scene, ids)``, ``past_flows(scene, ids)``: [T-1, H, W, 2] float32.
``generate_datasets(out_dir, preset, seed=0, formats=None) -> {format: seconds}``
    formats (``WRITERS``) and what they write under ``out_dir``:

    tapvid_davis     TAP-Vid/tapvid_davis/tapvid_davis.pkl
    tapvid_kinetics  TAP-Vid/tapvid_kinetics/NNNN_of_MMMM.pkl
    flyingthings     FlyingThings3D/frames_cleanpass_webp/TRAIN/A/NNNN/{left,right}/FFFF.webp,
                     FlyingThings3D/optical_flow/TRAIN/A/NNNN/{into_future,into_past}/
                     {left,right}/OpticalFlowInto{Future,Past}_FFFF_{L,R}.pfm (FFFF from 0006)
    youtube_vos      YouTube-VOS/train/JPEGImages/<video>/00000.jpg, 00005.jpg, ...
                     YouTube-VOS/train/youtube2018_train.json
    davis            DAVIS/{JPEGImages,Annotations}/480p/<seq>/%05d.{jpg,png},
                     DAVIS/ImageSets/2017/val.txt
    jhmdb            JHMDB/Rename_Images/<class>/<video>/%05d.png (from 00001),
                     JHMDB/joint_positions/<class>/<video>/joint_positions.mat,
                     JHMDB/val_list.txt
    badja            BADJA/joint_annotations/<seq>.json, plus frames and grey masks in
                     DAVIS2016/{JPEGImages,Annotations}/480p/<seq>/ and
                     DAVIS2016/ImageSets/480p/val.txt (the layout of the sample data)

The flow domain (FlyingThings3D) and the video domain (all other formats)
are drawn from different scene distributions: see :mod:`.presets`.
"""

from .config import MotionConfig, PhotometricConfig, SceneConfig, TextureConfig
from .datasets import WRITERS, generate_datasets, generate_tapvid_videos, generate_videos
from .flow import flow_between, future_flows, past_flows
from .presets import PRESETS, DatasetPreset, get_preset
from .scene import Layer, Scene, make_moving_layer_scene, make_scene, make_translation_scene, render
from .tracks import Tracks, sample_tracks
from .video import SyntheticVideo, generate_video, seed_rng, video_from_scene
from .writers.tapvid import kinetics_entry, write_kinetics_shards, write_tapvid_pickle

__all__ = [
    'MotionConfig',
    'PhotometricConfig',
    'SceneConfig',
    'TextureConfig',
    'WRITERS',
    'generate_datasets',
    'generate_tapvid_videos',
    'generate_videos',
    'flow_between',
    'future_flows',
    'past_flows',
    'PRESETS',
    'DatasetPreset',
    'get_preset',
    'Layer',
    'Scene',
    'make_scene',
    'make_translation_scene',
    'make_moving_layer_scene',
    'render',
    'Tracks',
    'sample_tracks',
    'SyntheticVideo',
    'generate_video',
    'seed_rng',
    'video_from_scene',
    'kinetics_entry',
    'write_kinetics_shards',
    'write_tapvid_pickle',
]
