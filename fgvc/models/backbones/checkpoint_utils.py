"""State dicts of other layouts in our names, and the strict fit of a state dict to a model.

Checkpoints of ImageNet, MoCo, DetCo or DINO training nest their weights
(``state_dict`` / ``model`` / ``module``) and prefix their keys with wrapper
names (``module.encoder_q.conv1.weight``). The helpers here unwrap them,
strip the prefixes, drop classifier heads and compare the result with a
model, reporting missing, unexpected and wrong-shape keys.

The authors' release saves its models in mmcv's layout:
:func:`convert_release_state_dict` renames them (its docstring and the
``RELEASE_*`` tables say what maps where and what does not).
:func:`fit_state_dict` is the strict rule every loader applies
(``fgvc.utils.checkpoint`` reads the files).
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from torch import Tensor, nn

from .resnet import ResNet

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


# The authors' release (``mmpt``, github qianduoduolr/FGVC at commit 2b6bcf0)
# saves its ResNets with mmcv ``ConvModule`` names: every convolution and its
# batch norm are the children ``conv`` and ``bn`` of one module
# (``layer1.0.conv1.conv.weight``, ``layer1.0.conv1.bn.running_mean``), the
# stem is ``conv1.{conv,bn}`` and the shortcut ``downsample.{conv,bn}``.

#: The release's name of the stem convolution's weight. A state dict is in the
#: release layout when a key is ``<prefix>conv1.conv.weight`` with a prefix
#: that is empty or ends in a dot but not in a block's name (``layer1.0.``
#: holds the blocks' ``conv1.conv.weight``): the ResNets of torchvision, MoCo,
#: DetCo and this framework call the stem ``conv1.weight``.
RELEASE_STEM = 'conv1.conv.weight'
_BLOCK_SUFFIX = re.compile(r'(^|\.)layer\d+\.\d+\.$')
#: The release's ResNets (``'': a bare encoder``) and where they go in our
#: models: the student encoder is ``backbone`` in both; the release's frozen
#: ``Mixed_Tracker.teacher`` is the teacher of our ``FlowSupervision`` part,
#: named ``sup_loss`` as in the release-named training config.
RELEASE_ENCODERS: Dict[str, str] = {
    '': '',
    'backbone.': 'backbone.',
    'teacher.': 'losses.sup_loss.teacher.',
}
#: The release's correlation discriminator (``GradReverseDiscriminator``:
#: ``cls_layer`` = gradient reversal, Linear, ReLU, Linear, ReLU, Linear) is
#: the head of our ``CorrelationAlignment`` part (``DomainDiscriminator.mlp``
#: = Linear, ReLU, Linear, ReLU, Linear; the reversal is a separate module):
#: ``{release prefix: (our prefix, {release index: our index})}``.
RELEASE_HEADS: Dict[str, Tuple[str, Dict[int, int]]] = {
    'corr_discriminator.cls_layer.': ('losses.corr_da_loss.head.mlp.', {1: 0, 3: 2, 5: 4}),
}
#: Release keys deliberately not carried over (key or key prefix: why).
RELEASE_DROPPED: Dict[str, str] = {
    'discriminator.': 'the release builds this feature discriminator (da_loss, weight 0) but '
    'its forward_train never calls it: its weights are the initialisation',
    'iteration': 'a step counter buffer the release registers and never updates',
}
#: The wrapper prefix of a model saved inside DistributedDataParallel.
DDP_PREFIX = 'module.'

_RELEASE_RESNET_KEY = re.compile(
    r'^(?:(?P<stem>conv1)\.(?P<stem_part>conv|bn)'
    r'|(?P<block>layer\d+\.\d+)\.(?:conv(?P<index>\d)|(?P<shortcut>downsample))\.(?P<part>conv|bn))'
    r'\.(?P<leaf>weight|bias|running_mean|running_var|num_batches_tracked)$'
)
_RELEASE_HEAD_KEY = re.compile(r'^(?P<index>\d+)\.(?P<leaf>weight|bias)$')


def unwrap_ddp(state_dict: Mapping[str, Tensor]) -> Tuple[Mapping[str, Tensor], bool]:
    """``state_dict`` without DDP's ``module.`` prefix when every key has it,
    and whether it had."""
    if state_dict and all(key.startswith(DDP_PREFIX) for key in state_dict):
        return {key[len(DDP_PREFIX) :]: value for key, value in state_dict.items()}, True
    return state_dict, False


def release_resnet_key(key: str) -> Optional[str]:
    """Our (torchvision) name of a release ResNet key without its module
    prefix (``layer2.0.downsample.bn.weight`` -> ``layer2.0.downsample.1.weight``);
    None for a key that is not a ResNet weight of the release."""
    match = _RELEASE_RESNET_KEY.match(key)
    if match is None:
        return None
    leaf = match['leaf']
    if match['stem']:
        return f'conv1.{leaf}' if match['stem_part'] == 'conv' else f'bn1.{leaf}'
    block, is_conv = match['block'], match['part'] == 'conv'
    if match['shortcut']:
        return f'{block}.downsample.{0 if is_conv else 1}.{leaf}'
    index = match['index']
    return f'{block}.conv{index}.{leaf}' if is_conv else f'{block}.bn{index}.{leaf}'


def release_encoder_prefixes(state_dict: Mapping[str, Tensor]) -> List[str]:
    """The module prefixes of the release-layout ResNets in ``state_dict``
    (``['backbone.', 'teacher.']``); empty when it is not in that layout."""
    prefixes = (
        key[: -len(RELEASE_STEM)]
        for key in state_dict
        if key == RELEASE_STEM or key.endswith('.' + RELEASE_STEM)
    )
    return sorted(prefix for prefix in prefixes if not _BLOCK_SUFFIX.search(prefix))


def is_release_layout(state_dict: Mapping[str, Tensor]) -> bool:
    """Whether ``state_dict`` holds a ResNet in the release's layout (see
    :data:`RELEASE_STEM`)."""
    return bool(release_encoder_prefixes(state_dict))


@dataclass
class ReleaseConversion:
    """What :func:`convert_release_state_dict` did."""

    #: release module prefix -> (our prefix, number of keys renamed)
    modules: Dict[str, Tuple[str, int]] = field(default_factory=dict)
    #: why -> release keys left out on purpose (see ``RELEASE_DROPPED``)
    dropped: Dict[str, List[str]] = field(default_factory=dict)
    #: whether every key carried DDP's ``module.`` prefix (removed)
    unwrapped: bool = False

    def describe(self) -> str:
        """One line naming every module mapped and every key group dropped."""
        mapped = ', '.join(
            f'{release or "(bare encoder) "}* -> {ours or "(bare encoder) "}* ({count} keys)'
            for release, (ours, count) in self.modules.items()
        )
        dropped = ''.join(
            f'; dropped {len(keys)} key(s) {_group(keys)}: {why}'
            for why, keys in self.dropped.items()
        )
        unwrapped = ' (DDP prefix module. removed)' if self.unwrapped else ''
        return f'release (mmcv ConvModule) layout{unwrapped}: {mapped}{dropped}'


def _group(keys: Sequence[str]) -> str:
    """``discriminator.*`` for keys sharing a first component, else the keys."""
    heads = sorted({key.split('.')[0] for key in keys})
    return ', '.join(f'{head}.*' if any('.' in k for k in keys) else head for head in heads)


def convert_release_state_dict(
    state_dict: Mapping[str, Tensor],
) -> Tuple[Dict[str, Tensor], ReleaseConversion]:
    """Rename a release-layout state dict (:data:`RELEASE_STEM`) to this
    framework's names, keeping the key order.

    Maps: each release ResNet (a bare encoder, ``backbone.``, and the
    training tracker's ``teacher.``; see :data:`RELEASE_ENCODERS`) to our
    torchvision names (``conv1.conv`` -> ``conv1``, ``conv1.bn`` -> ``bn1``,
    ``layerS.B.convN.{conv,bn}`` -> ``layerS.B.{convN,bnN}``,
    ``downsample.{conv,bn}`` -> ``downsample.{0,1}``), all four stages
    included (a model that does not build ``layer4`` drops it when loading:
    see :func:`fit_state_dict`); the training tracker's correlation
    discriminator to our ``corr_da_loss`` head (:data:`RELEASE_HEADS`).
    Leaves out, on purpose and reported: the keys of :data:`RELEASE_DROPPED`.
    A DDP ``module.`` prefix on every key is removed first.

    Returns:
        The renamed state dict and what was mapped and dropped.

    Raises:
        ValueError: the state dict is not in the release layout, or holds a
            key that maps nowhere (listed), e.g. a release module with no
            counterpart here.
    """
    state_dict, unwrapped = unwrap_ddp(state_dict)
    report = ReleaseConversion(unwrapped=unwrapped)
    encoders = release_encoder_prefixes(state_dict)
    if not encoders:
        raise ValueError(f'not a release-layout state dict: no key ends in {RELEASE_STEM!r}')
    foreign = [prefix for prefix in encoders if prefix not in RELEASE_ENCODERS]
    if foreign:
        raise ValueError(
            f'release-layout ResNet(s) under {foreign} have no counterpart here '
            f'(known: {[p for p in RELEASE_ENCODERS if p]} or a bare encoder)'
        )
    by_length = sorted(encoders, key=len, reverse=True)
    converted: Dict[str, Tensor] = {}
    unknown: List[str] = []
    for key, value in state_dict.items():
        target = _release_target(key, by_length)
        if target is not None:
            release_prefix, our_prefix, new_key = target
            converted[new_key] = value
            count = report.modules.get(release_prefix, (our_prefix, 0))[1]
            report.modules[release_prefix] = (our_prefix, count + 1)
            continue
        reason = next(
            (why for name, why in RELEASE_DROPPED.items() if _names(key, name)),
            None,
        )
        if reason is None:
            unknown.append(key)
        else:
            report.dropped.setdefault(reason, []).append(key)
    if unknown:
        raise ValueError(
            f'{len(unknown)} key(s) of the release-layout state dict map nowhere here: '
            f'{unknown[:10]}{" ..." if len(unknown) > 10 else ""}'
        )
    return converted, report


def _names(key: str, name: str) -> bool:
    """Whether ``name`` (a key, or a prefix ending in a dot) names ``key``."""
    return key == name or (name.endswith('.') and key.startswith(name))


def _release_target(key: str, encoders: Sequence[str]) -> Optional[Tuple[str, str, str]]:
    """(release module prefix, our module prefix, our key) of a release key;
    None when it is not a weight of a module that maps (see
    :data:`RELEASE_ENCODERS` and :data:`RELEASE_HEADS`)."""
    for prefix in encoders:
        if key.startswith(prefix):
            name = release_resnet_key(key[len(prefix) :])
            ours = RELEASE_ENCODERS[prefix]
            return None if name is None else (prefix, ours, ours + name)
    for prefix, (ours, indices) in RELEASE_HEADS.items():
        match = _RELEASE_HEAD_KEY.match(key[len(prefix) :]) if key.startswith(prefix) else None
        if match and int(match['index']) in indices:
            return prefix, ours, f'{ours}{indices[int(match["index"])]}.{match["leaf"]}'
    return None


# Strict loading: every weight of the module from the checkpoint, every key
# of the checkpoint used, by name and shape. The one exception is a ResNet
# stage the model does not build (the FGVC encoder stops at layer3; the
# release computes layer4 and discards its output): its keys are dropped and
# said so.

#: How many keys an error message lists per kind.
LISTED_KEYS = 10


_STAGE = re.compile(r'layer(\d+)\.')


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the module they are loaded into."""


def _listed(keys: Sequence[str]) -> str:
    more = f' ... ({len(keys) - LISTED_KEYS} more)' if len(keys) > LISTED_KEYS else ''
    return f'{list(keys[:LISTED_KEYS])}{more}'


def to_our_names(
    state_dict: Mapping[str, Tensor], source: str
) -> Tuple[Dict[str, Tensor], List[str]]:
    """``state_dict`` in this framework's names, and notes on what was done:
    a release-layout state dict (:data:`RELEASE_STEM`) is converted
    (:func:`convert_release_state_dict`), otherwise DDP's ``module.`` prefix
    is removed when every key carries it.

    Raises:
        CheckpointMismatchError: a release-layout key maps nowhere.
    """
    state, unwrapped = unwrap_ddp(state_dict)
    if is_release_layout(state):
        try:
            converted, report = convert_release_state_dict(state_dict)
        except ValueError as error:
            raise CheckpointMismatchError(f'Checkpoint {source}: {error}') from None
        return converted, [f'{source}: detected the {report.describe()}']
    notes = [f'{source}: removed the DDP prefix {DDP_PREFIX!r} from every key'] if unwrapped else []
    return dict(state), notes


def unbuilt_stage_keys(module: nn.Module, state_dict: Mapping[str, Tensor]) -> List[str]:
    """The keys of ``state_dict`` that belong to a stage (``layerN``, one of
    the four of a ResNet) of one of ``module``'s ResNets that this ResNet does
    not build (see ``ResNet(out_indices=...)``)."""
    resnets = [
        (f'{name}.' if name else '', sub)
        for name, sub in module.named_modules()
        if isinstance(sub, ResNet)
    ]
    dropped = []
    for key in state_dict:
        for prefix, resnet in resnets:
            match = _STAGE.match(key[len(prefix) :]) if key.startswith(prefix) else None
            stage = int(match[1]) if match else 0
            if 1 <= stage <= resnet.num_stages and not hasattr(resnet, f'layer{stage}'):
                dropped.append(key)
                break
    return dropped


def fit_state_dict(
    module: nn.Module, state_dict: Mapping[str, Tensor], source: str, what: str = 'the model'
) -> Tuple[Dict[str, Tensor], List[str]]:
    """The weights of ``state_dict`` (in our names) for ``module``, strictly,
    in the module's key order, and notes on what was left out.

    Keys of ResNet stages the module does not build are left out, with a
    note naming their count; any other key the module lacks, any key of the
    module the state dict lacks, and any shape that differs is an error.

    Raises:
        CheckpointMismatchError: naming ``source``, ``what`` and the keys.
    """
    unbuilt = unbuilt_stage_keys(module, state_dict)
    notes = []
    if unbuilt:
        stages = sorted({re.sub(r'(layer\d+)\..*', r'\1', key) for key in unbuilt})
        notes.append(
            f'{source}: dropped {len(unbuilt)} key(s) of {", ".join(stages)}, a stage '
            f'{what} does not build (its output would be unused)'
        )
    state = {k: v for k, v in state_dict.items() if k not in set(unbuilt)}
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or wrong:
        lines = [f'missing {len(missing)} key(s): {_listed(missing)}'] if missing else []
        if unexpected:
            lines.append(f'{len(unexpected)} key(s) map nowhere: {_listed(unexpected)}')
        lines += [f'shape mismatch {w}' for w in wrong[:LISTED_KEYS]]
        raise CheckpointMismatchError(
            f'Checkpoint {source} does not fit {what}:\n  ' + '\n  '.join(lines)
        )
    return {k: state[k] for k in expected}, notes


def load_state_dict_strictly(
    module: nn.Module, state_dict: Mapping[str, Tensor], source: str, what: str = 'the model'
) -> List[str]:
    """Load ``state_dict`` (in our names) into ``module`` with
    :func:`fit_state_dict`'s rule; returns its notes."""
    fitted, notes = fit_state_dict(module, state_dict, source, what)
    module.load_state_dict(fitted, strict=True)
    return notes


#: Parts of self-supervised checkpoints that are not the encoder, left out by
#: name: MoCo's (and DetCo's) momentum encoder and its queues of keys.
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
            f'{_listed(stray)}; name what to leave out with --drop PREFIX',
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
