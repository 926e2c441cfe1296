"""Turns uint8 RGB frames into the encoder's normalised input."""

from typing import Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from fgvc.registry import MODELS

from .color import rgb_to_lab

#: How frames become encoder input (see :class:`VideoDataPreprocessor`).
BACKENDS = ('torch', 'cv2')


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Convert frames ``[..., H, W, 3]`` uint8 RGB to ``[..., 3, h, w]`` floats.

    Args:
        color_space: 'lab' (the method's input) or 'rgb'.
        mean, std: per-channel normalisation in that colour space
            (Lab: L in [0, 100], a/b in [-128, 127]; RGB: [0, 255]).
        input_size: optional (h, w) the frames are resized to for the encoder;
            trackers map coordinates back to the frames' own raster.
        backend: 'torch' (default): frames resized as floats on the model's
            device (bilinear), converted by :func:`rgb_to_lab`, divided by
            ``std``; 'cv2': the authors' release's input stage, on the CPU:
            uint8 frames resized by ``cv2.resize`` (bilinear), ``float32 /
            255`` converted by ``cv2.COLOR_RGB2Lab``, normalised as mmcv's
            ``imnormalize`` does (times the float32 reciprocal of ``std``).
    """

    def __init__(
        self,
        color_space: str = 'lab',
        mean: Sequence[float] = (50.0, 0.0, 0.0),
        std: Sequence[float] = (50.0, 127.0, 127.0),
        input_size: Optional[Sequence[int]] = None,
        backend: str = 'torch',
    ):
        super().__init__()
        if color_space not in ('lab', 'rgb'):
            raise ValueError(f"color_space must be 'lab' or 'rgb', got {color_space!r}")
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
        self.color_space = color_space
        self.backend = backend
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(3, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(3, 1, 1), False)
        self.input_size = tuple(input_size) if input_size is not None else None

    def normalize(
        self, frames: torch.Tensor, input_size: Optional[Sequence[int]] = None
    ) -> torch.Tensor:
        """uint8 ``[..., H, W, 3]`` -> normalised float ``[..., 3, h, w]``, resized
        to ``input_size`` (h, w) if given, else to the configured one."""
        size = tuple(input_size) if input_size is not None else self.input_size
        if self.backend == 'cv2':
            return self._normalize_cv2(frames, size)
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

    def _normalize_cv2(self, frames: torch.Tensor, size: Optional[tuple]) -> torch.Tensor:
        if frames.dtype != torch.uint8:
            raise TypeError(f"backend='cv2' takes uint8 frames, got {frames.dtype}")
        video = frames.cpu().numpy()
        flat = video.reshape(-1, *video.shape[-3:])
        out_hw = size if size is not None else flat.shape[1:3]
        out = np.empty((len(flat), *out_hw, 3), np.float32)
        mean = self.mean.view(3).cpu().numpy()
        reciprocal = np.float32(1) / self.std.view(3).cpu().numpy()
        for i, frame in enumerate(flat):
            if tuple(frame.shape[:2]) != tuple(out_hw):
                frame = cv2.resize(frame, (out_hw[1], out_hw[0]), interpolation=cv2.INTER_LINEAR)
            frame = frame.astype(np.float32)
            if self.color_space == 'lab':
                frame = cv2.cvtColor(frame / 255, cv2.COLOR_RGB2Lab)
            out[i] = (frame - mean) * reciprocal
        out = out.reshape(*video.shape[:-3], *out_hw, 3)
        # channels first in memory too: convolutions of another layout differ in the last bits
        return torch.from_numpy(np.ascontiguousarray(np.moveaxis(out, -1, -3))).to(self.device)

    def forward(self, data: dict, training: bool = False) -> dict:
        """``data['inputs']`` is a tensor or a list of per-sample tensors."""
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = [self.normalize(x) for x in inputs]
        else:
            inputs = self.normalize(inputs)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
