"""Test-time adaptation: fine-tune a copy of the encoder on the video it will track.

The objectives are the framework's own self-supervised loss parts
(:mod:`fgvc.models.losses.parts`), fed from the video alone, never from its
labels:

* the ``real`` pair: two crops at the same place of frames a few frames apart
  (colour reconstruction, ``l1_loss``);
* the ``synthetic`` pair: a crop and the same crop warped by a random
  homography near the identity, whose flow is therefore exact
  (:func:`random_warp`), for the flow-supervised soft labels (``sup_loss``);
* the alignment loss between the two (``corr_da_loss``).

Each step reads only the frames it samples, so memory does not grow with the
video's length. The caller's model is deep-copied and never modified; the
same seed gives the same adapted weights.
"""

import copy
import io
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import ModuleDict
from mmengine.structures import BaseDataElement
from torch import Tensor, nn
from tqdm import tqdm

from fgvc.datasets.video_reader import VideoReader
from fgvc.fileio import atomic_write
from fgvc.models.losses import encode_pairs
from fgvc.models.trackers.mixed_tracker import build_part

__all__ = [
    'adapt_encoder',
    'check_adaptation',
    'random_warp',
    'save_encoder',
    'self_supervised_losses',
    'warp_with_flow',
    'check_steps',
    'MAX_ADAPT_STEPS',
]

#: The most adaptation steps a run may ask for (about 40 minutes on 2 CPU
#: cores at the default crop); a larger count is a typo, refused before work.
MAX_ADAPT_STEPS = 10_000


def _homography_flow(matrix: np.ndarray, height: int, width: int) -> Tensor:
    """``[2, H, W]`` flow ``matrix @ p - p`` of every pixel p (centres at integer
    indices, (x, y) order)."""
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing='ij')
    points = np.stack([xs, ys, np.ones_like(xs)]).reshape(3, -1).astype(np.float64)
    mapped = matrix @ points
    mapped = mapped[:2] / mapped[2:]
    return torch.from_numpy((mapped - points[:2]).reshape(2, height, width)).float()


WARP_KINDS = ('homography', 'affine')


def random_warp(
    height: int, width: int, max_shift: float, rng: np.random.Generator, kind: str = 'homography'
) -> Tuple[Tensor, Tensor]:
    """A random warp near the identity, as exact flows.

    The image corners move by up to ``max_shift`` pixels each way (all four
    for a homography; three, the fourth following, for an affine map).
    Returns ``flow`` (each target pixel p to its source position W p) and
    ``flow_back`` (each source pixel q to W^-1 q), ``[2, H, W]`` each, pixel
    centres at integer indices.
    """
    if kind not in WARP_KINDS:
        raise ValueError(f'warp kind must be one of {WARP_KINDS}, got {kind!r}')
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)
    moved = corners + rng.uniform(-max_shift, max_shift, size=corners.shape)
    if kind == 'affine':
        affine = np.linalg.solve(np.c_[corners[:3], np.ones(3)], moved[:3]).T
        matrix = np.vstack([affine, [0.0, 0.0, 1.0]])
    else:
        matrix = _fit_homography(corners, moved)
    return _homography_flow(matrix, height, width), _homography_flow(
        np.linalg.inv(matrix), height, width
    )


def _fit_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 homography mapping the four ``src`` points onto ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.array(rows), np.array(rhs))
    return np.append(h, 1.0).reshape(3, 3)


