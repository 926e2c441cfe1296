"""ResNet backbone whose parameter names follow torchvision's ResNet.

The state-dict keys (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer1.0.downsample.0``, ...) are exactly torchvision's, without ``fc``, so
ImageNet, MoCo or DetCo checkpoints load after their wrapper prefixes are
stripped (see ``tools/convert_checkpoint.py``).

Only the stages up to ``max(out_indices)`` are built: the FGVC encoder reads
stage 3 (index 2), so ``layer4`` would be dead weight (the authors' release
builds it, computes it and discards its output). The framework's loaders
leave a checkpoint's ``layer4.*`` keys out for such a model and log their
count (``fgvc.models.backbones.fitting.fit_state_dict``);
converting the checkpoint with ``--out-indices 2`` drops them so that it
loads with no report at all. The release's own layout (mmcv ``ConvModule``
names) is converted by ``fgvc.models.backbones.release_layout``.
"""

from typing import Dict, List, Optional, Sequence, Tuple, Type, Union

from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from fgvc.registry import MODELS

NORM_LAYERS: Dict[str, Type[_BatchNorm]] = {
    'BN': nn.BatchNorm2d,
    'SyncBN': nn.SyncBatchNorm,
}


def build_norm(norm_cfg: dict, num_features: int) -> _BatchNorm:
    """Build a batch-norm layer from ``dict(type='BN' | 'SyncBN', ...)``.

    Keys other than ``type`` and ``requires_grad`` (e.g. ``momentum``,
    ``eps``) are passed to the layer's constructor.
    """
    cfg = dict(norm_cfg)
    norm_type = cfg.pop('type')
    if norm_type not in NORM_LAYERS:
        raise KeyError(f'norm type {norm_type!r} not in {list(NORM_LAYERS)}')
    requires_grad = cfg.pop('requires_grad', True)
    layer = NORM_LAYERS[norm_type](num_features, **cfg)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return layer


def conv3x3(in_channels: int, out_channels: int, stride: int, dilation: int) -> nn.Conv2d:
    """Bias-free 3x3 convolution padded to keep the size at stride 1."""
    return nn.Conv2d(
        in_channels, out_channels, 3, stride=stride, padding=dilation, dilation=dilation, bias=False
    )


class ResidualBlock(nn.Module):
    """A residual block: ReLU of a branch of convolutions plus the input (or
    its ``downsample``). Subclasses build the branch's layers (in this order
    the weights are drawn) and run them."""

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        planes: int,
        stride: int,
        dilation: int,
        norm_cfg: dict,
        downsample: Optional[nn.Module],
    ) -> None:
        super().__init__()
        self.build_branch(in_channels, planes, stride, dilation, norm_cfg)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def build_branch(
        self, in_channels: int, planes: int, stride: int, dilation: int, norm_cfg: dict
    ) -> None:
        raise NotImplementedError

    def branch(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.branch(x) + identity)


class BasicBlock(ResidualBlock):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def build_branch(
        self, in_channels: int, planes: int, stride: int, dilation: int, norm_cfg: dict
    ) -> None:
        self.conv1 = conv3x3(in_channels, planes, stride, dilation)
        self.bn1 = build_norm(norm_cfg, planes)
        self.conv2 = conv3x3(planes, planes, 1, dilation)
        self.bn2 = build_norm(norm_cfg, planes)

    def branch(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(out))


