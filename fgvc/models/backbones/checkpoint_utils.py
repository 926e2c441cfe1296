"""Turn third-party and release ResNet checkpoints into checkpoints of our encoder.

Checkpoints of ImageNet, MoCo, DetCo or DINO training nest their weights
(``state_dict`` / ``model`` / ``module``) and prefix their keys with wrapper
names (``module.encoder_q.conv1.weight``). The helpers here unwrap them,
strip the prefixes, drop classifier heads and compare the result with a
model, reporting missing, unexpected and wrong-shape keys.

The authors' release saves its models in mmcv's layout:
:func:`convert_release_state_dict` (:mod:`.release_layout`, also importable
from here) renames them. :func:`convert_checkpoint` turns any of these into a
checkpoint of our encoder (``tools/convert_checkpoint.py``); the strict rule
it and every loader apply is :func:`.fitting.fit_state_dict`.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from torch import Tensor, nn

from .fitting import (
    CheckpointMismatchError,
    fit_state_dict,
    listed_keys,
    unbuilt_stage_keys,
    unwrap_ddp,
)
from .release_layout import (
    RELEASE_ENCODERS,
    ReleaseConversion,
    convert_release_state_dict,
    is_release_layout,
    release_resnet_key,
)
from .resnet import ResNet

__all__ = [
    'HEAD_PREFIXES',
    'MOMENTUM_PREFIXES',
    'NESTED_KEYS',
    'WRAPPER_PREFIXES',
    'Conversion',
    'LoadReport',
    'convert_checkpoint',
    'drop_prefixed',
    'extract_state_dict',
    'match_state_dict',
    'strip_prefixes',
    # the release layout's converter, named here for the converters' users
    'ReleaseConversion',
    'convert_release_state_dict',
    'is_release_layout',
    'release_resnet_key',
]

NESTED_KEYS: Tuple[str, ...] = ('state_dict', 'model', 'module')
WRAPPER_PREFIXES: Tuple[str, ...] = ('module.', 'encoder_q.', 'encoder.', 'backbone.', 'student.')
HEAD_PREFIXES: Tuple[str, ...] = ('fc.', 'head.', 'heads.', 'neck.')


def extract_state_dict(
    checkpoint: dict, nested_keys: Sequence[str] = NESTED_KEYS
) -> Dict[str, Tensor]:
    """Descend into ``state_dict`` / ``model`` / ``module`` sub-dicts while
    present and return the tensors of the innermost one."""
    state = checkpoint
    while True:
        inner = next((state[key] for key in nested_keys if isinstance(state.get(key), dict)), None)
        if inner is None:
            break
        state = inner
    return {k: v for k, v in state.items() if isinstance(v, Tensor)}


def strip_prefixes(
    state_dict: Dict[str, Tensor], prefixes: Sequence[str] = WRAPPER_PREFIXES
) -> Dict[str, Tensor]:
    """Remove any of ``prefixes`` from the start of every key, repeatedly
    (``module.encoder_q.conv1.weight`` -> ``conv1.weight``).

    Raises:
        ValueError: if two keys become the same key.
    """
    stripped: Dict[str, Tensor] = {}
    for key, value in state_dict.items():
        new_key = key
        while True:
            prefix = next((p for p in prefixes if new_key.startswith(p)), None)
            if prefix is None:
                break
            new_key = new_key[len(prefix) :]
        if new_key in stripped:
            raise ValueError(
                f'stripping {list(prefixes)} maps two keys to {new_key!r} (the last one: {key!r})'
            )
        stripped[new_key] = value
    return stripped


def drop_prefixed(
    state_dict: Dict[str, Tensor], prefixes: Sequence[str] = HEAD_PREFIXES
) -> Dict[str, Tensor]:
    """Drop the keys that start with any of ``prefixes`` (classifier heads)."""
    return {k: v for k, v in state_dict.items() if not k.startswith(tuple(prefixes))}


@dataclass
class LoadReport:
    """What happens when a state dict is loaded into a model."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    # (key, shape in the checkpoint, shape in the model)
    mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether every key matched by name and shape."""
        return not (self.missing or self.unexpected or self.mismatched)

    def format(self) -> str:
        """Human-readable summary; unexpected keys are grouped by their
        first component (``encoder_k.* (122 keys)``)."""
        if self.clean:
            return 'all keys match the model'
        lines = [f'missing in the checkpoint: {key}' for key in self.missing]
        groups = Counter(key.split('.')[0] for key in self.unexpected)
        lines += [
            f'unexpected (dropped): {name}.* ({count} keys)'
            if count > 1
            else f'unexpected (dropped): {name}'
            for name, count in groups.items()
        ]
        lines += [
            f'shape mismatch (dropped): {key}: checkpoint {list(ckpt)}, model {list(model)}'
            for key, ckpt, model in self.mismatched
        ]
        return '\n'.join(lines)


def match_state_dict(
    model: nn.Module, state_dict: Dict[str, Tensor]
) -> Tuple[Dict[str, Tensor], LoadReport]:
    """Load ``state_dict`` into ``model`` non-strictly and report how it went.

    Returns:
        The subset of ``state_dict`` that matches the model by name and shape
        (it loads into ``model`` without errors), and the report; keys of
        the wrong shape are listed as mismatched, not as missing.
    """
    model_state = model.state_dict()
    mismatched = [
        (key, tuple(value.shape), tuple(model_state[key].shape))
        for key, value in state_dict.items()
        if key in model_state and value.shape != model_state[key].shape
    ]
    wrong = {key for key, _, _ in mismatched}
    matched = {k: v for k, v in state_dict.items() if k in model_state and k not in wrong}
    result = model.load_state_dict(matched, strict=False)
    report = LoadReport(
        missing=[k for k in result.missing_keys if k not in wrong],
        unexpected=[k for k in state_dict if k not in model_state],
        mismatched=mismatched,
    )
    return matched, report


MOMENTUM_PREFIXES: Tuple[str, ...] = ('encoder_k.', 'queue')


@dataclass
class Conversion:
    """The result of :func:`convert_checkpoint`: the state dict to save (empty
    when ``error``), what was done (lines to print) and why nothing may be
    saved (None when it may)."""

    state_dict: Dict[str, Tensor]
    lines: List[str]
    error: Optional[str] = None


def convert_checkpoint(
    checkpoint: Mapping,
    encoder: ResNet,
    source: str,
    strip: Sequence[str] = (),
    drop: Sequence[str] = (),
    out_prefix: str = 'backbone.',
    allow_partial: bool = False,
) -> Conversion:
    """A checkpoint's encoder weights for ``encoder``, keys under ``out_prefix``.

    A release-layout checkpoint (:data:`RELEASE_STEM`) is renamed by
    :func:`convert_release_state_dict`; each of its ResNets (the encoder,
    and a training checkpoint's teacher) must then fit ``encoder`` strictly
    (:func:`fit_state_dict`: stages ``encoder`` does not build are dropped and
    said so), and everything it maps is kept: the encoder under
    ``out_prefix``, the teacher and the correlation head under our tracker's
    names (``losses.sup_loss.teacher.``, ``losses.corr_da_loss.head.``), so that
    the file serves ``load_from`` of the release-named training config too.

    Any other checkpoint (torchvision, MoCo, DetCo, DINO) is unwrapped
    (:func:`extract_state_dict`), its wrapper prefixes (and ``strip``) removed,
    its classifier heads (and ``drop``) left out, and the rest matched with
    ``encoder``. Left out and reported: stages ``encoder`` does not build and
    MoCo's momentum encoder and queues (:data:`MOMENTUM_PREFIXES`). Any other
    key that maps nowhere is an error (``drop`` names what to leave out), and
    so are missing or wrong-shape encoder weights unless ``allow_partial``.
    """
    state = extract_state_dict(checkpoint)
    if is_release_layout(unwrap_ddp(state)[0]):
        return _convert_release(state, encoder, source, out_prefix)
    state = strip_prefixes(state, WRAPPER_PREFIXES + tuple(strip))
    state = drop_prefixed(state, HEAD_PREFIXES + tuple(drop))
    matched, report = match_state_dict(encoder, state)
    lines = [report.format()]
    if (report.missing or report.mismatched) and not allow_partial:
        return Conversion(
            {},
            lines,
            f'not saved: {len(report.missing)} missing and {len(report.mismatched)} wrong-shape '
            'encoder weights (--allow-partial saves the rest)',
        )
    unbuilt = set(unbuilt_stage_keys(encoder, state))
    stray = [
        k for k in report.unexpected if k not in unbuilt and not k.startswith(MOMENTUM_PREFIXES)
    ]
    if stray:
        return Conversion(
            {},
            lines,
            f'not saved: {len(stray)} key(s) of {source} map nowhere in the encoder: '
            f'{listed_keys(stray)}; name what to leave out with --drop PREFIX',
        )
    return Conversion({out_prefix + k: v for k, v in matched.items()}, lines)


def _convert_release(
    state: Mapping[str, Tensor], encoder: ResNet, source: str, out_prefix: str
) -> Conversion:
    """:func:`convert_checkpoint` of a release-layout state dict."""
    try:
        converted, report = convert_release_state_dict(state)
    except ValueError as error:
        return Conversion({}, [], f'not saved: {source}: {error}')
    lines = [report.describe()]
    encoders = [
        ours for release, (ours, _) in report.modules.items() if release in RELEASE_ENCODERS
    ]
    saved: Dict[str, Tensor] = {}
    for prefix in encoders:  # a bare encoder ('') comes alone
        part = {k[len(prefix) :]: v for k, v in converted.items() if k.startswith(prefix)}
        target = out_prefix if prefix in ('', 'backbone.') else prefix
        name = f'the encoder for {prefix or "(bare) "}*'
        try:
            fitted, notes = fit_state_dict(encoder, part, source, name)
        except CheckpointMismatchError as error:
            return Conversion({}, lines, f'not saved: {error}')
        lines += notes
        saved.update((target + k, v) for k, v in fitted.items())
        converted = {k: v for k, v in converted.items() if not k.startswith(prefix)}
    saved.update(converted)  # the heads
    return Conversion(saved, lines)
