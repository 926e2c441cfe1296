"""Track points or propagate a mask through the user's own video.

:class:`Predictor` builds an evaluation model from a config (by default the
TAP-Vid settings of ``configs/eval/res18_d1_eval.py`` for points and its VOS
settings for masks), loads a checkpoint, and runs the model's own
``PointTracker.track`` or ``MaskTracker.segment`` over a video read a chunk of
frames at a time (:mod:`fgvc.fileio.video_reader`): frames are encoded only when the
propagation reaches them and only its memory window is kept, so the length of
the video bounds time, not memory.

Coordinates are in the video's own pixels (see :mod:`fgvc.apis.queries`):
pixel column ``i`` covers ``[i, i + 1)``. Frames are resized for the encoder
keeping their aspect ratio (:func:`encoder_size`); queries are mapped into that
raster and tracks mapped back.
"""

import copy
import os.path as osp
import warnings
from typing import Iterator, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log

from fgvc.engine.adaptation import (
    VIDEO_KINDS,
    adapt_encoder,
    check_adaptation_options,
    default_steps,
    save_encoder,
)
from fgvc.evaluation.tasks import prepare_test_config
from fgvc.fileio import VOID
from fgvc.fileio.video_reader import VideoReader, VideoSource, open_video
from fgvc.models.export import OnnxEncoder
from fgvc.registry import MATCHERS, MODELS
from fgvc.resources import config_path
from fgvc.utils import register_all_modules, retyped

from .progress import ProgressBar, ProgressCallback, report_stage
from .queries import Queries, queries_in_video
from .weights import DEFAULT_WEIGHTS, encoder_type_of, resolve_weights

#: The evaluation config, shipped with the package (installed or in the clone).
DEFAULT_CONFIG = config_path('eval/res18_d1_eval.py')
#: Encoder input: the short side of the frames (never upsampled), both sides
#: rounded to a multiple of ``SIZE_MULTIPLE``.
DEFAULT_SHORT_SIDE = 256
SIZE_MULTIPLE = 8
#: Bound on the features propagation holds at once (seed frames and memory window).
DEFAULT_MAX_MEMORY_MB = 1024
#: Seed of an untrained encoder's random weights, so that untrained runs repeat.
UNTRAINED_SEED = 0
#: The stage ``on_progress`` hears while the encoder is adapted (steps, not frames).
ADAPTING = 'adapting the encoder'
#: The arguments whose errors a caller may name otherwise (``option_names``).
_NAMED_ARGUMENTS = ('device', 'short_side', 'adapt_steps', 'encoder_onnx', 'save_adapted')
QUICKSTART_HINT = (
    'Train one with `bash tools/quickstart.sh` (a few minutes on CPU): it leaves '
    'work_dirs/quickstart/<config name>/train/last_checkpoint; pass that file or its folder '
    "as the checkpoint. The authors' released FGVC checkpoints load directly too."
)


def untrained_encoder_message(reason: str = 'no checkpoint given') -> str:
    """What to tell a user whose default encoder is untrained, and why."""
    return (
        f'No trained weights: {reason}, so the encoder is UNTRAINED (random weights) and '
        'tracks and masks will be poor. ' + QUICKSTART_HINT
    )


def resolve_device(device: str, name: str = 'device') -> torch.device:
    """``device`` ('auto': CUDA when available, else CPU) as a torch device;
    ``ValueError`` naming it (as ``name``, how the caller calls the option)
    when it is not one or is not available here."""
    if device == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise ValueError(
            f"{name} {device!r} is not a device ('auto', 'cpu', 'cuda', 'cuda:1')"
        ) from None
    if resolved.type == 'cuda':
        if not torch.cuda.is_available():
            raise ValueError(
                f'{name} {device}: CUDA is not available here (no GPU visible, or torch '
                f'{torch.__version__} is built without CUDA); use {name} cpu'
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f'{name} {device}: there are {torch.cuda.device_count()} CUDA device(s)'
            )
    elif resolved.type != 'cpu':
        raise ValueError(f"{name} {device}: only 'cpu' and 'cuda' devices are supported")
    return resolved


def check_short_side(short_side: Optional[int], name: str = 'short_side') -> None:
    """``ValueError`` naming ``name`` unless the encoder input short side is
    None or at least :data:`SIZE_MULTIPLE` pixels."""
    if short_side is not None and not short_side >= SIZE_MULTIPLE:
        raise ValueError(
            f'{name} must be at least {SIZE_MULTIPLE} pixels (the encoder input is a '
            f'multiple of {SIZE_MULTIPLE}), got {short_side}'
        )


