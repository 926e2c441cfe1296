"""Affine maps and sampling under the pixel-centre convention.

Convention used by the whole synthetic package: continuous image coordinates
(x, y) with the origin at the top-left corner of the image; pixel (row i,
column j) covers [j, j+1] x [i, i+1] and its centre is (j + 0.5, i + 0.5).
OpenCV's warp functions put pixel centres at integers, so matrices are
converted with :func:`to_index_affine` before calling them.

An affine map is a float64 array [2, 3]: ``p' = M[:, :2] @ p + M[:, 2]``.
"""

import numpy as np


def to_3x3(m: np.ndarray) -> np.ndarray:
    """Homogeneous [3, 3] form of a [..., 2, 3] affine map."""
    out = np.zeros(m.shape[:-2] + (3, 3))
    out[..., :2, :] = m
    out[..., 2, 2] = 1.0
    return out


def invert(m: np.ndarray) -> np.ndarray:
    """Inverse of a [..., 2, 3] affine map."""
    return np.linalg.inv(to_3x3(m))[..., :2, :]


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The map ``p -> a(b(p))`` of two [..., 2, 3] affine maps."""
    return (to_3x3(a) @ to_3x3(b))[..., :2, :]


def apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a [2, 3] map to points [..., 2] (x, y)."""
    return points @ m[:, :2].T + m[:, 2]


def to_index_affine(m: np.ndarray) -> np.ndarray:
    """Convert a centre-convention map to OpenCV's integer-centre convention."""
    half = np.array([0.5, 0.5])
    out = m.copy()
    out[:, 2] = m[:, 2] + m[:, :2] @ half - half
    return out


def pixel_centres(height: int, width: int) -> np.ndarray:
    """Pixel-centre coordinates [H, W, 2] (x, y)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    return np.stack([xs, ys], axis=-1)


def bilinear(image: np.ndarray, points: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Bilinearly sample ``image`` [H, W, ...] at points [..., 2] (x, y).

    Points are in the pixel-centre convention; samples whose 2x2 support
    leaves the image read ``fill`` for the missing pixels.
    """
    h, w = image.shape[:2]
    x = points[..., 0] - 0.5
    y = points[..., 1] - 0.5
    x0 = np.floor(x).astype(np.int64)
    y0 = np.floor(y).astype(np.int64)
    fx = x - x0
    fy = y - y0
    extra = (None,) * (image.ndim - 2)
    out = 0.0
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            xi = x0 + dx
            yi = y0 + dy
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            val = np.where(
                inside[(...,) + extra], image[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], fill
            )
            out = out + (wx * wy)[(...,) + extra] * val
    return out
