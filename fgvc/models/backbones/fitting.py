"""The strict fit of a state dict to a model, the rule every weight loader applies.

Every weight of the module comes from the checkpoint and every key of the
checkpoint is used, by name and shape. The one exception is a ResNet stage
the model does not build (the FGVC encoder stops at layer3; the authors'
release computes layer4 and discards its output): its keys are dropped and
said so. Files are read by ``fgvc.utils.checkpoint``.
"""

import re
from typing import Dict, List, Mapping, Sequence, Tuple

from torch import Tensor, nn

from .resnet import ResNet

#: The wrapper prefix of a model saved inside DistributedDataParallel.
DDP_PREFIX = 'module.'
#: How many keys an error message lists per kind.
LISTED_KEYS = 10


_STAGE = re.compile(r'layer(\d+)\.')


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the module they are loaded into."""


def listed_keys(keys: Sequence[str]) -> str:
    """The first ``LISTED_KEYS`` of ``keys`` and how many more there are."""
    more = f' ... ({len(keys) - LISTED_KEYS} more)' if len(keys) > LISTED_KEYS else ''
    return f'{list(keys[:LISTED_KEYS])}{more}'


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
        lines = [f'missing {len(missing)} key(s): {listed_keys(missing)}'] if missing else []
        if unexpected:
            lines.append(f'{len(unexpected)} key(s) map nowhere: {listed_keys(unexpected)}')
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


def unwrap_ddp(state_dict: Mapping[str, Tensor]) -> Tuple[Mapping[str, Tensor], bool]:
    """``state_dict`` without DDP's ``module.`` prefix when every key has it,
    and whether it had."""
    if state_dict and all(key.startswith(DDP_PREFIX) for key in state_dict):
        return {key[len(DDP_PREFIX) :]: value for key, value in state_dict.items()}, True
    return state_dict, False