class Bottleneck(ResidualBlock):
    """1x1-3x3-1x1 bottleneck, stride on the 3x3 conv (ResNet-50, v1.5)."""

    expansion = 4

    def build_branch(
        self, in_channels: int, planes: int, stride: int, dilation: int, norm_cfg: dict
    ) -> None:
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = build_norm(norm_cfg, planes)
        self.conv2 = conv3x3(planes, planes, stride, dilation)
        self.bn2 = build_norm(norm_cfg, planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = build_norm(norm_cfg, planes * self.expansion)

    def branch(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


Block = Union[Type[BasicBlock], Type[Bottleneck]]

ARCH_SETTINGS: Dict[int, Tuple[Block, Tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
}


def build_stem_pool(pool_type: str) -> nn.Module:
    """The stem's 3x3 stride-2 pooling: 'max', 'mean' or 'none'."""
    if pool_type == 'max':
        return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
    if pool_type == 'mean':
        return nn.AvgPool2d(kernel_size=3, stride=2, padding=1)
    if pool_type == 'none':
        return nn.Identity()
    raise ValueError(f"pool_type must be 'max', 'mean' or 'none', got {pool_type!r}")


def loads_pretrained(init_cfg: Optional[Union[dict, List[dict]]]) -> bool:
    """Whether ``init_cfg`` (one config or a list) loads a checkpoint."""
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    return any(isinstance(c, dict) and c.get('type') == 'Pretrained' for c in cfgs)


@MODELS.register_module()
class ResNet(BaseModule):
    """ResNet-18/34/50 with configurable strides, dilations and stem pooling.

    Args:
        depth: 18, 34 or 50.
        in_channels: Channels of the input image.
        base_channels: Width of the stem and of the first stage; stage ``i``
            has ``base_channels * 2**i`` planes (times 4 for bottlenecks).
        strides: Stride of the first block of each of the four stages.
        dilations: Dilation of the 3x3 convolutions of each stage.
        out_indices: Stages (0-3) whose outputs ``forward`` returns. Stages
            after ``max(out_indices)`` are not built.
        frozen_stages: Freeze the stem (0) and stages ``1..frozen_stages``
            (parameters fixed, norm layers in eval mode); -1 freezes nothing.
        pool_type: Pooling after conv1-bn1-relu: 'max', 'mean' or 'none'.
        norm_eval: Keep every norm layer in eval mode while training.
        norm_cfg: ``dict(type='BN' | 'SyncBN', requires_grad=True, ...)``.
        zero_init_residual: After a from-scratch initialisation, set the
            last norm layer of every residual branch (``bn2`` of a basic
            block, ``bn3`` of a bottleneck) to weight 0 and bias 0, so each
            block starts as its shortcut (the release does; Goyal et al.
            2017). Weights loaded by a ``Pretrained`` init are left alone.
        init_cfg: mmengine initialisation config.
    """

    def __init__(
        self,
        depth: int,
        in_channels: int = 3,
        base_channels: int = 64,
        strides: Sequence[int] = (1, 2, 2, 2),
        dilations: Sequence[int] = (1, 1, 1, 1),
        out_indices: Sequence[int] = (3,),
        frozen_stages: int = -1,
        pool_type: str = 'max',
        norm_eval: bool = False,
        norm_cfg: Optional[dict] = None,
        zero_init_residual: bool = False,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d'),
                dict(type='Constant', val=1, layer='_BatchNorm'),
            ]
        super().__init__(init_cfg=init_cfg)
        if depth not in ARCH_SETTINGS:
            raise KeyError(f'depth must be one of {list(ARCH_SETTINGS)}, got {depth}')
        block, stage_blocks = ARCH_SETTINGS[depth]
        num_stages = len(stage_blocks)
        if len(strides) != num_stages or len(dilations) != num_stages:
            raise ValueError(f'strides and dilations need {num_stages} values')
        if not out_indices or not all(0 <= i < num_stages for i in out_indices):
            raise ValueError(f'out_indices must be in [0, {num_stages}), got {out_indices}')
        if frozen_stages > max(out_indices) + 1:
            raise ValueError(
                f'frozen_stages={frozen_stages} freezes stages '
                f'that out_indices={out_indices} does not build'
            )
        norm_cfg = dict(type='BN') if norm_cfg is None else norm_cfg
        self.depth = depth
        #: Stages of this depth (``layer1``..``layer4``), built or not.
        self.num_stages = num_stages
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual

        self.conv1 = nn.Conv2d(in_channels, base_channels, 7, stride=2, padding=3, bias=False)
        self.bn1 = build_norm(norm_cfg, base_channels)
        self.relu = nn.ReLU(inplace=True)
        self.pool = build_stem_pool(pool_type)

        channels = base_channels
        stage_channels = []
        for i in range(max(self.out_indices) + 1):
            planes = base_channels * 2**i
            stage = self._make_stage(
                block, channels, planes, stage_blocks[i], strides[i], dilations[i], norm_cfg
            )
            self.add_module(f'layer{i + 1}', stage)
            channels = planes * block.expansion
            stage_channels.append(channels)
        self.out_channels = tuple(stage_channels[i] for i in self.out_indices)
        self._freeze_stages()

    @staticmethod
    def _make_stage(
        block: Block,
        in_channels: int,
        planes: int,
        num_blocks: int,
        stride: int,
        dilation: int,
        norm_cfg: dict,
    ) -> nn.Sequential:
        out_channels = planes * block.expansion
        downsample = None
        if stride != 1 or in_channels != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                build_norm(norm_cfg, out_channels),
            )
        layers = [block(in_channels, planes, stride, dilation, norm_cfg, downsample)]
        layers += [
            block(out_channels, planes, 1, dilation, norm_cfg, None) for _ in range(num_blocks - 1)
        ]
        return nn.Sequential(*layers)

    def init_weights(self) -> None:
        """mmengine's initialisation from ``init_cfg``, then (with
        ``zero_init_residual``, unless ``init_cfg`` loads pretrained weights)
        the residual branches' last norm layers set to zero."""
        super().init_weights()
        if self.zero_init_residual and not loads_pretrained(self.init_cfg):
            for norm in self.residual_branch_norms():
                nn.init.zeros_(norm.weight)
                nn.init.zeros_(norm.bias)

    def residual_branch_norms(self) -> List[_BatchNorm]:
        """The last norm layer of each block's residual branch, in order."""
        return [
            block.bn3 if isinstance(block, Bottleneck) else block.bn2
            for block in self.modules()
            if isinstance(block, (BasicBlock, Bottleneck))
        ]

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return [self.conv1, self.bn1] + [
            getattr(self, f'layer{i}') for i in range(1, self.frozen_stages + 1)
        ]

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet':
        """Set train mode, keeping frozen stages (and, with ``norm_eval``,
        every norm layer) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return the outputs of the ``out_indices`` stages, in that order."""
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        outs: Dict[int, Tensor] = {}
        for i in range(max(self.out_indices) + 1):
            x = getattr(self, f'layer{i + 1}')(x)
            outs[i] = x
        return tuple(outs[i] for i in self.out_indices)
