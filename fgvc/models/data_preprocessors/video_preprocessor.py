"""Turns uint8 RGB frames into the encoder's normalised input."""

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from fgvc.registry import MODELS

from .color import rgb_to_lab


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Convert frames ``[..., H, W, 3]`` uint8 RGB to ``[..., 3, h, w]`` floats.

    Args:
        color_space: 'lab' (the method's input) or 'rgb'.
        mean, std: per-channel normalisation in that colour space
            (Lab: L in [0, 100], a/b in [-128, 127]; RGB: [0, 255]).
        input_size: optional (h, w) the frames are resized to for the encoder;
            trackers map coordinates back to the frames' own raster.
    """

    def __init__(
        self,
        color_space: str = 'lab',
        mean: Sequence[float] = (50.0, 0.0, 0.0),
        std: Sequence[float] = (50.0, 127.0, 127.0),
        input_size: Optional[Sequence[int]] = None,
    ):
        super().__init__()
        if color_space not in ('lab', 'rgb'):
            raise ValueError(f"color_space must be 'lab' or 'rgb', got {color_space!r}")
        self.color_space = color_space
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(3, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(3, 1, 1), False)
        self.input_size = tuple(input_size) if input_size is not None else None

    def normalize(
        self, frames: torch.Tensor, input_size: Optional[Sequence[int]] = None
    ) -> torch.Tensor:
        """uint8 ``[..., H, W, 3]`` -> normalised float ``[..., 3, h, w]``, resized
        to ``input_size`` (h, w) if given, else to the configured one."""
        size = tuple(input_size) if input_size is not None else self.input_size
        frames = frames.to(self.device).movedim(-1, -3).float()
        if size is not None and tuple(frames.shape[-2:]) != size:
            lead = frames.shape[:-3]
            frames = F.interpolate(
                frames.reshape(-1, *frames.shape[-3:]),
                size=size,
                mode='bilinear',
                align_corners=False,
            )
            frames = frames.reshape(*lead, *frames.shape[-3:]).clamp(0, 255)
        if self.color_space == 'lab':
            frames = rgb_to_lab(frames / 255.0)
        return (frames - self.mean) / self.std

    def forward(self, data: dict, training: bool = False) -> dict:
        """``data['inputs']`` is a tensor or a list of per-sample tensors."""
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = [self.normalize(x) for x in inputs]
        else:
            inputs = self.normalize(inputs)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
