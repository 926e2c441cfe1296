"""The trackers without learnt features, through the registered model's
predict step as the test loop calls it, on frames with known motion."""

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()
FRAMES, HEIGHT, WIDTH, STEP = 6, 64, 96, 2  # the content moves left STEP px a frame


def panning_frames() -> np.ndarray:
    rng = np.random.default_rng(2)
    wide = WIDTH + STEP * FRAMES
    small = rng.integers(0, 255, (HEIGHT // 4, wide // 4, 3)).astype(np.uint8)
    big = cv2.resize(small, (wide, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return np.stack([big[:, STEP * t : STEP * t + WIDTH] for t in range(FRAMES)])


@pytest.mark.parametrize('query_mode', ['first', 'strided'])
def test_dis_points_follow_a_translation(query_mode):
    queries = np.array([[0, 40.5, 30.5], [2, 60.5, 20.5]])  # (t, x, y)
    frames = panning_frames()
    model = MODELS.build(dict(type='DISTracker'))
    sample = BaseDataElement(
        metainfo=dict(raster_hw=(HEIGHT, WIDTH), query_mode=query_mode),
        query_points=queries[:, [0, 2, 1]],
    )
    out = model(inputs=[torch.from_numpy(frames)], data_samples=[sample], mode='predict')[0]
    tracks = out.pred_tracks  # [N, T, 2]
    assert tracks.shape == (2, FRAMES, 2) and not out.pred_occluded.any()
    t = np.arange(FRAMES)[None]
    expected_x = queries[:, 1:2] - STEP * (t - queries[:, :1])
    reached = t >= queries[:, :1] if query_mode == 'first' else np.ones_like(expected_x, bool)
    assert np.abs(tracks[..., 0] - expected_x)[reached].max() < 0.5
    assert np.abs(tracks[..., 1] - queries[:, 2:3])[reached].max() < 0.5
    assert (tracks[~reached] == 0).all()  # frames before a 'first' query are not tracked


def test_static_points_stay_and_masks_repeat():
    frames = panning_frames()
    queries = np.array([[1, 40.5, 30.5]])
    model = MODELS.build(dict(type='StaticTracker'))
    sample = BaseDataElement(metainfo=dict(query_mode='first'), query_points=queries[:, [0, 2, 1]])
    tracks = model(inputs=[torch.from_numpy(frames)], data_samples=[sample])[0].pred_tracks
    np.testing.assert_array_equal(tracks[0, 1:], np.tile([[40.5, 30.5]], (FRAMES - 1, 1)))
    assert (tracks[0, 0] == 0).all()
    first = np.zeros((HEIGHT, WIDTH), np.uint8)
    first[10:20, 30:50], first[0, 0] = 1, 255  # an object and a void pixel
    sample = BaseDataElement(first_mask=first, num_objects=1)
    masks = model(inputs=[torch.from_numpy(frames)], data_samples=[sample])[0].pred_masks
    expected = np.where(first == 255, 0, first)
    assert masks.shape == (FRAMES, HEIGHT, WIDTH) and (masks == expected).all()


def test_dis_masks_follow_a_translation():
    frames = panning_frames()
    first = np.zeros((HEIGHT, WIDTH), np.uint8)
    first[20:44, 40:72] = 1
    model = MODELS.build(dict(type='DISTracker', preset='medium'))
    sample = BaseDataElement(first_mask=first, num_objects=1)
    masks = model(inputs=[torch.from_numpy(frames)], data_samples=[sample])[0].pred_masks
    for t in range(FRAMES):
        truth = np.roll(first, -STEP * t, axis=1)
        iou = (masks[t] & truth).sum() / (masks[t] | truth).sum()
        assert iou > 0.85, (t, iou)


def test_bad_settings_and_samples_are_named():
    with pytest.raises(ValueError, match="preset must be one of .* got 'slow'"):
        MODELS.build(dict(type='DISTracker', preset='slow'))
    model = MODELS.build(dict(type='StaticTracker', backbone=dict(type='ResNet')))  # not used
    with pytest.raises(ValueError, match='query_points or first_mask'):
        model(inputs=[torch.zeros(2, 8, 8, 3, dtype=torch.uint8)], data_samples=[BaseDataElement()])
