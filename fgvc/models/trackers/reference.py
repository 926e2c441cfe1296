"""Trackers without learnt features, scored beside the encoders as references.

``StaticTracker`` keeps every point at its query position and every mask as
the first one; ``DISTracker`` moves them with OpenCV's DIS optical flow,
chained frame to frame. Both serve every task a learnt tracker serves
(samples with ``query_points``: TAP-Vid, JHMDB, BADJA; samples with
``first_mask``: VOS) and write the same predictions, so the registered
datasets, metrics, records, ``--resume`` and ``--dump`` of ``tools/test.py``
score them like any model: ``--cfg-options model.type=DISTracker``.

They read the frames as the dataset gives them (uint8 RGB at the scored
raster). The settings a task gives its learnt tracker (encoder,
propagation, preprocessing, occlusion) do not apply to them: they are
accepted, so that a task's model can be switched by its type alone, and not
used; the protocol record names the tracker instead of an encoder.
"""

from typing import List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.structures import BaseDataElement

from fgvc.registry import MODELS

from .base import VideoTracker

#: OpenCV's DIS presets by name.
DIS_PRESETS = dict(
    ultrafast=cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    fast=cv2.DISOPTICAL_FLOW_PRESET_FAST,
    medium=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
)


class ReferenceTracker(VideoTracker):
    """Base of the trackers without learnt features (see the module docstring).

    Args:
        backbone, propagation, data_preprocessor, frames_per_batch,
            occlusion_threshold: a learnt tracker's settings; not used.
    """

    #: Whether the tracker has an encoder (the protocol record asks).
    learnt = False

    def __init__(
        self,
        backbone: Optional[dict] = None,
        propagation: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        frames_per_batch: Optional[int] = None,
        occlusion_threshold: Optional[float] = None,
        init_cfg=None,
    ):
        # frames reach forward as the dataset gives them (uint8 RGB)
        super().__init__(data_preprocessor=None, init_cfg=init_cfg)

    def track_points(self, frames: np.ndarray, queries: np.ndarray, backward: bool) -> np.ndarray:
        """Tracks ``[N, T, 2]`` (x, y) of queries ``[N, 3]`` (t, x, y) through
        frames ``[T, H, W, 3]``: from each query frame on (and before it with
        ``backward``); frames not reached keep zeros."""
        raise NotImplementedError

    def segment(self, frames: np.ndarray, first_mask: np.ndarray) -> np.ndarray:
        """Masks ``[T, H, W]`` of object ids from the first frame's ``[H, W]``."""
        raise NotImplementedError

    def predict_sample(self, frames: np.ndarray, sample: BaseDataElement) -> None:
        if 'query_points' in sample:
            queries = np.asarray(sample.query_points, np.float64)[:, [0, 2, 1]]  # (t, x, y)
            backward = sample.get('query_mode') == 'strided'
            tracks = self.track_points(frames, queries, backward)
            sample.pred_tracks = tracks.astype(np.float32)
            sample.pred_occluded = np.zeros(tracks.shape[:2], bool)
        elif 'first_mask' in sample:
            first = np.asarray(sample.first_mask)
            first = np.where(first <= int(sample.num_objects), first, 0).astype(np.uint8)
            sample.pred_masks = self.segment(frames, first)
        else:
            raise ValueError(
                f'{type(self).__name__} predicts samples with query_points or first_mask; '
                f'this one has {sorted(sample.keys())}'
            )

    def predict_video(self, frames: torch.Tensor, sample: BaseDataElement) -> None:
        self.predict_sample(np.ascontiguousarray(frames.cpu().numpy()), sample)


@MODELS.register_module()
class StaticTracker(ReferenceTracker):
    """Every point stays at its query position, every mask is the first one."""

    def track_points(self, frames: np.ndarray, queries: np.ndarray, backward: bool) -> np.ndarray:
        tracks = np.repeat(queries[:, None, 1:], len(frames), axis=1)
        if not backward:
            tracks[np.arange(len(frames))[None] < np.round(queries[:, :1])] = 0
        return tracks

    def segment(self, frames: np.ndarray, first_mask: np.ndarray) -> np.ndarray:
        return np.repeat(first_mask[None], len(frames), axis=0)


def sample_flow(flow: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Flow ``[H, W, 2]`` read bilinearly at continuous positions ``[n, 2]``
    (x, y; pixel i covers [i, i + 1)), clamped to the frame."""
    height, width = flow.shape[:2]
    x = np.clip(points[:, 0] - 0.5, 0, width - 1)
    y = np.clip(points[:, 1] - 0.5, 0, height - 1)
    x0 = np.minimum(x.astype(int), width - 2)
    y0 = np.minimum(y.astype(int), height - 2)
    wx, wy = (x - x0)[:, None], (y - y0)[:, None]
    return (
        flow[y0, x0] * (1 - wx) * (1 - wy)
        + flow[y0, x0 + 1] * wx * (1 - wy)
        + flow[y0 + 1, x0] * (1 - wx) * wy
        + flow[y0 + 1, x0 + 1] * wx * wy
    )


@MODELS.register_module()
class DISTracker(ReferenceTracker):
    """Points moved and masks warped by OpenCV's DIS optical flow between
    consecutive frames, chained from the query (first) frame.

    Args:
        preset: DIS preset, ``'ultrafast'``, ``'fast'`` or ``'medium'``.
        (the others: see :class:`ReferenceTracker`)
    """

    def __init__(self, preset: str = 'medium', **unused):
        if preset not in DIS_PRESETS:
            raise ValueError(
                f'DISTracker preset must be one of {sorted(DIS_PRESETS)}, got {preset!r}'
            )
        super().__init__(**unused)
        self.preset = preset

    def flows(self, frames: Sequence[np.ndarray], pairs: Sequence[tuple]) -> List[np.ndarray]:
        """Flow ``[H, W, 2]`` (dx, dy) from frame a to frame b for each ``(a, b)``."""
        dis = cv2.DISOpticalFlow_create(DIS_PRESETS[self.preset])
        grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        return [dis.calc(grey[a], grey[b], None) for a, b in pairs]

    def track_points(self, frames: np.ndarray, queries: np.ndarray, backward: bool) -> np.ndarray:
        num_frames = len(frames)
        starts = np.round(queries[:, 0]).astype(int)
        tracks = np.zeros((len(queries), num_frames, 2))
        tracks[np.arange(len(queries)), starts] = queries[:, 1:]
        forward = self.flows(frames, [(t - 1, t) for t in range(1, num_frames)])
        for t in range(1, num_frames):
            moving = starts < t
            tracks[moving, t] = tracks[moving, t - 1] + sample_flow(
                forward[t - 1], tracks[moving, t - 1]
            )
        if backward:
            back = self.flows(frames, [(t + 1, t) for t in range(num_frames - 1)])
            for t in range(num_frames - 2, -1, -1):
                moving = starts > t
                tracks[moving, t] = tracks[moving, t + 1] + sample_flow(
                    back[t], tracks[moving, t + 1]
                )
        return tracks

    def segment(self, frames: np.ndarray, first_mask: np.ndarray) -> np.ndarray:
        height, width = first_mask.shape
        xs, ys = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )
        masks = [first_mask]
        # each frame t reads its labels from frame t - 1 along the flow t -> t - 1
        for back in self.flows(frames, [(t, t - 1) for t in range(1, len(frames))]):
            masks.append(
                cv2.remap(masks[-1], xs + back[..., 0], ys + back[..., 1], cv2.INTER_NEAREST)
            )
        return np.stack(masks)
