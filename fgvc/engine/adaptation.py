"""Test-time adaptation: fine-tune a copy of the encoder on the video it will track.

The objectives are the framework's own self-supervised loss parts
(:mod:`fgvc.models.losses.parts`), fed from the video alone, never from its
labels:

* the ``real`` pair: two crops at the same place of frames a few frames apart
  (colour reconstruction, ``l1_loss``);
* the ``synthetic`` pair: a crop and the same crop warped by a random
  homography near the identity, whose flow is therefore exact
  (:func:`random_warp`), for the flow-supervised soft labels (``sup_loss``);
* the alignment loss between the two (``corr_da_loss``);
* optionally an anchor (``anchor``): the KL divergence of the adapted
  encoder's window affinities on the real pair from the unadapted encoder's,
  which keeps a few steps on one clip from undoing what training learnt.

What adapts is configurable: BatchNorm may keep the encoder's running
statistics (``bn_stats='frozen'``) instead of normalising with the tiny
crops' batch statistics and overwriting them (``'batch'``), and only the
parameters whose names start with one of ``trainable`` may change.

A video tracked from a first-frame mask (VOS) is adapted to that mask
instead, when ``annotation`` is set (:mod:`fgvc.engine.annotation`): the
mask propagated to random warps of its frame must land where the warp moved
it. That objective alone, with its own learning rate, replaces the ones
above for such a video; ``bn_stats`` and ``trainable`` still apply. A video
tracked from query points is adapted to the points' own tracks when
``points`` is set (:mod:`fgvc.engine.point_tracks`): the unadapted encoder
follows each point from its query frame, and the adapted one learns those
tracks between real frames, held near the unadapted affinities by an anchor.

Each step reads only the frames it samples, so memory does not grow with the
video's length. The caller's model is deep-copied and never modified; the
same seed gives the same adapted weights.
"""

import copy
import io
from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.model import ModuleDict
from mmengine.optim import build_optim_wrapper
from mmengine.structures import BaseDataElement
from torch import Tensor, nn
from tqdm import tqdm

from fgvc.fileio import atomic_write
from fgvc.fileio.video_reader import VideoReader
from fgvc.models.losses import encode_pairs
from fgvc.models.losses.builder import build_loss_parts, loss_branches, weighted_losses

from .annotation import ANNOTATION_KEYS, annotation_loss, mask_one_hot
from .point_tracks import (
    POINTS_KEYS,
    QUERY_WARPS_KEYS,
    query_discs,
    tracked_cells,
    tracked_points_loss,
)
from .warps import WARP_KINDS, random_warp, warp_with_flow
from .window import affinity_anchor

__all__ = [
    'BN_STATS',
    'adapt_encoder',
    'affinity_anchor',
    'check_adaptation_options',
    'check_video',
    'random_warp',
    'save_encoder',
    'self_supervised_losses',
    'warp_with_flow',
    'check_steps',
    'default_steps',
    'MAX_ADAPT_STEPS',
    'VIDEO_KINDS',
]

#: What an ``adaptation`` config dict must hold (configs/eval/res18_d1_eval.py),
#: besides the optimiser: ``lr`` (Adam) or a whole ``optim_wrapper``.
REQUIRED_KEYS = (
    'radius',
    'losses',
    'crop_size',
    'batch_size',
    'frame_gaps',
    'max_warp',
    'drop_channels',
)
#: The most adaptation steps a run may ask for (about 40 minutes on 2 CPU
#: cores at the default crop); a larger count is a typo, refused before work.
MAX_ADAPT_STEPS = 10_000
#: ``adaptation.bn_stats``: normalise with each step's batch statistics and
#: update the running ones (``'batch'``, train mode), or keep the encoder's
#: running statistics and use them (``'frozen'``, BatchNorm in eval mode).
BN_STATS = ('batch', 'frozen')


def _is_count(value, low: int) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low


