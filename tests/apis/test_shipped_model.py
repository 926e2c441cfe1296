"""The model shipped with the package (fgvc/weights/zoo.json's default): the
default Predictor loads it, checked by sha256, and it tracks a generated
moving texture (exact ground truth from the synthetic scene model) better
than the untrained encoder. Skipped only while the package ships no model."""

import functools
from importlib import resources

import numpy as np
import pytest
import torch

from fgvc.apis import Predictor
from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.datasets.synthetic.tracks import follow
from fgvc.models.zoo import ZOO_ENV, Zoo

PACKAGE_ZOO = Zoo(resources.files('fgvc') / 'weights')
FRAMES, HEIGHT, WIDTH = 16, 96, 128
#: Sub-cell motion (the encoder's features have stride 2), over a static background.
VELOCITY = (1.5, 0.75)
LAYER_BOX = (24, 24, 48, 40)  # x, y, w, h at frame 0
GRID_STEP = 8


def moving_texture():
    """Frames [T, H, W, 3], frame-0 queries [N, 3] on a grid over the whole
    frame, and their true tracks [T, N, 2] and visibility [T, N]."""
    offsets = np.asarray(VELOCITY) * np.arange(FRAMES)[:, None]
    scene = make_moving_layer_scene(HEIGHT, WIDTH, offsets, LAYER_BOX, seed=0)
    frames, ids = render(scene)
    xs, ys = np.meshgrid(
        np.arange(GRID_STEP // 2, WIDTH, GRID_STEP) + 0.5,
        np.arange(GRID_STEP // 2, HEIGHT, GRID_STEP) + 0.5,
    )
    xy = np.stack([xs.ravel(), ys.ravel()], 1)
    layers = ids[0][xy[:, 1].astype(int), xy[:, 0].astype(int)].astype(np.int64)
    points, occluded = follow(scene, np.zeros(len(xy), np.int64), xy, layers)
    queries = np.concatenate([np.zeros((len(xy), 1)), xy], 1)
    return frames, queries, points.transpose(1, 0, 2), ~occluded.T


def mean_error(predictor: Predictor, video) -> float:
    """Mean distance (pixels) of the predicted tracks from the truth where visible."""
    frames, queries, truth, visible = video
    tracks, _ = predictor(frames, queries)
    return float(np.linalg.norm(tracks - truth, axis=-1)[visible].mean())


@functools.cache
def untrained_error() -> float:
    """:func:`mean_error` of the untrained encoder (seed 0) on :func:`moving_texture`."""
    torch.manual_seed(0)
    return mean_error(Predictor(checkpoint=None, device='cpu', short_side=None), moving_texture())


@pytest.mark.skipif(
    not PACKAGE_ZOO.names,
    reason='no model is shipped yet: fgvc/weights/zoo.json has no entry '
    '(tools/publish_model.py adds one)',
)
def test_default_predictor_loads_the_shipped_model_and_beats_the_untrained_encoder(monkeypatch):
    monkeypatch.delenv(ZOO_ENV)  # the package's own zoo, not the tests' empty one
    shipped = PACKAGE_ZOO.default
    assert shipped is not None, 'the package ships models but names no default'
    trained = Predictor(device='cpu', short_side=None)
    assert trained.weights.model == shipped and not trained.untrained
    assert shipped.short_sha256 in trained.weights.description
    assert mean_error(trained, moving_texture()) < untrained_error()


@pytest.mark.parametrize('name', PACKAGE_ZOO.names)
def test_every_shipped_model_loads_by_name_and_beats_the_untrained_encoder(monkeypatch, name):
    """``zoo:NAME`` for each model of the package's zoo: its file matches the
    manifest's sha256, loads strictly with its own encoder config, and tracks."""
    monkeypatch.delenv(ZOO_ENV)
    model = PACKAGE_ZOO.get(name)
    with model.verified_file():  # sha256 checked against the manifest
        pass
    shipped = Predictor(checkpoint=f'zoo:{name}', device='cpu', short_side=None)
    assert shipped.weights.model == model and model.short_sha256 in shipped.weights.description
    assert mean_error(shipped, moving_texture()) < untrained_error()


@pytest.mark.skipif(not PACKAGE_ZOO.names, reason='no model is shipped yet')
def test_mask_adaptation_brings_the_default_models_masks_closer_to_the_known_motion(monkeypatch):
    """Adapted to the first-frame mask (the config's ``adaptation.annotation``),
    the default model segments the generated moving layer better than without
    adaptation: mean IoU over frames 1.. against the renderer's own layer map
    (measured: 0.887 without, 0.914 after 20 steps)."""
    monkeypatch.delenv(ZOO_ENV)
    offsets = np.asarray(VELOCITY) * np.arange(FRAMES)[:, None]
    frames, ids = render(make_moving_layer_scene(HEIGHT, WIDTH, offsets, LAYER_BOX, seed=0))
    inside = ids[0][LAYER_BOX[1] + LAYER_BOX[3] // 2, LAYER_BOX[0] + LAYER_BOX[2] // 2]
    truth = ids == inside

    def mean_iou(adapt_steps: int) -> float:
        predictor = Predictor(device='cpu', short_side=None, adapt_steps=adapt_steps)
        masks = predictor.segment(frames, truth[0].astype(np.uint8)) == 1
        return float(((masks & truth).sum((1, 2)) / (masks | truth).sum((1, 2)))[1:].mean())

    assert mean_iou(20) > mean_iou(0) + 0.01
