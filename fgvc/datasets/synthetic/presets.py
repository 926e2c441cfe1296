"""Dataset presets: sizes, counts and the two scene domains.

Two scene distributions exist on purpose, so that a domain gap separates the
labelled synthetic training set from everything else:

* ``flow_scene`` (FlyingThings3D stand-in): busy, high-frequency textures of
  neutral colour, many layers, fast motion, no photometric change.
* ``video_scene`` ("real" domain: YouTube-VOS and the evaluation sets
  TAP-Vid, DAVIS, JHMDB, BADJA): smoother and more saturated textures with a
  warm colour cast, fewer layers, slower motion, slow brightness/contrast
  drift and a slight blur.

Lengths and speeds are given for a 128-pixel frame and scaled with the frame
size.
"""

from dataclasses import dataclass, replace
from typing import Dict

from .config import MotionConfig, PhotometricConfig, SceneConfig, TextureConfig

REFERENCE_SIZE = 128
# The tiny test preset's videos are short: faster motion so that occlusions,
# entries and exits still happen in them.
TINY_SPEED_BOOST = 3.0


@dataclass(frozen=True)
class DatasetPreset:
    """Scene domains and how many sequences each output format gets."""

    name: str
    video_scene: SceneConfig
    flow_scene: SceneConfig
    tapvid_davis: int
    tapvid_kinetics: int
    kinetics_shards: int
    flyingthings: int
    youtube_vos: int
    davis: int
    jhmdb: int
    badja: int


def _scale_motion(m: MotionConfig, k: float) -> MotionConfig:
    return replace(m, speed=(m.speed[0] * k, m.speed[1] * k))


def _scale_texture(t: TextureConfig, k: float) -> TextureConfig:
    return replace(t, feature_size=(t.feature_size[0] * k, t.feature_size[1] * k))


def sized_scene(
    base: SceneConfig, size: int, num_frames: int, num_points: int, speed_boost: float = 1.0
) -> SceneConfig:
    """``base`` at another frame size; ``speed_boost`` speeds up short test videos."""
    k = size / REFERENCE_SIZE
    return replace(
        base,
        height=size,
        width=size,
        num_frames=num_frames,
        num_points=num_points,
        texture=_scale_texture(base.texture, max(k, 1.0)),
        motion=_scale_motion(base.motion, k * speed_boost),
        background_motion=_scale_motion(base.background_motion, k * speed_boost),
    )


FLOW_SCENE = SceneConfig(
    num_layers=(3, 6),
    layer_size=(0.2, 0.55),
    texture=TextureConfig(
        styles=('noise', 'stripes', 'blobs', 'gradient'),
        weights=(0.4, 0.2, 0.3, 0.1),
        feature_size=(2.0, 16.0),
        detail=32.0,
        saturation=0.8,
    ),
    motion=MotionConfig(speed=(0.5, 4.0), rotation_speed=0.03, scale_speed=0.015, wobble=0.4),
    background_motion=MotionConfig(speed=(0.0, 1.5), rotation_speed=0.005, scale_speed=0.004),
)

VIDEO_SCENE = SceneConfig(
    num_layers=(2, 4),
    layer_size=(0.3, 0.6),
    texture=TextureConfig(
        styles=('noise', 'blobs', 'gradient'),
        weights=(0.6, 0.3, 0.1),
        feature_size=(4.0, 40.0),
        detail=40.0,
        saturation=1.5,
        colour_cast=(1.1, 0.95, 0.8),
    ),
    motion=MotionConfig(speed=(0.2, 1.5), rotation_speed=0.01, scale_speed=0.005, wobble=0.3),
    background_motion=MotionConfig(speed=(0.0, 0.5), rotation_speed=0.002, scale_speed=0.002),
    photometric=PhotometricConfig(brightness=8.0, contrast=0.08, blur_sigma=(0.0, 0.5)),
)

PRESETS: Dict[str, DatasetPreset] = {
    'tiny': DatasetPreset(
        'tiny',
        video_scene=sized_scene(VIDEO_SCENE, 64, 10, 16, TINY_SPEED_BOOST),
        flow_scene=sized_scene(FLOW_SCENE, 64, 6, 0, TINY_SPEED_BOOST),
        tapvid_davis=3,
        tapvid_kinetics=4,
        kinetics_shards=2,
        flyingthings=2,
        youtube_vos=2,
        davis=2,
        jhmdb=2,
        badja=1,
    ),
    'quickstart': DatasetPreset(
        'quickstart',
        video_scene=sized_scene(VIDEO_SCENE, 128, 24, 64),
        flow_scene=sized_scene(FLOW_SCENE, 128, 10, 0),
        tapvid_davis=8,
        tapvid_kinetics=8,
        kinetics_shards=2,
        flyingthings=24,
        youtube_vos=12,
        davis=4,
        jhmdb=4,
        badja=2,
    ),
    'full': DatasetPreset(
        'full',
        video_scene=sized_scene(VIDEO_SCENE, 256, 50, 100),
        flow_scene=sized_scene(FLOW_SCENE, 320, 10, 0),
        tapvid_davis=30,
        tapvid_kinetics=100,
        kinetics_shards=10,
        flyingthings=200,
        youtube_vos=300,
        davis=30,
        jhmdb=30,
        badja=5,
    ),
}


def get_preset(name: str) -> DatasetPreset:
    """The preset called ``name``; raises KeyError listing the known ones."""
    if name not in PRESETS:
        raise KeyError(f'unknown synthetic preset {name!r}; known: {sorted(PRESETS)}')
    return PRESETS[name]
