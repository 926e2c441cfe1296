"""Adaptation to the query points' own tracks (fgvc.engine.point_tracks), on generated frames."""

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement
from test_adaptation import ADAPTATION, SIZE, moving_video, track_error, tracker
from torch import nn

from fgvc.apis import Predictor
from fgvc.engine import adaptation_hook
from fgvc.engine.adaptation import adapt_encoder, check_adaptation_options
from fgvc.engine.point_tracks import disc_labels, query_discs, tracked_cells, tracked_points_loss
from fgvc.fileio.video_reader import ArrayVideo

POINTS = dict(
    lr=1e-3,
    radius=3,
    temperature=0.07,
    disc_radius=3.0,
    batch_size=2,
    frame_gaps=(1, 2),
    anchor=0.1,
    query_warps=None,
)
QUERY_WARPS = dict(weight=1.0, max_warp=4.0, jitter=0.2)
FROZEN = dict(copy.deepcopy(ADAPTATION), bn_stats='frozen')  # as the eval config adapts
WITH_POINTS = dict(FROZEN, points=POINTS)
GRID = np.linspace(12, SIZE - 12, 4)
#: (t, y, x) in the video's pixels: the points track_error scores
QUERIES = np.array([[0.0, y, x] for y in GRID for x in GRID])


class Identity(nn.Module):
    """An "encoder" whose feature map is its input."""

    def forward(self, x: torch.Tensor) -> list:
        return [x]


def test_disc_labels_are_the_discs_by_brute_force():
    cells = torch.tensor([[2, 3], [3, 4], [0, 0]])
    labels = disc_labels(cells, (6, 7), 1.5)
    assert labels.shape == (4, 6, 7)
    for r in range(6):
        for c in range(7):
            inside = [(r - y) ** 2 + (c - x) ** 2 <= 2.25 for y, x in cells.tolist()]
            share = 1.0 / max(sum(inside), 1)
            expected = [0.0 if any(inside) else 1.0] + [share if i else 0.0 for i in inside]
            assert labels[:, r, c].tolist() == pytest.approx(expected)


def test_tracked_cells_follow_an_exact_shift_forward_and_backward():
    """Random features moving by (1, 2) cells a frame (stride 1): every point
    is found exactly where the shift puts it, after its query frame and
    before it, although a moved disc is a flat plateau of propagated labels."""
    torch.manual_seed(0)
    big = torch.randn(16, 40, 48)
    frames = [big[:, t : t + 24, 2 * t : 2 * t + 24] for t in range(6)]  # content moves up-left
    queries = torch.tensor([[0.0, 15.2, 18.7], [3.0, 10.0, 9.0]])  # (t, y, x) pixels
    cfg = dict(radius=3, temperature=0.05, disc_radius=1.5)
    cells = tracked_cells(Identity(), frames.__getitem__, len(frames), queries, cfg)
    for n, (t0, y, x) in enumerate(queries.tolist()):
        for t in range(len(frames)):
            expected = [int(y) - (t - int(t0)), int(x) - 2 * (t - int(t0))]
            assert cells[t, n].tolist() == expected, (n, t)


def test_points_adaptation_lowers_its_loss_is_seeded_and_leaves_the_caller_alone():
    frames = moving_video()
    video, model = ArrayVideo(frames), tracker()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    prepare = model.data_preprocessor.normalize
    frame_at = [prepare(torch.from_numpy(f)) for f in frames].__getitem__
    cells = tracked_cells(model.backbone, frame_at, len(frames), torch.tensor(QUERIES), POINTS)

    def loss_of(m) -> float:
        with torch.no_grad():
            rng = np.random.default_rng(3)
            return sum(
                tracked_points_loss(m.backbone, frame_at, cells, POINTS, rng, model.backbone).item()
                for _ in range(4)
            )

    adapted = adapt_encoder(model, video, 30, WITH_POINTS, seed=1, queries=QUERIES)
    assert loss_of(adapted) < loss_of(model)
    again = adapt_encoder(model, video, 30, WITH_POINTS, seed=1, queries=QUERIES).state_dict()
    assert all(torch.equal(v, again[k]) for k, v in adapted.state_dict().items())
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


@pytest.mark.parametrize('query_warps', [None, QUERY_WARPS])
def test_points_adaptation_brings_tracks_closer_to_the_known_motion(query_warps):
    frames = moving_video()
    model = tracker()
    cfg = dict(FROZEN, points=dict(POINTS, query_warps=query_warps))
    adapted = adapt_encoder(model, ArrayVideo(frames), 40, cfg, queries=QUERIES)
    assert track_error(adapted, frames) < track_error(model, frames)


def test_query_warps_of_weight_0_are_off():
    """The eval config holds query_warps with weight 0, so that one
    --cfg-options key turns them on: off, they adapt as None does."""
    video, model = ArrayVideo(moving_video()), tracker()
    weights = {}
    for name, warps in (
        ('none', None),
        ('zero', dict(QUERY_WARPS, weight=0.0)),
        ('on', QUERY_WARPS),
    ):
        cfg = dict(FROZEN, points=dict(POINTS, query_warps=warps))
        weights[name] = adapt_encoder(model, video, 3, cfg, seed=2, queries=QUERIES).state_dict()
    assert all(torch.equal(v, weights['zero'][k]) for k, v in weights['none'].items())
    assert any(not torch.equal(v, weights['on'][k]) for k, v in weights['none'].items())