def check_steps(steps: int, steps_name: str = 'steps') -> None:
    """Raise ``ValueError`` naming ``steps_name`` unless ``steps`` is a step
    count in [0, :data:`MAX_ADAPT_STEPS`]."""
    if not _is_count(steps, 0):
        raise ValueError(f'{steps_name} needs a step count >= 0, got {steps}')
    if steps > MAX_ADAPT_STEPS:
        raise ValueError(
            f'{steps_name} needs a step count <= {MAX_ADAPT_STEPS} (more is taken for a typo), '
            f'got {steps}'
        )


#: The kinds of video ``adaptation.default_steps`` gives a step count for: one
#: tracked from a first-frame mask, one tracked from query points.
VIDEO_KINDS = ('masks', 'points')


def default_steps(cfg: Optional[Mapping], kind: str) -> int:
    """The steps a ``kind`` video (:data:`VIDEO_KINDS`) is adapted for when
    the caller gives no count: the ``adaptation`` dict ``cfg``'s
    ``default_steps[kind]``, 0 without one."""
    steps = (cfg or {}).get('default_steps')
    if steps is None:
        return 0
    unknown = set(steps) - set(VIDEO_KINDS)
    if unknown:
        raise ValueError(
            f'adaptation.default_steps gives step counts by kind of video {VIDEO_KINDS}, '
            f'not {sorted(unknown)}'
        )
    for name, count in steps.items():
        check_steps(count, f'adaptation.default_steps.{name}')
    return int(steps.get(kind, 0))


def check_adaptation_options(
    steps: int, cfg: Optional[Mapping], steps_name: str = 'steps', where: str = 'adaptation'
) -> None:
    """Raise an error naming the option when ``steps`` (called ``steps_name``
    by the caller) or the config's ``adaptation`` dict ``cfg`` (called
    ``where``) cannot adapt an encoder. ``cfg`` is only read when ``steps``
    is not 0."""
    check_steps(steps, steps_name)
    if not steps:
        return
    if cfg is None:
        raise KeyError(
            f'{steps_name} needs an `{where}` dict in the config (see configs/eval/res18_d1_eval.py)'
        )
    missing = [k for k in REQUIRED_KEYS if k not in cfg]
    if missing:
        raise KeyError(f'{where} lacks {missing} (see configs/eval/res18_d1_eval.py)')
    if ('lr' in cfg) == ('optim_wrapper' in cfg):
        raise KeyError(f'{where} needs one of lr (Adam) and optim_wrapper, not both or neither')
    size = tuple(cfg['crop_size'])
    if len(size) != 2 or not all(_is_count(v, 1) for v in size):
        raise ValueError(f'{where}.crop_size must be two sizes (h, w) >= 1, got {size}')
    gaps = tuple(cfg['frame_gaps'])
    if len(gaps) != 2 or not all(_is_count(v, 1) for v in gaps) or gaps[0] > gaps[1]:
        raise ValueError(f'{where}.frame_gaps must be (min, max) with 1 <= min <= max, got {gaps}')
    if not _is_count(cfg['batch_size'], 1):
        raise ValueError(f'{where}.batch_size must be an int >= 1, got {cfg["batch_size"]!r}')
    if cfg.get('warp', 'homography') not in WARP_KINDS:
        raise ValueError(f'{where}.warp must be one of {WARP_KINDS}, got {cfg["warp"]!r}')
    _check_scope(cfg, where)


def _good_points(points: Mapping) -> bool:
    if set(points) != set(POINTS_KEYS):
        return False
    gaps = tuple(points['frame_gaps'])
    return (
        points['lr'] > 0
        and _is_count(points['radius'], 1)
        and _is_count(points['batch_size'], 1)
        and points['temperature'] > 0
        and points['disc_radius'] >= 0
        and points['anchor'] >= 0
        and len(gaps) == 2
        and all(_is_count(g, 1) for g in gaps)
        and gaps[0] <= gaps[1]
        and _good_query_warps(points['query_warps'])
    )