def encoder_size(
    height: int,
    width: int,
    short_side: Optional[int] = DEFAULT_SHORT_SIDE,
    multiple: int = SIZE_MULTIPLE,
) -> Tuple[int, int]:
    """Encoder input (h, w) for ``height`` x ``width`` frames: the short side
    scaled to ``short_side`` (never enlarged; None keeps the frame size), the
    aspect ratio kept, both rounded to a multiple of ``multiple``."""
    scale = 1.0 if short_side is None else min(1.0, short_side / min(height, width))
    return tuple(
        max(multiple, int(round(side * scale / multiple)) * multiple) for side in (height, width)
    )


def with_matcher(matcher_cfg: dict, matcher_type: str) -> dict:
    """A config's matcher (a dict naming a registered matcher and its options)
    replaced by a ``matcher_type``, keeping the options of the config's that
    the new type takes (e.g. ``neighbor_range`` from LocalMatcher to DenseMatcher)."""
    matcher_cls = MATCHERS.get(matcher_type)
    if matcher_cls is None:
        raise KeyError(
            f'Unknown matcher {matcher_type!r}: registered are {sorted(MATCHERS.module_dict)}'
        )
    return retyped(dict(matcher_cfg), matcher_type, matcher_cls)


class Predictor:
    """Point tracking and mask propagation on any video.

    Args:
        config: config file or :class:`Config` with a ``tasks`` dict (like
            ``configs/eval/res18_d1_eval.py``).
        checkpoint: encoder weights (the rule: :mod:`fgvc.apis.weights`):
            ``'default'``, the model shipped with the package (the encoder
            stays untrained, with a warning, when none is shipped for the
            config's encoder); ``'zoo:NAME'``, another shipped model; None
            (or ``'none'``), the untrained encoder, without a warning; or a
            checkpoint file, a ``last_checkpoint`` file or a training work
            dir holding one. The encoder's width and depth come from the
            zoo's manifest, or the training config stored in the checkpoint
            when it has one. An untrained encoder's weights (``'none'``, or
            the default with no shipped model) are drawn with the seed
            :data:`UNTRAINED_SEED`, so untrained runs repeat exactly.
            Shipped files are checked against their sha256;
            a checkpoint is read once, safely: one holding types other than
            weights is refused (:class:`fgvc.utils.UnsafeCheckpointError`)
            unless ``trust_checkpoint``. :attr:`weights` says which were used.
        device: 'auto' (CUDA when available, else CPU), or a torch device
            (checked: :func:`resolve_device`).
        short_side: encoder input short side (see :func:`encoder_size`), at
            least :data:`SIZE_MULTIPLE`.
        point_task, mask_task: the config's tasks whose model settings track
            points and propagate masks.
        cfg_options: config overrides (dotted keys), applied last.
        max_memory_mb: bound on the features propagation holds at once (see
            :class:`fgvc.propagation.PropagationConfig`), unless the config
            sets one: many query frames are then tracked in several passes.
        progress: show progress bars over frames.
        encoder_onnx: an encoder exported by ``tools/export.py --format onnx``,
            run through onnxruntime instead of the PyTorch encoder
            (propagation stays in PyTorch). It holds the weights: the default
            ``checkpoint`` then loads none, :attr:`weights` names the file,
            and it cannot be adapted (``adapt_steps`` must be None or 0; None
            adapts nothing then).
        warn_untrained: log which weights are used, and warn (``UserWarning``)
            when the default left the encoder untrained.
        trust_checkpoint: load a checkpoint holding other types with full
            unpickling, which runs any code it names (only for trusted files).
        adapt_steps: fine-tune a copy of the encoder for this many steps (at
            most :data:`fgvc.engine.adaptation.MAX_ADAPT_STEPS`) on
            each video before tracking it (the config's ``adaptation``
            settings, :mod:`fgvc.engine.adaptation`); 0 tracks with the
            checkpoint as it is; None (the default) takes the config's
            ``adaptation.default_steps`` for the kind of video (the shipped
            config: 40 steps for a video tracked from a mask, which it learns,
            and none for points). The loaded model is never modified.
        adapt_seed: seed of the adaptation (same seed, same adapted weights).
        save_adapted: write the encoder adapted to the latest video there
            (never the file the weights are read from, also a shipped model's).
        on_progress: called with ``(stage, done, total)`` as adaptation and
            tracking advance (:mod:`fgvc.apis.progress`), e.g. to show
            progress in a web page; independent of ``progress``.
        matcher: a registered matcher (``LocalMatcher``, ``CoarseToFineMatcher``,
            ``DenseMatcher``, ...) replacing the config's in every task,
            with the config's options that it takes (:func:`with_matcher`);
            None keeps the config's.
        option_names: how errors name these arguments, by argument (e.g. a
            command line's flags, ``{'device': '--device'}``); an argument
            left out is named as itself.
    """

    def __init__(
        self,
        config: Union[str, Config] = DEFAULT_CONFIG,
        checkpoint: Optional[str] = DEFAULT_WEIGHTS,
        device: str = 'auto',
        short_side: Optional[int] = DEFAULT_SHORT_SIDE,
        point_task: str = 'davis',
        mask_task: str = 'vos',
        cfg_options: Optional[dict] = None,
        max_memory_mb: float = DEFAULT_MAX_MEMORY_MB,
        progress: bool = False,
        encoder_onnx: Optional[str] = None,
        warn_untrained: bool = True,
        trust_checkpoint: bool = False,
        adapt_steps: Optional[int] = None,
        adapt_seed: int = 0,
        save_adapted: Optional[str] = None,
        on_progress: Optional[ProgressCallback] = None,
        matcher: Optional[str] = None,
        option_names: Optional[Mapping[str, str]] = None,
    ):
        register_all_modules()
        named = {k: (option_names or {}).get(k, k) for k in _NAMED_ARGUMENTS}
        check_short_side(short_side, named['short_side'])
        self.device = resolve_device(device, named['device'])
        self.config = Config.fromfile(config) if isinstance(config, str) else config
        self._check_adapt_steps(adapt_steps, encoder_onnx, named)
        if encoder_onnx is not None and checkpoint == DEFAULT_WEIGHTS:
            checkpoint = None  # the exported encoder holds the weights
        self.adapt_steps = adapt_steps
        self.adapt_seed = adapt_seed
        self.save_adapted = save_adapted
        encoder_type = encoder_type_of(self.config, cfg_options)
        self.weights = resolve_weights(checkpoint, trust_checkpoint, encoder_type)
        self._weights = self.weights.checkpoint
        self.checkpoint = self.weights.path
        self.options = dict(self.weights.options)
        self.options.update(cfg_options or {})
        if (
            save_adapted
            and self.checkpoint
            and osp.realpath(save_adapted) == osp.realpath(self.checkpoint)
        ):
            raise ValueError(
                f'{named["save_adapted"]} {save_adapted} is the checkpoint being read '
                f'({self.checkpoint}): writing it would replace the trained weights; choose '
                'another path'
            )
        self.short_side = short_side
        self.point_task = point_task
        self.mask_task = mask_task
        self.max_memory_mb = max_memory_mb
        self.progress = progress
        self.encoder_onnx = encoder_onnx
        self.on_progress = on_progress
        self.matcher = matcher
        self._models = {}
        self._task_cfgs = {}  # each task's prepared config, overrides applied
        self.model(point_task)  # config and checkpoint errors show at once
        self._check_steps_by_kind(named)
        if encoder_onnx is not None:
            self.weights.description = f'ONNX encoder {encoder_onnx} (run by onnxruntime)'
        elif self._weights is None and not self.untrained:
            self.weights.description = 'none: the encoder has no weights'
        if warn_untrained:
            print_log(f'Weights: {self.weights.description}', logger='current')
            if self.weights.fallback and self.untrained:
                warnings.warn(untrained_encoder_message(self.weights.fallback), stacklevel=2)

    def _check_adapt_steps(
        self, adapt_steps: Optional[int], encoder_onnx: Optional[str], named: Mapping[str, str]
    ) -> None:
        """An explicit step count, before any work: in range, adaptable config, not ONNX."""
        if adapt_steps is None:
            return
        check_adaptation_options(adapt_steps, self.config.get('adaptation'), named['adapt_steps'])
        if encoder_onnx is not None and adapt_steps:
            raise ValueError(
                f'Adaptation fine-tunes the PyTorch encoder, which the ONNX encoder {encoder_onnx} '
                f'replaces: give {named["adapt_steps"]} 0, or no {named["encoder_onnx"]}'
            )

    def _check_steps_by_kind(self, named: Mapping[str, str]) -> None:
        """Each kind of video's steps (the config's default ones too) against
        the task's config, overrides applied; a ``save_adapted`` that nothing
        would write refused."""
        adaptation = self._task_cfgs[self.point_task].get('adaptation')
        steps = {kind: self.adapt_steps_for(kind) for kind in VIDEO_KINDS}
        where = named['adapt_steps'] if self.adapt_steps is not None else 'default_steps'
        for kind, count in steps.items():
            check_adaptation_options(count, adaptation, f'{where} ({kind})')
        if self.save_adapted and not any(steps.values()):
            raise ValueError(
                f'{named["save_adapted"]} {self.save_adapted}: no video is adapted (give '
                f'{named["adapt_steps"]} > 0), so nothing would be written'
            )

    @property
    def untrained(self) -> bool:
        """True when the encoder has weights but no checkpoint (or ONNX encoder) was given."""
        if self.encoder_onnx is not None:
            return False
        return self.checkpoint is None and self.has_parameters

    @property
    def has_parameters(self) -> bool:
        """True when the encoder has weights (to load, or to adapt)."""
        return any(True for _ in self.model(self.point_task).backbone.parameters())

    def model(self, task: str) -> torch.nn.Module:
        """The evaluation model of one of the config's tasks, built once."""
        if task not in self._models:
            cfg = prepare_test_config(
                copy.deepcopy(self.config), task, work_dir='', options=self.options
            )
            if self.matcher is not None:
                propagation = cfg.model.propagation
                propagation.matcher = with_matcher(propagation.get('matcher', {}), self.matcher)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(UNTRAINED_SEED)  # untrained weights repeat; others are loaded
                model = MODELS.build(cfg.model)
            self._task_cfgs[task] = cfg
            if self._weights is not None:
                self._weights.load_into(model)
            if self.encoder_onnx is not None:
                model.use_encoder(OnnxEncoder(self.encoder_onnx, self.device))
            self._models[task] = model.to(self.device).eval()
        return self._models[task]

    def adapt_steps_for(self, kind: str) -> int:
        """The steps a video of ``kind`` (``'masks'`` or ``'points'``,
        :data:`~fgvc.engine.adaptation.VIDEO_KINDS`) is adapted for."""
        if self.adapt_steps is not None:
            return self.adapt_steps
        if self.encoder_onnx is not None or not self.has_parameters:
            return 0  # an ONNX or parameter-free encoder cannot be fine-tuned
        return default_steps(self._task_cfgs[self.point_task].get('adaptation'), kind)

    def model_for(
        self,
        task: str,
        reader: VideoReader,
        input_hw: Tuple[int, int],
        first_mask: Optional[np.ndarray] = None,
        queries: Optional[np.ndarray] = None,
    ):
        """The task's model, or a copy adapted to ``reader`` (frames at
        ``input_hw``, and ``first_mask`` or the query points ``queries``
        (t, y, x) in the video's pixels when the config's
        ``adaptation.annotation`` or ``adaptation.points`` asks for them)
        with :meth:`adapt_steps_for` its kind of video."""
        model = self.model(task)
        steps = self.adapt_steps_for('points' if first_mask is None else 'masks')
        if not steps:
            return model
        cfg = self._task_cfgs[task]
        report_stage(self.on_progress, ADAPTING, 0, steps)
        adapted = adapt_encoder(
            model,
            reader,
            steps,
            cfg.adaptation,
            input_size=input_hw,
            seed=self.adapt_seed,
            progress=self.progress,
            first_mask=first_mask,
            queries=queries,
        )
        if self.save_adapted:
            save_encoder(adapted, self.save_adapted, cfg.model.backbone)
        report_stage(self.on_progress, ADAPTING, steps, steps)
        return adapted

    def encoder_size(self, reader: VideoReader) -> Tuple[int, int]:
        """Encoder input (h, w) for the frames of ``reader``."""
        return encoder_size(reader.height, reader.width, self.short_side)

    def _features(self, model, reader: VideoReader, input_hw: Tuple[int, int], bar: ProgressBar):
        """Lazily encoded features of ``reader``'s frames resized to ``input_hw``."""

        def load(start: int, stop: int) -> torch.Tensor:
            frames = torch.from_numpy(np.ascontiguousarray(reader.read(start, stop)))
            bar.update(stop - start)
            return model.data_preprocessor.normalize(frames, input_hw)

        return model.lazy_features(len(reader), load)

    def _bar(self, total: int, desc: str) -> ProgressBar:
        return ProgressBar(total, desc, self.progress, self.on_progress)

    @torch.no_grad()
    def __call__(self, video: VideoSource, queries: Queries) -> Tuple[np.ndarray, np.ndarray]:
        """Track query points through a video.

        Args:
            video: a video file, a folder of frames, a uint8 ``[T, H, W, 3]``
                RGB array or a :class:`VideoReader`.
            queries: ``[N, 3]`` (t, x, y) in the video's pixels, or a spec
                string (``grid:N``, a CSV file, ``"t,x,y;t,x,y"``).

        Returns:
            ``tracks`` float32 ``[T, N, 2]`` (x, y) in the video's pixels and
            ``visibility`` bool ``[T, N]``. Every frame gets a position, also
            frames before a point's query frame (propagated backwards).
        """
        reader = open_video(video)
        queries = queries_in_video(queries, reader)
        input_hw = self.encoder_size(reader)
        model = self.model_for(self.point_task, reader, input_hw, queries=queries[:, [0, 2, 1]])
        # (x, y) scale from the video's pixels to the encoder raster
        scale = np.array([input_hw[1] / reader.width, input_hw[0] / reader.height])
        query_frames = np.round(queries[:, 0])
        points = torch.as_tensor(
            np.concatenate([query_frames[:, None], (queries[:, 1:] * scale)[:, ::-1]], 1),
            dtype=torch.float32,
            device=self.device,
        )
        # frames are encoded about once per direction (more if memory splits passes)
        directions = 2 if query_frames.max() > 0 else 1
        with self._bar(len(reader) * directions, 'tracking') as bar:
            features = self._features(model, reader, input_hw, bar)
            tracks, occluded = model.track(
                features, points, input_hw, bidirectional=True, max_memory_mb=self.max_memory_mb
            )
            bar.finish()
        tracks = tracks.cpu().numpy() / scale
        return (
            tracks.transpose(1, 0, 2).astype(np.float32),
            ~occluded.cpu().numpy().transpose(1, 0),
        )

    def first_mask_labels(self, first_mask: np.ndarray, reader: VideoReader) -> np.ndarray:
        """Check a first-frame mask against the video; a binary 0/255 mask
        becomes object 1. Returns uint8 ``[H, W]`` ids (255 void)."""
        mask = np.asarray(first_mask)
        if mask.ndim != 2:
            raise ValueError(
                f'The first-frame mask must be one channel of object ids [H, W], '
                f'got shape {list(mask.shape)}'
            )
        if mask.shape != (reader.height, reader.width):
            raise ValueError(
                f'The first-frame mask is {mask.shape[1]}x{mask.shape[0]} but the '
                f'frames of {reader.name} are {reader.width}x{reader.height}'
            )
        if mask.dtype != np.uint8:
            raise ValueError(f'The first-frame mask must be uint8 object ids, got {mask.dtype}')
        if set(np.unique(mask).tolist()) == {0, VOID}:
            mask = (mask != 0).astype(np.uint8)
        if not np.where(mask == VOID, 0, mask).any():
            raise ValueError('The first-frame mask shows no object (all background or void)')
        return mask

    def iter_segment(
        self, video: VideoSource, first_mask: np.ndarray
    ) -> Iterator[Tuple[int, np.ndarray]]:
        """Propagate a first-frame mask; yields ``(t, mask_t)`` for every frame
        in order, uint8 ``[H, W]`` object ids at the video's size (frame 0 is
        the given mask, void as background). The mask is checked at once."""
        reader = open_video(video)
        mask = self.first_mask_labels(first_mask, reader)
        return self._segment(reader, mask)

    @torch.no_grad()
    def _segment(self, reader: VideoReader, mask: np.ndarray) -> Iterator[Tuple[int, np.ndarray]]:
        input_hw = self.encoder_size(reader)
        model = self.model_for(self.mask_task, reader, input_hw, mask)
        num_objects = int(np.where(mask == VOID, 0, mask).max())
        with self._bar(len(reader), 'segmenting') as bar:
            features = self._features(model, reader, input_hw, bar)
            first = torch.from_numpy(mask)
            for t, labels in model.segment(features, first, num_objects, self.max_memory_mb):
                yield t, labels.cpu().numpy()

    def segment(self, video: VideoSource, first_mask: np.ndarray) -> np.ndarray:
        """Propagate a first-frame mask (uint8 object ids ``[H, W]``, 0
        background, 255 void; a 0/255 mask is one object) through a video.

        Returns:
            uint8 ``[T, H, W]`` object ids at the video's size.
        """
        return np.stack([mask for _, mask in self.iter_segment(video, first_mask)])