def test_without_queries_or_points_config_adaptation_is_self_supervised():
    video, model = ArrayVideo(moving_video()), tracker()
    plain = adapt_encoder(model, video, 2, FROZEN, seed=4).state_dict()
    for cfg, queries in ((WITH_POINTS, None), (WITH_POINTS, QUERIES[:0]), (FROZEN, QUERIES)):
        same = adapt_encoder(model, video, 2, cfg, seed=4, queries=queries).state_dict()
        assert all(torch.equal(v, same[k]) for k, v in plain.items())
    tracked = adapt_encoder(model, video, 2, WITH_POINTS, seed=4, queries=QUERIES).state_dict()
    assert any(not torch.equal(v, tracked[k]) for k, v in plain.items())


@pytest.mark.parametrize(
    'change',
    [
        dict(lr=0.0),
        dict(radius=0),
        dict(temperature=0.0),
        dict(anchor=-1.0),
        dict(frame_gaps=(3, 1)),
        dict(batch_size=0),
        dict(query_warps=dict(QUERY_WARPS, jitter=-1.0)),
        dict(query_warps=dict(weight=1.0)),
    ],
)
def test_bad_points_options_are_refused_by_name(change):
    with pytest.raises(ValueError, match=r'adaptation\.points must be None \(off\) or dict'):
        check_adaptation_options(1, dict(ADAPTATION, points=dict(POINTS, **change)))
    missing = {k: v for k, v in POINTS.items() if k != 'anchor'}
    with pytest.raises(ValueError, match=r'adaptation\.points must be None'):
        check_adaptation_options(1, dict(ADAPTATION, points=missing))


def test_test_loop_hook_adapts_a_points_video_to_its_queries_in_the_input_pixels():
    """The sample's queries are in its raster; the hook scales them to the
    frames it adapts on (here the raster is twice the frames)."""
    frames = moving_video()
    raster = BaseDataElement(metainfo=dict(query_points=QUERIES * [1, 2, 2], raster_hw=(96, 96)))
    model = tracker()
    hook = adaptation_hook.TestTimeAdaptationHook(steps=2, cfg=WITH_POINTS, seed=0)
    batch = dict(inputs=[torch.from_numpy(frames)], data_samples=[raster])
    hook.before_test_iter(SimpleNamespace(model=model), 0, batch)
    direct = adapt_encoder(tracker(), ArrayVideo(frames), 2, WITH_POINTS, seed=0, queries=QUERIES)
    got = model.backbone.state_dict()
    assert all(torch.equal(v, got[k]) for k, v in direct.backbone.state_dict().items())


def test_query_discs_are_those_of_the_frame_most_queries_are_on():
    queries = torch.tensor([[2.0, 3.7, 4.2], [0.0, 1.0, 1.0], [2.0, 6.0, 1.0], [1.6, 0.0, 7.9]])
    frame, labels = query_discs(queries, (8, 9), 1.0)
    assert frame == 2  # three of the four queries round to frame 2
    assert torch.equal(labels, disc_labels(torch.tensor([[3, 4], [6, 1], [0, 7]]), (8, 9), 1.0))


def test_the_predictor_adapts_a_points_video_to_its_queries_tracks(tmp_path):
    """Predictor(...)(video, queries) hands its (t, x, y) queries to the
    adaptation as (t, y, x): the saved weights are adapt_encoder's with
    those queries, and differ from the self-supervised losses'."""
    frames = moving_video()
    queries = np.array([[0, 20.5, 30.5], [2, 10.0, 14.0]])  # (t, x, y)
    options = {'model.backbone.base_channels': 8, 'adaptation.crop_size': (32, 32)}
    saved, predictors = {}, {}
    for name, extra in (('tracks', {}), ('losses', {'adaptation.points': None})):
        path = tmp_path / f'{name}.pth'
        predictors[name] = Predictor(
            checkpoint=None,
            cfg_options={**options, **extra},
            short_side=None,
            warn_untrained=False,
            adapt_steps=2,
            save_adapted=str(path),
        )
        predictors[name](frames, queries)
        saved[name] = torch.load(path, weights_only=True)['state_dict']
    assert any(not torch.equal(v, saved['losses'][k]) for k, v in saved['tracks'].items())
    predictor = predictors['tracks']
    task = predictor.point_task
    direct = adapt_encoder(
        predictor.model(task),
        ArrayVideo(frames),
        2,
        predictor._task_cfgs[task].adaptation,
        input_size=frames.shape[1:3],
        seed=predictor.adapt_seed,
        queries=queries[:, [0, 2, 1]],
    )
    for key, value in direct.backbone.state_dict().items():
        assert torch.equal(value, saved['tracks'][f'backbone.{key}']), key