def _good_query_warps(warps: Optional[Mapping]) -> bool:
    if warps is None:
        return True
    return (
        set(warps) == set(QUERY_WARPS_KEYS)
        and warps['weight'] >= 0
        and warps['max_warp'] >= 0
        and warps['jitter'] >= 0
    )


def _check_scope(cfg: Mapping, where: str) -> None:
    """Raise an error naming the option when ``bn_stats``, ``trainable``,
    ``anchor``, ``annotation`` or ``points`` (all optional) is malformed."""
    if cfg.get('bn_stats', 'batch') not in BN_STATS:
        raise ValueError(f'{where}.bn_stats must be one of {BN_STATS}, got {cfg["bn_stats"]!r}')
    trainable = cfg.get('trainable')
    if trainable is not None and (
        isinstance(trainable, str) or not all(isinstance(t, str) and t for t in trainable)
    ):
        raise ValueError(
            f'{where}.trainable must be None (every parameter) or a list of parameter-name '
            f"prefixes such as ('layer3.',), got {trainable!r}"
        )
    annotation = cfg.get('annotation')
    if annotation is not None and (
        set(annotation) != set(ANNOTATION_KEYS)
        or not annotation['lr'] > 0
        or not _is_count(annotation['radius'], 1)
        or not _is_count(annotation['batch_size'], 1)
    ):
        raise ValueError(
            f'{where}.annotation must be None (off) or dict({", ".join(ANNOTATION_KEYS)}) with '
            f'lr > 0, radius and batch_size >= 1, got {annotation!r}'
        )
    points = cfg.get('points')
    if points is not None and not _good_points(points):
        raise ValueError(
            f'{where}.points must be None (off) or dict({", ".join(POINTS_KEYS)}) with lr > 0, '
            'radius and batch_size >= 1, temperature > 0, disc_radius and anchor >= 0, '
            'frame_gaps (min, max) with 1 <= min <= max, query_warps None or '
            f'dict({", ".join(QUERY_WARPS_KEYS)}) >= 0 (weight 0: off), got {points!r}'
        )
    anchor = cfg.get('anchor')
    if anchor is not None and (
        set(anchor) != {'weight', 'temperature'}
        or anchor['weight'] < 0
        or anchor['temperature'] <= 0
    ):
        raise ValueError(
            f'{where}.anchor must be None or dict(weight >= 0, temperature > 0) (weight 0: no '
            f'anchor), got {anchor!r}'
        )


