"""Turn third-party ResNet checkpoints into state dicts of our backbone.

Checkpoints of ImageNet, MoCo, DetCo or DINO training nest their weights
(``state_dict`` / ``model`` / ``module``) and prefix their keys with wrapper
names (``module.encoder_q.conv1.weight``). The helpers here unwrap them,
strip the prefixes, drop classifier heads and compare the result with a
model, reporting missing, unexpected and wrong-shape keys.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from torch import Tensor, nn

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
    report = ReleaseConversion()
    if state_dict and all(key.startswith(DDP_PREFIX) for key in state_dict):
        state_dict = {key[len(DDP_PREFIX) :]: value for key, value in state_dict.items()}
        report.unwrapped = True
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
