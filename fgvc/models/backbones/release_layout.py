"""The checkpoint layout of the authors' release, in this framework's names.

The release (``mmpt``, github qianduoduolr/FGVC at commit 2b6bcf0) saves its
ResNets with mmcv ``ConvModule`` names: every convolution and its batch norm
are the children ``conv`` and ``bn`` of one module
(``layer1.0.conv1.conv.weight``, ``layer1.0.conv1.bn.running_mean``), the
stem is ``conv1.{conv,bn}`` and the shortcut ``downsample.{conv,bn}``.
:func:`convert_release_state_dict` renames them, and the ``RELEASE_*`` tables
say which modules of the release's training tracker map where and which
deliberately do not.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from torch import Tensor

from .fitting import DDP_PREFIX, CheckpointMismatchError, listed_keys, unwrap_ddp

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
            f'{listed_keys(unknown)}'
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