def check_video(num_frames: int, frame_hw: Sequence[int], crop: Optional[Sequence[int]]) -> None:
    """Raise ``ValueError`` naming the problem when a video cannot be adapted to
    (``crop`` None: no crops are taken, as when adapting to a mask)."""
    if num_frames < 2:
        raise ValueError(
            f'Adaptation needs a video of at least 2 frames (pairs of frames); got {num_frames}'
        )
    if crop is not None and (frame_hw[0] < crop[0] or frame_hw[1] < crop[1]):
        raise ValueError(
            f'Adaptation crops {crop[0]}x{crop[1]} (h x w) from the encoder input, but the frames '
            f'are {frame_hw[0]}x{frame_hw[1]} there: use larger frames (e.g. a larger short side) '
            'or a smaller adaptation.crop_size'
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
        return torch.stack([ref, warp_with_flow(ref, flow.to(ref))]), flow, flow_back

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


def _build_parts(cfg: Mapping, backbone: nn.Module, device: torch.device) -> ModuleDict:
    channels = backbone.out_channels[-1]
    return build_loss_parts(cfg['losses'], cfg['radius'], channels, 'adaptation.losses').to(device)


def _losses(
    backbone: nn.Module,
    parts: ModuleDict,
    sampler: '_Sampler',
    cfg: Mapping,
    device: torch.device,
    frozen: Optional[nn.Module] = None,
) -> Dict[str, Tensor]:
    """Each part's weighted loss on one freshly drawn batch, with the
    ``anchor_loss`` against the ``frozen`` encoder when one is given."""
    pairs, samples = sampler.batch()
    branches = set(loss_branches(parts))
    if frozen is not None:
        branches.add('real')
    pairs = {b: p.to(device) for b, p in pairs.items() if b in branches}
    for sample in samples:
        sample.flow, sample.flow_back = sample.flow.to(device), sample.flow_back.to(device)
    batch = encode_pairs(backbone, pairs, samples, cfg['radius'], cfg['drop_channels'])
    losses = weighted_losses(parts, batch)
    if frozen is not None:
        anchor = cfg['anchor']
        with torch.no_grad():
            reference = encode_pairs(frozen, {'real': batch.inputs['real']}, samples, 0, (), ())
        losses['anchor_loss'] = anchor['weight'] * affinity_anchor(
            batch.features['real'], reference.features['real'], cfg['radius'], anchor['temperature']
        )
    return losses


def _freeze_bn_stats(backbone: nn.Module) -> None:
    """BatchNorm layers to eval mode: they use and keep their running statistics."""
    for module in backbone.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()


def _freeze_all_but(backbone: nn.Module, prefixes: Optional[Sequence[str]]) -> None:
    """Stop gradients of the parameters whose names start with none of ``prefixes``."""
    if prefixes is None:
        return
    names = [n for n, _ in backbone.named_parameters()]
    if not any(n.startswith(tuple(prefixes)) for n in names):
        raise ValueError(
            f'adaptation.trainable {tuple(prefixes)} names no parameter of the encoder '
            f'(its parameters start with e.g. {sorted({n.split(".")[0] for n in names})})'
        )
    for name, param in backbone.named_parameters():
        param.requires_grad_(name.startswith(tuple(prefixes)))


def _optim_wrapper_cfg(cfg: Mapping) -> dict:
    """``adaptation.optim_wrapper``, or Adam at ``adaptation.lr``."""
    if 'optim_wrapper' in cfg:
        return dict(cfg['optim_wrapper'])
    return dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=cfg['lr']))


def _prepare(model: nn.Module, video: VideoReader, input_size: Optional[Sequence[int]]):
    preprocessor = copy.deepcopy(model.data_preprocessor)
    if input_size is not None:
        preprocessor.input_size = tuple(input_size)
    return preprocessor.normalize, preprocessor.input_size or (video.height, video.width)


def _points_step(
    backbone: nn.Module,
    frozen: nn.Module,
    sampler: _Sampler,
    cells: Tensor,
    pixels: Tensor,
    cfg: Mapping,
) -> Callable[[], Tensor]:
    """One step's loss of adapting to the query points' tracks ``cells``,
    with the query frame's warps when ``cfg['query_warps']`` asks."""
    warps = cfg['query_warps'] if cfg['query_warps'] and cfg['query_warps']['weight'] else None
    if warps:
        frame_index, one_hot = query_discs(pixels, sampler.frame(0).shape[-2:], cfg['disc_radius'])
        frame = sampler.frame(frame_index)
        one_hot = one_hot.to(frame)
        warp_cfg = dict(
            radius=cfg['radius'],
            temperature=cfg['temperature'],
            max_warp=warps['max_warp'],
            jitter=warps['jitter'],
            batch_size=cfg['batch_size'],
        )

    def step() -> Tensor:
        loss = tracked_points_loss(backbone, sampler.frame, cells, cfg, sampler.rng, frozen)
        if warps:
            loss = loss + warps['weight'] * annotation_loss(
                backbone, frame, one_hot, warp_cfg, sampler.rng
            )
        return loss

    return step


