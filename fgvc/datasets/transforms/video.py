"""Transforms on whole videos and their point tracks."""

from typing import Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from fgvc.registry import TRANSFORMS

from .queries import sample_queries_first, sample_queries_strided


@TRANSFORMS.register_module()
class ResizeVideo(BaseTransform):
    """Resize every frame of ``results['video']`` to ``size`` = (height, width)."""

    def __init__(self, size: Sequence[int], interpolation: str = 'bilinear'):
        self.size = tuple(size)
        self.interpolation = {
            'bilinear': cv2.INTER_LINEAR,
            'area': cv2.INTER_AREA,
            'nearest': cv2.INTER_NEAREST,
        }[interpolation]

    def transform(self, results: dict) -> dict:
        video = results['video']
        if video.shape[1:3] != self.size:
            dsize = (self.size[1], self.size[0])
            results['video'] = np.stack(
                [cv2.resize(frame, dsize, interpolation=self.interpolation) for frame in video]
            )
        return results


@TRANSFORMS.register_module()
class SampleTapVidQueries(BaseTransform):
    """Scale normalised tracks to the frame raster and sample queries.

    'first': one query per track at its first visible frame; 'strided': a
    query every ``query_stride`` frames for each track visible there.
    Adds ``query_points`` [n, 3] (t, y, x), ``target_points`` [n, T, 2] (x, y),
    ``occluded`` [n, T], ``track_ids`` [n] (the ground-truth track of each
    query), ``raster_hw`` and ``query_mode``.
    """

    def __init__(self, query_mode: str = 'first', query_stride: int = 5):
        if query_mode not in ('first', 'strided'):
            raise ValueError(f"query_mode must be 'first' or 'strided', got {query_mode!r}")
        self.query_mode = query_mode
        self.query_stride = query_stride

    def transform(self, results: dict) -> dict:
        height, width = results['video'].shape[1:3]
        points = results.pop('points') * np.array([width, height], dtype=np.float32)
        occluded = results.pop('occluded')
        if self.query_mode == 'first':
            queries = sample_queries_first(occluded, points)
            queries['track_ids'] = np.flatnonzero((~occluded).any(1))
        else:
            queries = sample_queries_strided(occluded, points, self.query_stride)
            queries['track_ids'] = queries.pop('trackgroup')
        results.update(queries, raster_hw=(height, width), query_mode=self.query_mode)
        return results


@TRANSFORMS.register_module()
class PackTrackInputs(BaseTransform):
    """Pack frames as ``inputs`` and a data sample holding the evaluation's
    ground truth (``data_keys``) as data fields and the video's description
    (``meta_keys``) as metainfo. Keys missing from the results are skipped."""

    def __init__(
        self,
        data_keys: Sequence[str] = ('query_points', 'target_points', 'occluded', 'track_ids'),
        meta_keys: Sequence[str] = ('video_name', 'raster_hw', 'query_mode'),
    ):
        self.data_keys = tuple(data_keys)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        sample = BaseDataElement(metainfo={k: results[k] for k in self.meta_keys if k in results})
        sample.set_data({k: results[k] for k in self.data_keys if k in results})
        return dict(
            inputs=torch.from_numpy(np.ascontiguousarray(results['video'])), data_samples=sample
        )
