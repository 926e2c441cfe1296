"""Adaptation to the first-frame mask (fgvc.engine.annotation), on generated frames."""

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement
from test_adaptation import ADAPTATION, moving_video, tracker

from fgvc.engine import adaptation_hook
from fgvc.engine.adaptation import adapt_encoder, check_adaptation_options
from fgvc.engine.annotation import annotation_loss, mask_one_hot
from fgvc.fileio.images import VOID
from fgvc.fileio.video_reader import ArrayVideo
from fgvc.models.losses.reconstruction_loss import gather_window
from fgvc.models.ops import local_correlation_fast

ANNOTATION = dict(lr=1e-3, radius=3, temperature=0.07, max_warp=4.0, jitter=0.2, batch_size=2)
WITH_MASK = dict(copy.deepcopy(ADAPTATION), annotation=ANNOTATION)


def disc_mask(size: int) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    return ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 <= (size / 4) ** 2).astype(np.uint8)


def test_window_labels_are_in_the_correlation_order():
    """Brute force: the windows the loss propagates labels over (gather_window, as
    reconstruct reads them), summed against features, give the correlation."""
    torch.manual_seed(0)
    source, target = torch.randn(2, 5, 7, 9), torch.randn(2, 5, 7, 9)
    by_windows = (target[:, :, None] * gather_window(source, 2)).sum(dim=1)
    assert torch.allclose(local_correlation_fast(target, source, 2), by_windows, atol=1e-5)


def test_mask_one_hot_counts_void_as_background_and_resizes_by_nearest():
    mask = np.array([[0, 1], [2, VOID]], np.uint8)
    one_hot = mask_one_hot(mask, (4, 4))
    assert one_hot.shape == (3, 4, 4)
    expected = np.kron(np.array([[0, 1], [2, 0]]), np.ones((2, 2), int))
    assert torch.equal(one_hot.argmax(0), torch.from_numpy(expected))
    assert torch.equal(one_hot.sum(0), torch.ones(4, 4))


def test_mask_adaptation_lowers_its_loss_is_seeded_and_leaves_the_caller_alone():
    frames = moving_video()
    video, mask, model = ArrayVideo(frames), disc_mask(frames.shape[1]), tracker()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    frame = model.data_preprocessor.normalize(torch.from_numpy(frames[0]))
    one_hot = mask_one_hot(mask, frame.shape[-2:])

    def loss_of(m) -> float:
        with torch.no_grad():
            rng = np.random.default_rng(3)
            return sum(
                annotation_loss(m.backbone, frame, one_hot, ANNOTATION, rng).item()
                for _ in range(4)
            )

    adapted = adapt_encoder(model, video, 30, WITH_MASK, seed=1, first_mask=mask)
    assert loss_of(adapted) < loss_of(model)
    again = adapt_encoder(model, video, 30, WITH_MASK, seed=1, first_mask=mask).state_dict()
    assert all(torch.equal(v, again[k]) for k, v in adapted.state_dict().items())
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_a_video_without_a_mask_adapts_as_before_and_bad_options_are_refused():
    video, model, mask = ArrayVideo(moving_video()), tracker(), disc_mask(moving_video().shape[1])
    plain = adapt_encoder(model, video, 2, ADAPTATION, seed=4).state_dict()
    same = adapt_encoder(model, video, 2, WITH_MASK, seed=4).state_dict()
    assert all(torch.equal(v, same[k]) for k, v in plain.items())
    masked = adapt_encoder(model, video, 2, WITH_MASK, seed=4, first_mask=mask).state_dict()
    assert any(not torch.equal(v, masked[k]) for k, v in plain.items())
    for bad in (dict(ANNOTATION, lr=0.0), dict(ANNOTATION, radius=0), {'lr': 1e-3}):
        with pytest.raises(ValueError, match=r'annotation must be None \(off\) or dict'):
            check_adaptation_options(1, dict(ADAPTATION, annotation=bad))


def test_test_loop_hook_adapts_a_vos_video_to_its_first_mask():
    frames = moving_video()
    mask = disc_mask(frames.shape[1])
    adapted = {}
    for name, sample in (('mask', BaseDataElement(first_mask=mask)), ('none', BaseDataElement())):
        model = tracker()
        hook = adaptation_hook.TestTimeAdaptationHook(steps=2, cfg=WITH_MASK, seed=0)
        hook.before_test_iter(
            SimpleNamespace(model=model),
            0,
            dict(inputs=[torch.from_numpy(frames)], data_samples=[sample]),
        )
        adapted[name] = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    direct = adapt_encoder(tracker(), ArrayVideo(frames), 2, WITH_MASK, seed=0, first_mask=mask)
    assert all(torch.equal(v, adapted['mask'][k]) for k, v in direct.backbone.state_dict().items())
    assert any(not torch.equal(v, adapted['none'][k]) for k, v in adapted['mask'].items())


def test_a_warp_that_keeps_no_whole_cell_gives_zero_loss_not_nan():
    model = tracker()
    frame = model.data_preprocessor.normalize(torch.from_numpy(moving_video()[0]))
    one_hot = mask_one_hot(disc_mask(frame.shape[-1]), frame.shape[-2:])
    huge = dict(ANNOTATION, max_warp=1000.0)
    loss = annotation_loss(model.backbone, frame, one_hot, huge, np.random.default_rng(0))
    assert torch.isfinite(loss) and loss.item() == 0.0


def test_mask_adaptation_takes_no_crops_so_frames_smaller_than_the_crop_are_fine():
    """The crop size is the self-supervised losses' alone: with a mask, frames
    below it adapt; without one they are still refused by name."""
    video, model = ArrayVideo(moving_video()), tracker()
    small = (24, 24)  # below ADAPTATION's 32x32 crops
    mask = disc_mask(moving_video().shape[1])
    adapted = adapt_encoder(model, video, 2, WITH_MASK, input_size=small, first_mask=mask)
    before = model.backbone.state_dict()
    assert any(not torch.equal(v, before[k]) for k, v in adapted.backbone.state_dict().items())
    with pytest.raises(ValueError, match=r'crops 32x32 .* frames are 24x24'):
        adapt_encoder(model, video, 2, WITH_MASK, input_size=small)