def _objective(
    model: nn.Module,
    backbone: nn.Module,
    sampler: _Sampler,
    cfg: Mapping,
    mask: Tuple[Optional[Mapping], Optional[np.ndarray]],
    points: Tuple[Optional[Mapping], Optional[np.ndarray]],
) -> Tuple[ModuleDict, dict, Callable[[], Tensor]]:
    """What adapting ``backbone`` (the copy of ``model``'s) trains besides it,
    its optimiser config, and a function giving one step's loss: the mask's
    (``mask`` = (``cfg['annotation']``, first mask), when both are given),
    the query points' tracks' (``points`` = (``cfg['points']``, queries)),
    or else the self-supervised losses'."""
    device = next(backbone.parameters()).device
    (annotation, first_mask), (points_cfg, queries) = mask, points
    if annotation is not None:
        frame = sampler.frame(0)
        one_hot = mask_one_hot(first_mask, frame.shape[-2:]).to(frame)
        optimiser = _optim_wrapper_cfg(dict(lr=annotation['lr']))
        return (
            ModuleDict(),
            optimiser,
            lambda: annotation_loss(backbone, frame, one_hot, annotation, sampler.rng),
        )
    if points_cfg is not None:
        frozen = copy.deepcopy(model.backbone).eval()
        video, frame_hw = sampler.video, sampler.frame(0).shape[-2:]
        pixels = torch.as_tensor(np.asarray(queries, dtype=np.float32)).reshape(-1, 3)
        pixels = pixels * torch.tensor([1.0, frame_hw[0] / video.height, frame_hw[1] / video.width])
        cells = tracked_cells(frozen, sampler.frame, len(video), pixels, points_cfg)
        return (
            ModuleDict(),
            _optim_wrapper_cfg(dict(lr=points_cfg['lr'])),
            _points_step(backbone, frozen, sampler, cells, pixels, points_cfg),
        )
    parts = _build_parts(cfg, backbone, device)
    anchor = cfg.get('anchor')
    frozen = copy.deepcopy(model.backbone).eval() if anchor and anchor['weight'] else None
    return (
        parts,
        _optim_wrapper_cfg(cfg),
        lambda: sum(_losses(backbone, parts, sampler, cfg, device, frozen).values()),
    )


