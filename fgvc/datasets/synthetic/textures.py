"""Procedural colour textures (float32 [H, W, 3] in 0..255).

Styles, all built from a random generator so that a seed fixes the result:
value noise (several octaves), stripes, blobs and gradients. Every texture
gets a fine value-noise detail layer so that no region is flat, and the
colour is shaped by the config's saturation and colour cast.
"""

from typing import Callable, Dict, Tuple

import cv2
import numpy as np

from .config import TextureConfig

# Amplitude ratio between successive (finer) value-noise octaves.
OCTAVE_PERSISTENCE = 0.6
# Blob textures cover their area about BLOB_COVERAGE times, with this many blobs at most.
BLOB_COVERAGE = 2.0
BLOB_COUNT = (4, 400)


def value_noise(
    rng: np.random.Generator, height: int, width: int, feature_size: float
) -> np.ndarray:
    """Smooth noise in [0, 1] with features of about ``feature_size`` pixels."""
    gh = max(2, int(np.ceil(height / feature_size)) + 1)
    gw = max(2, int(np.ceil(width / feature_size)) + 1)
    grid = rng.random((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)


def fractal_noise(
    rng: np.random.Generator, height: int, width: int, sizes: Tuple[float, float]
) -> np.ndarray:
    """Octaves of value noise between the two feature sizes, stretched to [0, 1]."""
    lo, hi = sizes
    octaves = max(1, int(np.floor(np.log2(hi / lo))) + 1)
    out = np.zeros((height, width), np.float32)
    for k in range(octaves):
        size = hi / 2**k
        amp = OCTAVE_PERSISTENCE**k
        out += amp * value_noise(rng, height, width, size)
    return (out - out.min()) / max(float(np.ptp(out)), 1e-6)


def _random_colours(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(0.0, 255.0, (n, 3)).astype(np.float32)


def _blend(field: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Map a scalar field in [0, 1] to colours along a random 2-colour ramp."""
    f = field[..., None]
    return (1.0 - f) * colours[0] + f * colours[1]


def _noise(rng: np.random.Generator, h: int, w: int, cfg: TextureConfig) -> np.ndarray:
    return _blend(fractal_noise(rng, h, w, cfg.feature_size), _random_colours(rng, 2))


def _stripes(rng: np.random.Generator, h: int, w: int, cfg: TextureConfig) -> np.ndarray:
    period = rng.uniform(2.0 * cfg.feature_size[0], cfg.feature_size[1])
    angle = rng.uniform(0.0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) * (2.0 * np.pi / period)
    field = 0.5 + 0.5 * np.sin(phase + rng.uniform(0.0, 2.0 * np.pi))
    return _blend(field.astype(np.float32), _random_colours(rng, 2))


def _blobs(rng: np.random.Generator, h: int, w: int, cfg: TextureConfig) -> np.ndarray:
    lo, hi = cfg.feature_size
    out = np.empty((h, w, 3), np.float32)
    out[:] = _random_colours(rng, 1)[0]
    mean_area = np.pi * (0.5 * (lo + hi)) ** 2
    count = int(np.clip(BLOB_COVERAGE * h * w / mean_area, *BLOB_COUNT))
    for _ in range(count):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.uniform(lo, hi)), int(rng.uniform(lo, hi)))
        colour = tuple(float(c) for c in _random_colours(rng, 1)[0])
        cv2.ellipse(out, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
    return out


def _gradient(rng: np.random.Generator, h: int, w: int, cfg: TextureConfig) -> np.ndarray:
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    proj = xs * np.cos(angle) + ys * np.sin(angle)
    field = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
    return _blend(field.astype(np.float32), _random_colours(rng, 2))


STYLES: Dict[str, Callable[[np.random.Generator, int, int, TextureConfig], np.ndarray]] = {
    'noise': _noise,
    'stripes': _stripes,
    'blobs': _blobs,
    'gradient': _gradient,
}


def random_texture(
    rng: np.random.Generator, height: int, width: int, cfg: TextureConfig
) -> np.ndarray:
    """A random texture float32 [height, width, 3] in [0, 255]."""
    weights = np.asarray(cfg.weights, np.float64)
    style = cfg.styles[int(rng.choice(len(cfg.styles), p=weights / weights.sum()))]
    tex = STYLES[style](rng, height, width, cfg)
    detail = fractal_noise(rng, height, width, (cfg.feature_size[0], 2.0 * cfg.feature_size[0]))
    tex = tex + cfg.detail * (detail[..., None] - 0.5)
    grey = tex.mean(axis=-1, keepdims=True)
    tex = grey + cfg.saturation * (tex - grey)
    tex = tex * np.asarray(cfg.colour_cast, np.float32)
    return np.clip(tex, 0.0, 255.0).astype(np.float32)