def warp_with_flow(image: Tensor, flow: Tensor) -> Tensor:
    """Sample ``image`` ``[..., C, H, W]`` bilinearly at ``p + flow(p)``
    (``[..., 2, H, W]``); zero outside the image."""
    height, width = image.shape[-2:]
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=flow.dtype),
        torch.arange(width, dtype=flow.dtype),
        indexing='ij',
    )
    x = (xs + flow[..., 0, :, :]) * 2 / (width - 1) - 1
    y = (ys + flow[..., 1, :, :]) * 2 / (height - 1) - 1
    grid = torch.stack([x, y], dim=-1).reshape(-1, height, width, 2)
    flat = image.reshape(-1, *image.shape[-3:])
    out = F.grid_sample(flat, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
    return out.reshape(image.shape)


def check_steps(steps: int) -> None:
    """Raise ``ValueError`` unless ``steps`` is a step count in [0, :data:`MAX_ADAPT_STEPS`]."""
    if steps < 0:
        raise ValueError(f'--adapt needs a step count >= 0, got {steps}')
    if steps > MAX_ADAPT_STEPS:
        raise ValueError(
            f'--adapt needs a step count <= {MAX_ADAPT_STEPS} (more is taken for a typo), '
            f'got {steps}'
        )


def check_adaptation(steps: int, num_frames: int, frame_hw: Sequence[int], crop: Sequence[int]):
    """Raise ``ValueError`` naming the problem when a video cannot be adapted to."""
    check_steps(steps)
    if steps and num_frames < 2:
        raise ValueError(
            f'Adaptation needs a video of at least 2 frames (pairs of frames); got {num_frames}'
        )
    if steps and (frame_hw[0] < crop[0] or frame_hw[1] < crop[1]):
        raise ValueError(
            f'Adaptation crops {crop[0]}x{crop[1]} (h x w) from the encoder input, but the frames '
            f'are {frame_hw[0]}x{frame_hw[1]} there: use larger frames (e.g. --short-side) or '
            'a smaller adaptation.crop_size'
        )


class _Sampler:
    """Draws the training pairs of one step from the video."""

    def __init__(self, video: VideoReader, prepare, cfg: dict, rng: np.random.Generator):
        self.video, self.prepare, self.cfg, self.rng = video, prepare, cfg, rng
        self.crop = tuple(cfg['crop_size'])

    def frame(self, t: int) -> Tensor:
        return self.prepare(torch.from_numpy(np.ascontiguousarray(self.video.read(t, t + 1)[0])))

    def _crop(self, frames: Tensor) -> Tensor:
        height, width = frames.shape[-2:]
        top = self.rng.integers(0, height - self.crop[0] + 1)
        left = self.rng.integers(0, width - self.crop[1] + 1)
        return frames[..., top : top + self.crop[0], left : left + self.crop[1]]

    def real_pair(self) -> Tensor:
        """``[2, C, h, w]``: the same crop of frames ``gap`` apart (earlier first)."""
        low, high = self.cfg['frame_gaps']
        gap = min(int(self.rng.integers(low, high + 1)), len(self.video) - 1)
        first = int(self.rng.integers(0, len(self.video) - gap))
        return self._crop(torch.stack([self.frame(first), self.frame(first + gap)]))

    def warped_pair(self) -> Tuple[Tensor, Tensor, Tensor]:
        """A crop and its random warp ``[2, C, h, w]``, with the exact flow and
        backward flow of the pair."""
        ref = self._crop(self.frame(int(self.rng.integers(0, len(self.video)))))
        flow, flow_back = random_warp(
            *self.crop, self.cfg['max_warp'], self.rng, self.cfg.get('warp', 'homography')
        )
        return torch.stack([ref, warp_with_flow(ref, flow)]), flow, flow_back

    def batch(self) -> Tuple[Dict[str, Tensor], list]:
        real, synthetic, samples = [], [], []
        for _ in range(self.cfg['batch_size']):
            pair, flow, flow_back = self.warped_pair()
            synthetic.append(pair)
            real.append(self.real_pair())
            sample = BaseDataElement(metainfo=dict(sources=('adaptation',)))
            sample.flow, sample.flow_back = flow, flow_back
            samples.append(sample)
        return dict(synthetic=torch.stack(synthetic), real=torch.stack(real)), samples


def _build_parts(cfg: dict, backbone: nn.Module, device: torch.device) -> ModuleDict:
    context = dict(radius=cfg['radius'], feature_channels=backbone.out_channels[-1])
    parts = {n: build_part(n, p, context) for n, p in cfg['losses'].items() if p.get('weight', 0.0)}
    return ModuleDict(parts).to(device)


def _losses(
    backbone: nn.Module, parts: ModuleDict, sampler: _Sampler, cfg: dict, device: torch.device
) -> Dict[str, Tensor]:
    """Each part's weighted loss on one freshly drawn batch."""
    pairs, samples = sampler.batch()
    branches = {b for part in parts.values() for b in part.branches}
    pairs = {b: p.to(device) for b, p in pairs.items() if b in branches}
    for sample in samples:
        sample.flow, sample.flow_back = sample.flow.to(device), sample.flow_back.to(device)
    batch = encode_pairs(backbone, pairs, samples, cfg['radius'], cfg['drop_channels'])
    return {name: part(batch) * part.weight for name, part in parts.items()}


def _prepare(model: nn.Module, video: VideoReader, input_size: Optional[Sequence[int]]):
    preprocessor = copy.deepcopy(model.data_preprocessor)
    if input_size is not None:
        preprocessor.input_size = tuple(input_size)
    return preprocessor.normalize, preprocessor.input_size or (video.height, video.width)


def adapt_encoder(
    model: nn.Module,
    video: VideoReader,
    steps: int,
    cfg: dict,
    input_size: Optional[Sequence[int]] = None,
    seed: int = 0,
    progress: bool = False,
) -> nn.Module:
    """A copy of ``model`` (a tracker with ``backbone`` and ``data_preprocessor``)
    whose encoder is fine-tuned for ``steps`` steps on ``video``.

    Args:
        model: The caller's tracker; it is not modified.
        video: The video to be tracked (only its frames are read).
        steps: Optimiser steps; 0 returns an unchanged copy.
        cfg: The eval config's ``adaptation`` dict: ``radius``, ``losses``
            (loss-part configs as in training), ``crop_size`` (h, w),
            ``batch_size``, ``lr``, ``frame_gaps`` (min, max), ``max_warp``
            (pixels), ``warp`` (``'homography'`` or ``'affine'``),
            ``drop_channels``.
        input_size: (h, w) the frames are resized to before cropping (the
            tracking resolution); None keeps the preprocessor's.
        seed: Seeds the sampling, the colour dropout and the heads.
        progress: Show a progress bar.
    """
    prepare, size = _prepare(model, video, input_size)
    check_adaptation(steps, len(video), size, cfg['crop_size'])
    adapted = copy.deepcopy(model)
    if steps == 0:
        return adapted
    device = next(adapted.backbone.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == 'cuda' else []):
        torch.manual_seed(seed)
        parts = _build_parts(cfg, adapted.backbone, device)
        optimizer = torch.optim.Adam(
            [*adapted.backbone.parameters(), *parts.parameters()], lr=cfg['lr']
        )
        sampler = _Sampler(video, prepare, cfg, np.random.default_rng(seed))
        adapted.backbone.train()
        parts.train()
        for _ in tqdm(range(steps), desc='adapting the encoder', disable=not progress):
            loss = sum(_losses(adapted.backbone, parts, sampler, cfg, device).values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    adapted.eval()
    return adapted


@torch.no_grad()
def self_supervised_losses(
    model: nn.Module,
    video: VideoReader,
    cfg: dict,
    input_size: Optional[Sequence[int]] = None,
    seed: int = 0,
    batches: int = 4,
) -> Dict[str, float]:
    """Mean weighted loss of each part over ``batches`` batches drawn with
    ``seed`` from ``video`` (encoder in eval mode; heads freshly seeded), to
    compare encoders on the same draws."""
    prepare, size = _prepare(model, video, input_size)
    check_adaptation(1, len(video), size, cfg['crop_size'])
    device = next(model.backbone.parameters()).device
    was_training = model.backbone.training
    model.backbone.eval()
    with torch.random.fork_rng(devices=[device] if device.type == 'cuda' else []):
        torch.manual_seed(seed)
        parts = _build_parts(cfg, model.backbone, device).eval()
        sampler = _Sampler(video, prepare, cfg, np.random.default_rng(seed))
        totals = {}
        for _ in range(batches):
            for name, value in _losses(model.backbone, parts, sampler, cfg, device).items():
                totals[name] = totals.get(name, 0.0) + value.item() / batches
    model.backbone.train(was_training)
    return totals


def save_encoder(model: nn.Module, path: str) -> None:
    """Write ``model``'s encoder as a checkpoint (keys under ``backbone.``),
    atomically; it loads like a trained checkpoint."""
    state = {f'backbone.{k}': v.detach().cpu() for k, v in model.backbone.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state), buffer)
    atomic_write(path, buffer.getvalue())