def adapt_encoder(
    model: nn.Module,
    video: VideoReader,
    steps: int,
    cfg: Mapping,
    input_size: Optional[Sequence[int]] = None,
    seed: int = 0,
    progress: bool = False,
    first_mask: Optional[np.ndarray] = None,
    queries: Optional[np.ndarray] = None,
) -> nn.Module:
    """A copy of ``model`` (a tracker with ``backbone`` and ``data_preprocessor``)
    whose encoder is fine-tuned for ``steps`` steps on ``video``.

    The loss parts are built like training's (:func:`build_loss_parts`) and
    the optimiser is mmengine's wrapper (``adaptation.optim_wrapper``, or
    Adam at ``adaptation.lr``). Gradients are enabled inside, so it also runs
    where the caller disabled them (mmengine's test loop).

    Args:
        model: The caller's tracker; it is not modified.
        video: The video to be tracked (only its frames are read).
        steps: Optimiser steps; 0 returns an unchanged copy.
        cfg: The eval config's ``adaptation`` dict: ``radius``, ``losses``
            (loss-part configs as in training), ``crop_size`` (h, w),
            ``batch_size``, ``lr`` or ``optim_wrapper``, ``frame_gaps``
            (min, max), ``max_warp`` (pixels), ``warp`` (``'homography'``
            or ``'affine'``), ``drop_channels``; optionally ``bn_stats``
            (:data:`BN_STATS`, default ``'batch'``), ``trainable``
            (parameter-name prefixes; default None: all) and ``anchor``
            (``dict(weight, temperature)`` of :func:`affinity_anchor`;
            default None).
        input_size: (h, w) the frames are resized to before cropping (the
            tracking resolution); None keeps the preprocessor's.
        seed: Seeds the sampling, the colour dropout and the heads.
        progress: Show a progress bar.
        first_mask: ``[H, W]`` integer object ids of frame 0 (0 background),
            the input of semi-supervised VOS; with ``cfg['annotation']``
            (``dict(lr, radius, temperature, max_warp, jitter, batch_size)``)
            the encoder is adapted to it alone
            (:func:`fgvc.engine.annotation.annotation_loss`, Adam at the
            annotation's ``lr``) instead of the self-supervised losses.
        queries: ``[N, 3]`` (t, y, x) query points in the video's pixels,
            the input of point tracking; with ``cfg['points']``
            (``dict(lr, radius, temperature, disc_radius, batch_size,
            frame_gaps, anchor, query_warps)``) and no ``first_mask`` the encoder is
            adapted to the points' tracks
            (:func:`fgvc.engine.point_tracks.tracked_points_loss`, Adam at
            the points' ``lr``) instead of the self-supervised losses.
    """
    check_adaptation_options(steps, cfg)
    adapted = copy.deepcopy(model)
    if steps == 0:
        return adapted
    prepare, size = _prepare(model, video, input_size)
    annotation = cfg.get('annotation') if first_mask is not None else None
    has_queries = queries is not None and len(queries) > 0
    points = cfg.get('points') if has_queries and annotation is None else None
    crops = annotation is None and points is None
    check_video(len(video), size, cfg['crop_size'] if crops else None)
    parameter = next(adapted.backbone.parameters(), None)
    if parameter is None:
        raise ValueError(
            f'{type(adapted.backbone).__name__} has no parameters: there is nothing to adapt '
            '(give 0 adaptation steps)'
        )
    device = parameter.device
    with torch.random.fork_rng(devices=[device] if device.type == 'cuda' else []):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        sampler = _Sampler(video, prepare, cfg, rng)
        parts, optimiser, step_loss = _objective(
            model, adapted.backbone, sampler, cfg, (annotation, first_mask), (points, queries)
        )
        grads = [p.requires_grad for p in adapted.backbone.parameters()]
        _freeze_all_but(adapted.backbone, cfg.get('trainable'))
        trained = ModuleDict(dict(backbone=adapted.backbone, parts=parts))
        optim_wrapper = build_optim_wrapper(trained, optimiser)
        trained.train()
        if cfg.get('bn_stats', 'batch') == 'frozen':
            _freeze_bn_stats(adapted.backbone)
        with torch.enable_grad():
            for _ in tqdm(range(steps), desc='adapting the encoder', disable=not progress):
                optim_wrapper.update_params(step_loss())
        for param, grad in zip(adapted.backbone.parameters(), grads):
            param.requires_grad_(grad)
    adapted.eval()
    return adapted


@torch.no_grad()
def self_supervised_losses(
    model: nn.Module,
    video: VideoReader,
    cfg: Mapping,
    input_size: Optional[Sequence[int]] = None,
    seed: int = 0,
    batches: int = 4,
) -> Dict[str, float]:
    """Mean weighted loss of each part over ``batches`` batches drawn with
    ``seed`` from ``video`` (encoder in eval mode; heads freshly seeded), to
    compare encoders on the same draws."""
    check_adaptation_options(1, cfg)
    prepare, size = _prepare(model, video, input_size)
    check_video(len(video), size, cfg['crop_size'])
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


def save_encoder(model: nn.Module, path: str, backbone_cfg: Mapping) -> None:
    """Write ``model``'s encoder as a checkpoint (keys under ``backbone.``),
    atomically. Like a trained checkpoint, it stores the config of its
    encoder (``meta.cfg``: ``model.backbone`` = ``backbone_cfg``), so it
    loads with ``--checkpoint`` whatever the encoder's width and depth."""
    state = {f'backbone.{k}': v.detach().cpu() for k, v in model.backbone.state_dict().items()}
    meta = dict(cfg=Config(dict(model=dict(backbone=dict(backbone_cfg)))).pretty_text)
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state, meta=meta), buffer)
    atomic_write(path, buffer.getvalue())
