"""Layered scene model and its renderer.

A :class:`Scene` is a stack of textured layers ordered back to front; layer 0
is the background, which covers the whole frame at every time. Each layer has
a canonical texture, a binary mask in the same canonical coordinates and an
affine trajectory (see :mod:`.motion`). Rendering inverse-warps each layer
into the frame (bilinear) and composites back to front: a frame pixel belongs
to the front-most layer whose warped mask is >= 0.5 at the pixel centre, and
takes that layer's warped texture colour. Coordinates follow the pixel-centre
convention of :mod:`.geometry` (pixel i's centre is at i + 0.5).
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple

import cv2
import numpy as np

from . import geometry
from .config import PhotometricConfig, SceneConfig, TextureConfig
from .motion import constant_translation, random_trajectory
from .textures import random_texture

# Canonical textures extend this many pixels beyond the area a layer ever
# shows, so bilinear samples never read outside them.
TEXTURE_MARGIN = 2
# Sub-pixel bits used when rasterising masks with OpenCV.
MASK_SHIFT_BITS = 4
# Random polygon vertices / ellipse axes span this fraction range of the radius.
SHAPE_RADIUS_RANGE = (0.5, 1.0)
# Brightness and contrast drift oscillate this many times per video.
PHOTOMETRIC_CYCLES = (0.5, 1.5)


@dataclass
class Layer:
    """One textured layer.

    Attributes:
        texture: float32 [h, w, 3], colours in [0, 255].
        mask: float32 [h, w], 1 inside the layer's shape, 0 outside.
        motion: float64 [T, 2, 3], canonical -> frame coordinates per frame.
    """

    texture: np.ndarray
    mask: np.ndarray
    motion: np.ndarray


@dataclass
class Scene:
    """Layers back to front (index = layer id, 0 = background) and appearance.

    Attributes:
        height, width: frame size.
        layers: background first, front-most last.
        brightness: float [T] additive offset in grey levels.
        contrast: float [T] gain around mid-grey.
        blur_sigma: Gaussian blur sigma in pixels (0 = none).
    """

    height: int
    width: int
    layers: List[Layer]
    brightness: np.ndarray
    contrast: np.ndarray
    blur_sigma: float = 0.0

    @property
    def num_frames(self) -> int:
        return int(self.layers[0].motion.shape[0])


def _frame_corners(height: int, width: int) -> np.ndarray:
    return np.array([[0.0, 0.0], [width, 0.0], [0.0, height], [width, height]])


def _covering_background(rng: np.random.Generator, cfg: SceneConfig) -> Layer:
    """A background whose texture covers the frame at every time."""
    h, w, n = cfg.height, cfg.width, cfg.num_frames
    motion = random_trajectory(
        rng, n, np.zeros(2), np.array([w / 2.0, h / 2.0]), (n - 1) / 2.0, cfg.background_motion
    )
    corners = _frame_corners(h, w)
    canon = np.concatenate([geometry.apply(m, corners) for m in geometry.invert(motion)])
    origin = canon.min(axis=0) - TEXTURE_MARGIN
    size = np.ceil(canon.max(axis=0) + TEXTURE_MARGIN - origin).astype(int)
    shift = np.array([[1.0, 0.0, origin[0]], [0.0, 1.0, origin[1]]])
    motion = geometry.compose(motion, shift)
    texture = random_texture(rng, int(size[1]), int(size[0]), cfg.texture)
    return Layer(texture, np.ones(texture.shape[:2], np.float32), motion)


def random_mask(
    rng: np.random.Generator, side: int, diameter: float, cfg: SceneConfig
) -> np.ndarray:
    """Binary float32 [side, side] mask: a random star-shaped polygon or an ellipse."""
    mask = np.zeros((side, side), np.uint8)
    centre = np.array([side / 2.0, side / 2.0])
    radius = diameter / 2.0
    scale = 1 << MASK_SHIFT_BITS
    if rng.random() < cfg.polygon_prob:
        k = int(rng.integers(cfg.polygon_vertices[0], cfg.polygon_vertices[1] + 1))
        angles = np.sort(rng.uniform(0.0, 2.0 * np.pi, k))
        radii = radius * rng.uniform(*SHAPE_RADIUS_RANGE, k)
        pts = centre + radii[:, None] * np.stack([np.cos(angles), np.sin(angles)], -1)
        # Centre convention -> OpenCV integer-centre convention.
        pts = np.round((pts - 0.5) * scale).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, cv2.LINE_8, MASK_SHIFT_BITS)
    else:
        axes = radius * rng.uniform(*SHAPE_RADIUS_RANGE, 2)
        cv2.ellipse(
            mask,
            tuple(int(v) for v in np.round((centre - 0.5) * scale)),
            tuple(int(v) for v in np.round(axes * scale)),
            float(rng.uniform(0.0, 180.0)),
            0,
            360,
            1,
            -1,
            cv2.LINE_8,
            MASK_SHIFT_BITS,
        )
    return mask.astype(np.float32)


def _foreground_layer(rng: np.random.Generator, cfg: SceneConfig) -> Layer:
    diameter = rng.uniform(*cfg.layer_size) * min(cfg.height, cfg.width)
    side = int(np.ceil(diameter)) + 2 * TEXTURE_MARGIN
    mask = random_mask(rng, side, diameter, cfg)
    texture = random_texture(rng, side, side, cfg.texture)
    through = rng.uniform([0.0, 0.0], [cfg.width, cfg.height])
    motion = random_trajectory(
        rng,
        cfg.num_frames,
        np.array([side / 2.0, side / 2.0]),
        through,
        rng.uniform(0.0, cfg.num_frames - 1),
        cfg.motion,
    )
    return Layer(texture, mask, motion)


def _smooth_curve(rng: np.random.Generator, num_frames: int, amplitude: float) -> np.ndarray:
    t = np.arange(num_frames, dtype=np.float64)
    cycles = rng.uniform(*PHOTOMETRIC_CYCLES)
    return rng.uniform(-amplitude, amplitude) * np.sin(
        2.0 * np.pi * cycles * t / max(num_frames - 1, 1) + rng.uniform(0, 2 * np.pi)
    )


def _photometric(
    rng: np.random.Generator, num_frames: int, cfg: PhotometricConfig
) -> Tuple[np.ndarray, np.ndarray, float]:
    brightness = _smooth_curve(rng, num_frames, cfg.brightness)
    contrast = 1.0 + _smooth_curve(rng, num_frames, cfg.contrast)
    return brightness, contrast, float(rng.uniform(*cfg.blur_sigma))


def make_scene(cfg: SceneConfig, rng: np.random.Generator) -> Scene:
    """A random scene drawn from ``cfg``."""
    layers = [_covering_background(rng, cfg)]
    count = int(rng.integers(cfg.num_layers[0], cfg.num_layers[1] + 1))
    layers += [_foreground_layer(rng, cfg) for _ in range(count)]
    brightness, contrast, blur = _photometric(rng, cfg.num_frames, cfg.photometric)
    return Scene(cfg.height, cfg.width, layers, brightness, contrast, blur)


def make_translation_scene(
    height: int,
    width: int,
    num_frames: int,
    velocity: Tuple[float, float],
    seed: int,
    texture: TextureConfig = TextureConfig(),
) -> Scene:
    """One full-frame random texture translating with a constant velocity (px/frame).

    Content at frame point p in frame t is at p + velocity in frame t + 1.
    No other layer, no photometric change: a test scene that a
    parameter-free tracker should follow almost perfectly.
    """
    rng = np.random.default_rng(seed)
    v = np.asarray(velocity, np.float64)
    travel = np.abs(v) * (num_frames - 1)
    offset = -TEXTURE_MARGIN - np.maximum(0.0, v * (num_frames - 1))
    size = np.ceil(np.array([width, height]) + travel + 2 * TEXTURE_MARGIN).astype(int)
    tex = random_texture(rng, int(size[1]), int(size[0]), texture)
    layer = Layer(
        tex, np.ones(tex.shape[:2], np.float32), constant_translation(num_frames, v, offset)
    )
    return Scene(height, width, [layer], np.zeros(num_frames), np.ones(num_frames))


def make_moving_layer_scene(
    height: int,
    width: int,
    offsets: np.ndarray,
    layer_box: Tuple[int, int, int, int],
    seed: int,
    texture: TextureConfig = TextureConfig(),
) -> Scene:
    """A static textured background and one textured rectangle translating by
    known offsets: a test scene for trackers with exact ground truth.

    Args:
        offsets: float [T, 2] (dx, dy) of the rectangle in each frame
            relative to ``layer_box`` (so frame point p of the rectangle at
            frame 0 is at p + offsets[t] - offsets[0] in frame t).
        layer_box: (x, y, w, h) of the rectangle at offset (0, 0), pixels.
        seed: texture seed.
    """
    rng = np.random.default_rng(seed)
    offsets = np.asarray(offsets, np.float64)
    num_frames = len(offsets)
    bg_size = (height + 2 * TEXTURE_MARGIN, width + 2 * TEXTURE_MARGIN)
    background = Layer(
        random_texture(rng, *bg_size, texture),
        np.ones(bg_size, np.float32),
        constant_translation(num_frames, np.zeros(2), np.full(2, -TEXTURE_MARGIN)),
    )
    x, y, w, h = layer_box
    side = (h + 2 * TEXTURE_MARGIN, w + 2 * TEXTURE_MARGIN)
    mask = np.zeros(side, np.float32)
    mask[TEXTURE_MARGIN:-TEXTURE_MARGIN, TEXTURE_MARGIN:-TEXTURE_MARGIN] = 1.0
    motion = constant_translation(num_frames, np.zeros(2), np.zeros(2))
    motion[:, :, 2] = offsets + np.array([x, y], np.float64) - TEXTURE_MARGIN
    layer = Layer(random_texture(rng, *side, texture), mask, motion)
    return Scene(height, width, [background, layer], np.zeros(num_frames), np.ones(num_frames))


def warp_layer(
    image: np.ndarray,
    motion: np.ndarray,
    height: int,
    width: int,
    border: int = cv2.BORDER_CONSTANT,
) -> np.ndarray:
    """Bilinearly inverse-warp a canonical image by one [2, 3] map into the frame."""
    return cv2.warpAffine(
        image,
        geometry.to_index_affine(motion),
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=border,
        borderValue=0,
    )


def render(
    scene: Scene, start: int = 0, stop: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Render frames uint8 [n, H, W, 3] (RGB) and layer ids uint8 [n, H, W] of
    frames ``[start, stop)`` (default: all), so a long video renders in parts."""
    h, w = scene.height, scene.width
    stop = scene.num_frames if stop is None else stop
    frames = np.empty((stop - start, h, w, 3), np.uint8)
    ids = np.zeros((stop - start, h, w), np.uint8)
    for i, t in enumerate(range(start, stop)):
        bg = scene.layers[0]
        frame = warp_layer(bg.texture, bg.motion[t], h, w, cv2.BORDER_REPLICATE)
        for k, layer in enumerate(scene.layers[1:], start=1):
            inside = warp_layer(layer.mask, layer.motion[t], h, w) >= 0.5
            if inside.any():
                frame[inside] = warp_layer(layer.texture, layer.motion[t], h, w)[inside]
                ids[i][inside] = k
        frame = (frame - 128.0) * scene.contrast[t] + 128.0 + scene.brightness[t]
        if scene.blur_sigma > 0:
            frame = cv2.GaussianBlur(frame, (0, 0), scene.blur_sigma)
        frames[i] = np.clip(np.round(frame), 0, 255).astype(np.uint8)
    return frames, ids
