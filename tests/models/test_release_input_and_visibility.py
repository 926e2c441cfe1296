"""The `release` protocol's input stage (``backend='cv2'``) and visibility
(``occluded_everywhere``), on hand-built cases."""

import cv2
import numpy as np
import pytest
import torch

from fgvc.models.data_preprocessors import VideoDataPreprocessor
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()


def test_cv2_backend_is_cv2_resize_then_cv2_lab_then_times_the_reciprocal():
    frames = np.random.default_rng(0).integers(0, 256, (2, 3, 9, 14, 3), np.uint8)
    got = VideoDataPreprocessor(backend='cv2', input_size=(6, 10)).normalize(
        torch.from_numpy(frames)
    )
    assert got.shape == (2, 3, 3, 6, 10) and got.is_contiguous()
    mean, reciprocal = np.float32([50, 0, 0]), np.float32(1) / np.float32([50, 127, 127])
    for i in range(2):
        for t in range(3):
            resized = cv2.resize(frames[i, t], (10, 6), interpolation=cv2.INTER_LINEAR)
            lab = cv2.cvtColor(resized.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
            expected = ((lab - mean) * reciprocal).transpose(2, 0, 1)
            assert np.array_equal(got[i, t].numpy(), expected)
    torch_backend = VideoDataPreprocessor(input_size=(6, 10)).normalize(torch.from_numpy(frames))
    assert (got - torch_backend).abs().max() > 1e-3  # another resize and Lab


def test_cv2_backend_takes_uint8_frames_only():
    with pytest.raises(TypeError, match='uint8'):
        VideoDataPreprocessor(backend='cv2').normalize(torch.zeros(1, 4, 4, 3))
    with pytest.raises(ValueError, match='backend must be one of'):
        VideoDataPreprocessor(backend='pil')


def tracker(**options):
    return MODELS.build(
        dict(
            type='PointTracker',
            backbone=dict(type='RawPatchEncoder', patch_size=3, stride=2),
            propagation=dict(precede_frames=2, matcher=dict(type='LocalMatcher', neighbor_range=6)),
            **options,
        )
    )


def test_occluded_everywhere_predicts_every_point_occluded():
    """Whatever the occlusion threshold; the tracks are unchanged."""
    features = torch.nn.functional.normalize(torch.randn(4, 8, 6, 6), dim=1)
    queries = torch.tensor([[0.0, 5.0, 5.0], [2.0, 3.0, 7.0]])
    visible_tracks, visible = tracker().track(features, queries, (12, 12))
    assert not visible.any()
    for threshold in (None, 0.5):
        model = tracker(occluded_everywhere=True, occlusion_threshold=threshold)
        tracks, occluded = model.track(features, queries, (12, 12))
        assert occluded.shape == (2, 4) and occluded.all()
        assert torch.equal(tracks, visible_tracks)
