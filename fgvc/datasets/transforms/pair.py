"""Transforms of frame pairs that keep their optical flows consistent.

A results dict holds ``imgs`` uint8 ``[2, H, W, 3]`` (reference, target)
and, for labelled pairs, ``flow`` and ``flow_back`` float32 ``[H, W, 2]``
(u, v in pixels, defined on the target and reference frame respectively).
Geometric transforms move the flows with the frames: crops crop them,
resizes scale their vectors, flips flip them and negate u. Photometric
transforms touch the frames only.
"""

import math
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement
from PIL import Image, ImageFilter

from fgvc.registry import TRANSFORMS

FLOW_KEYS = ('flow', 'flow_back')


def _flows(results: dict):
    return [key for key in FLOW_KEYS if key in results]


def crop_pair(results: dict, top: int, left: int, height: int, width: int) -> dict:
    """Crop frames and flows to the same window."""
    rows, cols = slice(top, top + height), slice(left, left + width)
    results['imgs'] = np.ascontiguousarray(results['imgs'][:, rows, cols])
    for key in _flows(results):
        results[key] = np.ascontiguousarray(results[key][rows, cols])
    return results


#: Frame interpolations of :func:`resize_pair` by name.
INTERPOLATIONS = dict(bilinear=cv2.INTER_LINEAR, area=cv2.INTER_AREA)


def resize_pair(results: dict, size: Tuple[int, int], interpolation: str = 'bilinear') -> dict:
    """Resize frames (``interpolation``: 'bilinear' or 'area') and flows
    (bilinear) to ``size`` = (h, w); flow vectors are scaled by the resize
    factors."""
    height, width = results['imgs'].shape[1:3]
    if (height, width) == tuple(size):
        return results
    dsize = (size[1], size[0])
    results['imgs'] = np.stack(
        [
            cv2.resize(im, dsize, interpolation=INTERPOLATIONS[interpolation])
            for im in results['imgs']
        ]
    )
    scale = np.array([size[1] / width, size[0] / height], dtype=np.float32)
    for key in _flows(results):
        results[key] = cv2.resize(results[key], dsize, interpolation=cv2.INTER_LINEAR) * scale
    return results


@TRANSFORMS.register_module()
class PairRandomCrop(BaseTransform):
    """Crop the same random ``size`` = (h, w) window from frames and flows."""

    def __init__(self, size: Sequence[int]) -> None:
        self.size = tuple(size)

    def transform(self, results: dict) -> dict:
        height, width = results['imgs'].shape[1:3]
        crop_h, crop_w = self.size
        if crop_h > height or crop_w > width:
            raise ValueError(
                f'Cannot crop {self.size} from frames of {(height, width)} '
                f'({results.get("sources")})'
            )
        top = np.random.randint(height - crop_h + 1)
        left = np.random.randint(width - crop_w + 1)
        return crop_pair(results, top, left, crop_h, crop_w)


#: What :class:`PairRandomResizedCrop` keeps when no window fits.
CROP_FALLBACKS = ('whole', 'centre_square')


@TRANSFORMS.register_module()
class PairRandomResizedCrop(BaseTransform):
    """Crop a random window of ``area`` (fraction of the frame) and
    ``aspect_ratio`` (width / height, log-uniform), then resize it to
    ``size`` = (h, w). After ``max_attempts`` windows that do not fit, the
    ``fallback`` is used: the whole frame, or (``'centre_square'``, the
    release) the centred square of the frame's shorter side.
    """

    def __init__(
        self,
        size: Sequence[int],
        area: Sequence[float],
        aspect_ratio: Sequence[float],
        max_attempts: int = 10,
        fallback: str = 'whole',
    ) -> None:
        if fallback not in CROP_FALLBACKS:
            raise ValueError(f'fallback must be one of {CROP_FALLBACKS}, got {fallback!r}')
        self.size = tuple(size)
        self.area = tuple(area)
        self.log_ratio = (math.log(aspect_ratio[0]), math.log(aspect_ratio[1]))
        self.max_attempts = max_attempts
        self.fallback = fallback

    def transform(self, results: dict) -> dict:
        height, width = results['imgs'].shape[1:3]
        for _ in range(self.max_attempts):
            area = height * width * np.random.uniform(*self.area)
            ratio = math.exp(np.random.uniform(*self.log_ratio))
            crop_w = int(round(math.sqrt(area * ratio)))
            crop_h = int(round(math.sqrt(area / ratio)))
            if 0 < crop_w <= width and 0 < crop_h <= height:
                top = np.random.randint(height - crop_h + 1)
                left = np.random.randint(width - crop_w + 1)
                results = crop_pair(results, top, left, crop_h, crop_w)
                break
        else:
            if self.fallback == 'centre_square':
                side = min(height, width)
                results = crop_pair(results, (height - side) // 2, (width - side) // 2, side, side)
        return resize_pair(results, self.size)


@TRANSFORMS.register_module()
class PairResizeShortSide(BaseTransform):
    """Resize frames and flows so that the shorter side is ``size`` pixels
    (the other rounded to the nearest pixel), as the release's
    ``JPEGImages_s256`` copy of YouTube-VOS was prepared offline before
    training read it. The release does not record how; ``interpolation``
    is 'area' (anti-aliased) by default, or 'bilinear'.
    """

    def __init__(self, size: int, interpolation: str = 'area') -> None:
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f'interpolation must be one of {sorted(INTERPOLATIONS)}, got {interpolation!r}'
            )
        self.size = size
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        height, width = results['imgs'].shape[1:3]
        scale = self.size / min(height, width)
        size = (int(height * scale + 0.5), int(width * scale + 0.5))
        return resize_pair(results, size, self.interpolation)


