"""Regenerate the release-layout ResNet checkpoint of the parity fixtures.

``tests/data/fixtures/original/README.md`` says where the fixture comes from:
the authors' release (``mmpt``, commit 2b6bcf0) run with seeded random
weights saved in its checkpoint layout. The recipe here redraws those weights
bit for bit from the seed (the stored key list and sha256 prove it), so the
44 MB checkpoint need not be kept in the repository.

The key names and order are the release's, written out here independently of
the framework's converter: mmcv ``ConvModule`` children ``conv`` and ``bn``,
stem ``conv1``, BasicBlocks ``layerS.B.conv{1,2}``, shortcut ``downsample``
(a block whose stride or width changes), in module order, all four stages.
"""

import hashlib
import math
from collections import OrderedDict
from typing import Iterable, List, Tuple

import numpy as np
import torch
from torch import Tensor

BN_LEAVES = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
#: The release's FGVC encoder: ResNet-18 stage strides (layer1..layer4).
RELEASE_STRIDES = (1, 1, 1, 4)


def release_resnet18_layout(
    base_channels: int = 64, prefix: str = 'backbone.'
) -> List[Tuple[str, Tuple[int, ...], torch.dtype]]:
    """(key, shape, dtype) of every entry of the release's ResNet-18 state
    dict, in its order."""
    entries: List[Tuple[str, Tuple[int, ...], torch.dtype]] = []

    def conv_module(name: str, out_channels: int, in_channels: int, kernel: int) -> None:
        entries.append(
            (
                f'{prefix}{name}.conv.weight',
                (out_channels, in_channels, kernel, kernel),
                torch.float32,
            )
        )
        for leaf in BN_LEAVES:
            scalar = leaf == 'num_batches_tracked'
            shape = () if scalar else (out_channels,)
            entries.append(
                (f'{prefix}{name}.bn.{leaf}', shape, torch.int64 if scalar else torch.float32)
            )

    conv_module('conv1', base_channels, 3, 7)
    in_channels = base_channels
    for stage, stride in enumerate(RELEASE_STRIDES):
        planes = base_channels * 2**stage
        for block in range(2):
            name = f'layer{stage + 1}.{block}'
            block_in = in_channels if block == 0 else planes
            conv_module(f'{name}.conv1', planes, block_in, 3)
            conv_module(f'{name}.conv2', planes, planes, 3)
            if block == 0 and (stride != 1 or in_channels != planes):
                conv_module(f'{name}.downsample', planes, in_channels, 1)
        in_channels = planes
    return entries


def draw(key: str, shape: Tuple[int, ...], generator: torch.Generator) -> Tensor:
    """The fixture's recipe for one entry (drawn in state-dict order)."""
    if key.endswith('num_batches_tracked'):
        return torch.zeros(shape, dtype=torch.int64)
    if len(shape) == 4:
        fan_in = shape[1] * shape[2] * shape[3]
        return torch.randn(shape, generator=generator) * math.sqrt(2.0 / fan_in)
    if key.endswith('.bn.weight'):
        return torch.rand(shape, generator=generator) + 0.5
    if key.endswith(('.bn.bias', '.running_mean')):
        return torch.randn(shape, generator=generator) * 0.1
    if key.endswith('.running_var'):
        return torch.rand(shape, generator=generator) * 1.5 + 0.5
    raise KeyError(f'no recipe for {key}')


def release_resnet_state_dict(
    seed: int, base_channels: int = 64, prefix: str = 'backbone.'
) -> 'OrderedDict[str, Tensor]':
    """A release-layout ResNet-18 state dict with the fixture's seeded weights."""
    generator = torch.Generator().manual_seed(seed)
    return OrderedDict(
        (key, draw(key, shape, generator))
        for key, shape, _ in release_resnet18_layout(base_channels, prefix)
    )


def release_resnet18_state_dict(seed: int) -> 'OrderedDict[str, Tensor]':
    """The state dict of ``original_resnet18.pth`` (fixture A) for ``seed``
    (11 for the fixture kept here): 120 ``backbone.*`` keys."""
    return release_resnet_state_dict(seed)


def release_training_state_dict(
    seed: int,
    base_channels: int = 8,
    radius: int = 3,
    hidden: Tuple[int, int] = (16, 8),
    teacher: bool = True,
) -> 'OrderedDict[str, Tensor]':
    """A release ``Mixed_Tracker`` state dict in its module order: the
    ``iteration`` buffer, the student ``backbone``, the ``teacher`` (unless
    False), and both ``GradReverseDiscriminator`` s (``cls_layer`` 0 is the
    parameter-free gradient reversal; Linear layers at 1, 3, 5): the
    correlation one on ``(2 radius + 1)^2`` inputs with ``hidden`` widths, the
    feature one on the encoder's channels (halved, then halved again)."""
    generator = torch.Generator().manual_seed(seed)
    state: OrderedDict[str, Tensor] = OrderedDict(iteration=torch.tensor(0.0))
    state.update(release_resnet_state_dict(seed, base_channels, 'backbone.'))
    if teacher:
        state.update(release_resnet_state_dict(seed + 1, base_channels, 'teacher.'))
    channels = base_channels * 4
    for name, widths in (
        ('corr_discriminator', ((2 * radius + 1) ** 2, *hidden, 1)),
        ('discriminator', (channels, channels // 2, channels // 4, 1)),
    ):
        for index, (cin, cout) in zip((1, 3, 5), zip(widths[:-1], widths[1:])):
            state[f'{name}.cls_layer.{index}.weight'] = torch.randn(cout, cin, generator=generator)
            state[f'{name}.cls_layer.{index}.bias'] = torch.randn(cout, generator=generator)
    return state


def tensors_sha256(tensors: Iterable[Tensor]) -> str:
    """sha256 of the tensors' raw bytes (C order, native little-endian), in order."""
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


#: About the largest value of the release features (fixture B's backbone_io).
FEATURE_REACH = 50.0


def assert_release_features(feat: np.ndarray, io) -> None:
    """``feat`` [2,256,48,64] equals the fixture's to 1e-5 relative and 1e-5
    of the features' reach (50) absolute: float32 sums in another order differ
    by 2e-5 on two threads and by up to 9e-5 on another CPU's kernels (AVX2
    against AVX-512); a wrong layer or key moves them by whole units."""
    atol = 1e-5 * FEATURE_REACH
    np.testing.assert_allclose(feat[:, :, ::4, ::4], io['feat_sub4'], rtol=1e-5, atol=atol)
    np.testing.assert_allclose(
        feat.mean(axis=(2, 3)), io['feat_channel_mean'], rtol=1e-5, atol=atol
    )
