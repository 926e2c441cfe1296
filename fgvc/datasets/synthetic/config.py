"""Configuration dataclasses of the synthetic scene model.

Every number that shapes a synthetic video lives in one of these frozen
dataclasses; the presets in :mod:`fgvc.datasets.synthetic.presets` fill them.
Lengths are in pixels of the rendered frame, times in frames, angles in
radians.
"""

from dataclasses import dataclass, field
from typing import Tuple


@dataclass(frozen=True)
class TextureConfig:
    """Procedural texture distribution.

    Attributes:
        styles: texture styles to draw from ('noise', 'stripes', 'blobs',
            'gradient').
        weights: probability of each style (same order as ``styles``).
        feature_size: (smallest, largest) feature size in pixels; value-noise
            octaves, stripe periods and blob radii are drawn in this range.
        detail: amplitude (grey levels) of a fine value-noise layer added to
            every texture so that no region is flat.
        saturation: 0 = grey, 1 = random colours as drawn, > 1 more vivid.
        colour_cast: per-channel (R, G, B) gain applied to every texture.
    """

    styles: Tuple[str, ...] = ('noise', 'stripes', 'blobs', 'gradient')
    weights: Tuple[float, ...] = (0.4, 0.2, 0.25, 0.15)
    feature_size: Tuple[float, float] = (3.0, 24.0)
    detail: float = 24.0
    saturation: float = 1.0
    colour_cast: Tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class MotionConfig:
    """Smooth random affine motion of one layer.

    Attributes:
        speed: (min, max) mean translation speed in pixels per frame.
        rotation_speed: max mean angular speed in radians per frame.
        scale_speed: max mean rate of change of log-scale per frame.
        wobble: amplitude of the smooth non-linear part of the translation
            (pixels), rotation (radians) and log-scale, as a fraction of what
            the mean speed accumulates over the video.
        wobble_cycles: (min, max) number of oscillation cycles per video.
        wobble_terms: number of random sinusoids summed for the wobble.
    """

    speed: Tuple[float, float] = (0.5, 3.0)
    rotation_speed: float = 0.02
    scale_speed: float = 0.01
    wobble: float = 0.3
    wobble_cycles: Tuple[float, float] = (0.3, 1.5)
    wobble_terms: int = 3


@dataclass(frozen=True)
class PhotometricConfig:
    """Global appearance change over time, applied after compositing.

    Attributes:
        brightness: max amplitude (grey levels) of a smooth additive offset.
        contrast: max amplitude of a smooth relative contrast change.
        blur_sigma: (min, max) Gaussian blur sigma in pixels; 0 disables.
    """

    brightness: float = 0.0
    contrast: float = 0.0
    blur_sigma: Tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class SceneConfig:
    """One distribution of synthetic videos.

    Attributes:
        height, width, num_frames: video size.
        num_layers: (min, max) number of foreground layers (background excluded).
        layer_size: (min, max) layer diameter as a fraction of min(height, width).
        polygon_prob: probability that a layer mask is a random polygon
            (otherwise an ellipse).
        polygon_vertices: (min, max) vertex count of polygon masks.
        texture: texture distribution of all layers.
        motion: motion distribution of foreground layers.
        background_motion: motion distribution of the background.
        photometric: global brightness / contrast / blur changes.
        num_points: ground-truth tracks per video.
        late_query_fraction: fraction of tracks whose first visible frame is
            later than frame 0.
        foreground_point_fraction: fraction of tracks sampled on foreground
            layers (the rest uniformly over visible pixels).
    """

    height: int = 64
    width: int = 64
    num_frames: int = 10
    num_layers: Tuple[int, int] = (2, 4)
    layer_size: Tuple[float, float] = (0.25, 0.6)
    polygon_prob: float = 0.5
    polygon_vertices: Tuple[int, int] = (3, 8)
    texture: TextureConfig = field(default_factory=TextureConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)
    background_motion: MotionConfig = field(
        default_factory=lambda: MotionConfig(
            speed=(0.0, 1.0), rotation_speed=0.005, scale_speed=0.003
        )
    )
    photometric: PhotometricConfig = field(default_factory=PhotometricConfig)
    num_points: int = 32
    late_query_fraction: float = 0.2
    foreground_point_fraction: float = 0.5