@TRANSFORMS.register_module()
class PairResize(BaseTransform):
    """Resize frames and flows to ``size`` = (h, w), scaling flow vectors."""

    def __init__(self, size: Sequence[int]) -> None:
        self.size = tuple(size)

    def transform(self, results: dict) -> dict:
        return resize_pair(results, self.size)


@TRANSFORMS.register_module()
class PairRandomFlip(BaseTransform):
    """Flip frames and flows left-right with probability ``prob``; the
    flows' horizontal component changes sign."""

    def __init__(self, prob: float) -> None:
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['imgs'] = np.ascontiguousarray(results['imgs'][:, :, ::-1])
            for key in _flows(results):
                flow = np.ascontiguousarray(results[key][:, ::-1])
                flow[..., 0] *= -1
                results[key] = flow
        return results


#: Blur implementations of :class:`PairGaussianBlur`.
BLUR_BACKENDS = ('opencv', 'pillow')


def blur_frame(frame: np.ndarray, sigma: float, backend: str) -> np.ndarray:
    """Blur a uint8 ``[H, W, 3]`` frame with a Gaussian of standard deviation
    ``sigma`` pixels: OpenCV's sampled Gaussian kernel (borders reflected),
    or Pillow's ``GaussianBlur(radius=sigma)``, three passes of an extended
    box filter per axis of the same variance (edges repeated, rounded to
    uint8 after each pass), as the release blurs."""
    if backend == 'opencv':
        return cv2.GaussianBlur(frame, (0, 0), sigma)
    return np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(radius=sigma)))


@TRANSFORMS.register_module()
class PairGaussianBlur(BaseTransform):
    """With probability ``prob``, blur both frames with one Gaussian whose
    standard deviation is drawn uniformly from ``sigma`` (pixels; Pillow
    calls it the radius); flows are left alone.

    Args:
        prob: Probability of blurring a pair.
        sigma: (min, max) standard deviation.
        backend: 'opencv' or 'pillow' (the release's), see :func:`blur_frame`.
    """

    def __init__(self, prob: float, sigma: Sequence[float], backend: str = 'opencv') -> None:
        if backend not in BLUR_BACKENDS:
            raise ValueError(f'backend must be one of {BLUR_BACKENDS}, got {backend!r}')
        self.prob = prob
        self.sigma = tuple(sigma)
        self.backend = backend

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            sigma = np.random.uniform(*self.sigma)
            results['imgs'] = np.stack(
                [blur_frame(im, sigma, self.backend) for im in results['imgs']]
            )
        return results


#: Frame indices of each pair in the packed inputs of :class:`PackMixedInputs`.
BRANCH_FRAMES = dict(synthetic=(0, 1), real=(2, 3))


@TRANSFORMS.register_module()
class PackMixedInputs(BaseTransform):
    """Pack ``dict(labelled=..., unlabelled=...)`` into model inputs.

    ``inputs``: uint8 ``[4, H, W, 3]``, the labelled pair then the
    unlabelled pair, each (reference, target); the data sample carries the
    labelled pair's ``flow`` and ``flow_back`` as ``[2, H, W]`` tensors, the
    ``sources`` of all four frames and ``branch_frames``, the (reference,
    target) frame indices of the ``synthetic`` (labelled) and ``real``
    (unlabelled) pair.
    """

    def transform(self, results: dict) -> dict:
        labelled, unlabelled = results['labelled'], results['unlabelled']
        if labelled['imgs'].shape != unlabelled['imgs'].shape:
            raise ValueError(
                f'Labelled frames {labelled["imgs"].shape} and unlabelled frames '
                f'{unlabelled["imgs"].shape} differ in size after their pipelines'
            )
        frames = np.concatenate([labelled['imgs'], unlabelled['imgs']])
        sample = BaseDataElement(
            metainfo=dict(
                sources=(*labelled['sources'], *unlabelled['sources']),
                branch_frames=BRANCH_FRAMES,
            )
        )
        for key in FLOW_KEYS:
            sample.set_field(
                torch.from_numpy(np.ascontiguousarray(labelled[key].transpose(2, 0, 1))), key
            )
        return dict(inputs=torch.from_numpy(frames), data_samples=sample)
