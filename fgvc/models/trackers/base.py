"""Common part of the trackers: encode frames as propagation needs them."""

from typing import Callable, List, Optional, Sequence

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch.profiler import record_function

from fgvc.propagation import PropagationConfig
from fgvc.registry import MODELS

from ..encoder import unit_features
from .lazy_features import LazyFeatures

#: Profiler label of encoding (``tools/benchmark.py``).
ENCODE = 'tracker.encode'


class VideoTracker(BaseModel):
    """What every tracker shares: it only evaluates (``mode='predict'``), one
    video and its data sample at a time (:meth:`predict_video`)."""

    def predict_video(self, frames: torch.Tensor, sample: BaseDataElement) -> None:
        """Add the predictions for one video's preprocessed ``frames`` to its ``sample``."""
        raise NotImplementedError

    @torch.no_grad()
    def forward(
        self, inputs: List[torch.Tensor], data_samples: List[BaseDataElement], mode: str = 'predict'
    ) -> List[BaseDataElement]:
        if mode != 'predict':
            raise ValueError(f"{type(self).__name__} only evaluates (mode='predict'), got {mode!r}")
        for frames, sample in zip(inputs, data_samples):
            self.predict_video(frames, sample)
        return list(data_samples)


class PropagationTracker(VideoTracker):
    """Evaluate an encoder by label propagation; subclasses say what is propagated.

    Args:
        backbone: config of the encoder; its last output is the feature map.
        propagation: options of :class:`fgvc.propagation.PropagationConfig`.
        data_preprocessor: frames to normalised encoder input.
        frames_per_batch: frames encoded at once (bounds encoder memory).
    """

    def __init__(
        self,
        backbone: dict,
        propagation: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        frames_per_batch: int = 8,
        init_cfg=None,
    ):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.propagation = PropagationConfig.from_dict(propagation or {})
        self.frames_per_batch = frames_per_batch
        # a tuple, so that an encoder that is a module is not one of the model's
        self._external_encoder: tuple = ()

    @property
    def external_encoder(self) -> Optional[Callable[[torch.Tensor], torch.Tensor]]:
        """The encoder given to :meth:`use_encoder`, if any."""
        return self._external_encoder[0] if self._external_encoder else None

    @property
    def feature_encoder(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """What :meth:`encode` runs: the backbone's :func:`unit_features`, or
        the encoder given to :meth:`use_encoder`."""
        if self.external_encoder is not None:
            return self.external_encoder
        return lambda frames: unit_features(self.backbone(frames))

    def use_encoder(self, encoder: Optional[Callable[[torch.Tensor], torch.Tensor]]) -> None:
        """Encode with ``encoder`` (normalised frames ``[n, 3, H, W]`` ->
        unit-norm features ``[n, C, h, w]``, e.g. an exported ONNX encoder)
        instead of the backbone; None returns to the backbone."""
        self._external_encoder = () if encoder is None else (encoder,)

    @torch.no_grad()
    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """``[n, 3, H, W]`` normalised frames -> ``[n, C, h, w]`` unit-norm features."""
        with record_function(ENCODE):
            return self.feature_encoder(frames)

    def lazy_features(
        self, num_frames: int, load: Callable[[int, int], torch.Tensor]
    ) -> LazyFeatures:
        """Features of a video whose normalised frames ``[start, stop)`` come from
        ``load``, encoded ``frames_per_batch`` at a time when first needed."""
        return LazyFeatures(num_frames, load, self.encode, self.frames_per_batch)

    @torch.no_grad()
    def extract_features(self, frames: torch.Tensor) -> torch.Tensor:
        """``[T, 3, H, W]`` normalised frames -> ``[T, C, h, w]`` unit-norm features."""
        return torch.cat([self.encode(chunk) for chunk in frames.split(self.frames_per_batch)])

    def predict_sample(self, features: Sequence[torch.Tensor], sample: BaseDataElement) -> None:
        """Add the predictions for one video's ``features`` (``features[t]`` is
        frame t's ``[C, h, w]``) to its ``sample``."""
        raise NotImplementedError

    def predict_video(self, frames: torch.Tensor, sample: BaseDataElement) -> None:
        features = self.lazy_features(len(frames), lambda a, b: frames[a:b])
        self.predict_sample(features, sample)
