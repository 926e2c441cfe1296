"""Smooth random affine trajectories.

A trajectory is a float64 array [T, 2, 3]: ``A[t]`` maps a layer's canonical
coordinates (its texture, pixel-centre convention) to frame coordinates at
time t. It is built as

    A_t = Translate(c_t) . Rotate(theta_t) . Scale(s_t) . Translate(-centre)

with c_t = p* + v (t - t*) + wobble, theta_t = theta_0 + omega t + wobble and
log s_t = log s_0 + sigma t + wobble: the layer's centre passes through p* at
time t*, and every parameter is a linear drift plus a sum of a few slow random
sinusoids, so the motion is smooth (infinitely differentiable) in time.
"""

import numpy as np

from .config import MotionConfig


def smooth_wobble(
    rng: np.random.Generator, num_frames: int, velocity: float, cfg: MotionConfig
) -> np.ndarray:
    """Zero-start sum of random sinusoids [T] whose speed peaks near ``velocity``."""
    t = np.arange(num_frames, dtype=np.float64)
    span = max(num_frames - 1, 1)
    out = np.zeros(num_frames)
    for _ in range(cfg.wobble_terms):
        cycles = rng.uniform(*cfg.wobble_cycles)
        omega = 2.0 * np.pi * cycles / span
        phase = rng.uniform(0.0, 2.0 * np.pi)
        amp = cfg.wobble * velocity / (omega * cfg.wobble_terms)
        out += amp * (np.sin(omega * t + phase) - np.sin(phase))
    return out


def similarity_matrices(
    centre: np.ndarray, angle: np.ndarray, log_scale: np.ndarray, canonical_centre: np.ndarray
) -> np.ndarray:
    """Per-frame maps [T, 2, 3] from per-frame centre [T, 2], angle [T], log-scale [T]."""
    s = np.exp(log_scale)
    cos, sin = s * np.cos(angle), s * np.sin(angle)
    lin = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    trans = centre - lin @ canonical_centre
    return np.concatenate([lin, trans[..., None]], axis=-1)


def random_trajectory(
    rng: np.random.Generator,
    num_frames: int,
    canonical_centre: np.ndarray,
    through_point: np.ndarray,
    through_time: float,
    cfg: MotionConfig,
    initial_scale: float = 1.0,
) -> np.ndarray:
    """Random smooth trajectory [T, 2, 3] passing ``through_point`` at ``through_time``."""
    t = np.arange(num_frames, dtype=np.float64)
    speed = rng.uniform(*cfg.speed)
    heading = rng.uniform(0.0, 2.0 * np.pi)
    velocity = speed * np.array([np.cos(heading), np.sin(heading)])
    wobble = np.stack([smooth_wobble(rng, num_frames, cfg.speed[1], cfg) for _ in range(2)], -1)
    centre = through_point + velocity * (t - through_time)[:, None] + wobble

    omega = rng.uniform(-cfg.rotation_speed, cfg.rotation_speed)
    angle = (
        rng.uniform(0.0, 2.0 * np.pi)
        + omega * t
        + smooth_wobble(rng, num_frames, cfg.rotation_speed, cfg)
    )
    sigma = rng.uniform(-cfg.scale_speed, cfg.scale_speed)
    log_scale = (
        np.log(initial_scale) + sigma * t + smooth_wobble(rng, num_frames, cfg.scale_speed, cfg)
    )
    return similarity_matrices(centre, angle, log_scale, canonical_centre)


def constant_translation(num_frames: int, velocity: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Pure translation [T, 2, 3]: frame point = canonical point + offset + velocity t."""
    t = np.arange(num_frames, dtype=np.float64)
    out = np.zeros((num_frames, 2, 3))
    out[:, 0, 0] = out[:, 1, 1] = 1.0
    out[:, :, 2] = offset + velocity * t[:, None]
    return out
