"""Random warps near the identity, with exact flow, for test-time adaptation.

The warp is fitted by OpenCV (``cv2.getPerspectiveTransform`` for a
homography, ``cv2.getAffineTransform`` for an affine map) to the image
corners moved at random; its flow at every pixel is the matrix applied to the
pixel (``cv2.perspectiveTransform``), so it is exact, and an image is warped
by sampling it along that flow (:func:`warp_with_flow`).
"""

from typing import Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

from fgvc.models.losses.flow_labels import sample_at


def _fit_affine(corners: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The 3 x 3 affine matrix taking three of ``corners`` to ``moved``."""
    return np.vstack([cv2.getAffineTransform(corners[:3], moved[:3]), [0.0, 0.0, 1.0]])


#: How each kind of warp is fitted to the four corners and their moved positions.
_FITS = {'homography': cv2.getPerspectiveTransform, 'affine': _fit_affine}
WARP_KINDS = tuple(_FITS)


def homography_flow(matrix: np.ndarray, height: int, width: int) -> Tensor:
    """``[2, H, W]`` flow ``matrix p - p`` of every pixel p (centres at integer
    indices, (x, y) order)."""
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing='ij')
    points = np.stack([xs, ys], -1).reshape(1, -1, 2).astype(np.float64)
    mapped = cv2.perspectiveTransform(points, matrix)
    flow = (mapped - points).reshape(height, width, 2).transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(flow)).float()


def random_warp(
    height: int, width: int, max_shift: float, rng: np.random.Generator, kind: str = 'homography'
) -> Tuple[Tensor, Tensor]:
    """A random warp near the identity, as exact flows.

    The image corners move by up to ``max_shift`` pixels each way (all four
    for a homography; three, the fourth following, for an affine map).
    Returns ``flow`` (each target pixel p to its source position W p) and
    ``flow_back`` (each source pixel q to W^-1 q), ``[2, H, W]`` each, pixel
    centres at integer indices. ``kind`` is one of :data:`WARP_KINDS`
    (:func:`fgvc.engine.adaptation.check_adaptation_options` checks the
    config's).
    """
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    moved = corners + rng.uniform(-max_shift, max_shift, size=corners.shape)
    corners, moved = corners.astype(np.float32), moved.astype(np.float32)
    matrix = _FITS[kind](corners, moved)
    return homography_flow(matrix, height, width), homography_flow(
        np.linalg.inv(matrix), height, width
    )


def warp_with_flow(image: Tensor, flow: Tensor) -> Tensor:
    """Sample ``image`` ``[..., C, H, W]`` bilinearly at ``p + flow(p)``
    (``[..., 2, H, W]``); zero outside the image
    (:func:`fgvc.models.losses.flow_labels.sample_at`)."""
    flat = image.reshape(-1, *image.shape[-3:])
    displacement = flow.reshape(-1, *flow.shape[-3:]).to(image.dtype)
    return sample_at(flat, displacement).reshape(image.shape)
