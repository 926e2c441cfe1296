"""A tracker that encodes frames and propagates query points through them."""
from dataclasses import replace
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from fgvc.propagation import PropagationConfig, track_points
from fgvc.registry import MODELS


@MODELS.register_module()
class PointTracker(BaseModel):
    """Evaluate an encoder by label propagation of query points.

    Args:
        backbone: config of the encoder; its last output is the feature map.
        propagation: options of :class:`fgvc.propagation.PropagationConfig`.
        data_preprocessor: frames to normalised encoder input.
        frames_per_batch: frames encoded at once (bounds encoder memory).
    """

    def __init__(self, backbone: dict, propagation: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, frames_per_batch: int = 8,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.propagation = PropagationConfig.from_dict(propagation or {})
        self.frames_per_batch = frames_per_batch

    @torch.no_grad()
    def extract_features(self, frames: torch.Tensor) -> torch.Tensor:
        """``[T, 3, H, W]`` normalised frames -> ``[T, C, h, w]`` unit-norm features."""
        feats = [self.backbone(chunk)[-1] for chunk in frames.split(self.frames_per_batch)]
        return F.normalize(torch.cat(feats), dim=1)

    def forward(self, inputs: List[torch.Tensor], data_samples: List[BaseDataElement],
                mode: str = 'predict') -> List[BaseDataElement]:
        if mode != 'predict':
            raise ValueError(f"{type(self).__name__} only evaluates (mode='predict'), got {mode!r}")
        results = []
        for frames, sample in zip(inputs, data_samples):
            raster_hw = tuple(sample.raster_hw)
            features = self.extract_features(frames)
            queries = torch.as_tensor(sample.query_points, dtype=features.dtype,
                                      device=features.device)
            # 'strided' evaluation scores frames before each query frame too.
            cfg = self.propagation
            if sample.get('query_mode') == 'strided' and not cfg.bidirectional:
                cfg = replace(cfg, bidirectional=True)
            tracks = track_points(features, queries, raster_hw, cfg)
            sample.pred_tracks = tracks.cpu().numpy()
            sample.pred_occluded = torch.zeros(tracks.shape[:2], dtype=torch.bool).numpy()
            results.append(sample)
        return results
