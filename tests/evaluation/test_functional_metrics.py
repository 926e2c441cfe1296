"""Tests of fgvc.evaluation.functional against reference fixtures and
hand-checked cases."""

import ast
import sys

import numpy as np
import pytest

from fgvc.datasets.transforms.queries import sample_queries_first, sample_queries_strided
from fgvc.evaluation import functional as F

ATOL = 1e-6
TAPVID_KEYS = ['occlusion_accuracy', 'average_jaccard', 'average_pts_within_thresh'] + [
    f'{m}_{t}' for m in ('pts_within', 'jaccard') for t in (1, 2, 4, 8, 16)
]


@pytest.fixture(scope='module')
def metrics_dir(data_dir):
    return data_dir / 'fixtures' / 'metrics'


def test_no_torch_or_models_import():
    tree = ast.parse(open(F.__file__).read())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add('.' * node.level + (node.module or ''))
    assert not any(m.split('.')[0] in ('torch', 'fgvc', '') for m in modules), modules


# ----------------------------------------------------------------- TAP-Vid
@pytest.mark.parametrize('mode', ['first', 'strided'])
def test_tapvid_metrics_fixture(metrics_dir, mode):
    d = np.load(metrics_dir / f'tapvid_metrics_{mode}.npz')
    assert str(d['query_mode']) == mode
    out = F.compute_tapvid_metrics(
        d['query_points'],
        d['gt_occluded'],
        d['gt_tracks'],
        d['pred_occluded'],
        d['pred_tracks'],
        str(d['query_mode']),
    )
    expected_keys = {k[len('expected_') :] for k in d.files if k.startswith('expected_')}
    assert expected_keys == set(TAPVID_KEYS)
    assert set(out) == expected_keys
    for key in expected_keys:
        assert out[key].shape == d[f'expected_{key}'].shape, key
        np.testing.assert_allclose(out[key], d[f'expected_{key}'], rtol=0, atol=ATOL, err_msg=key)


@pytest.mark.parametrize('mode', ['first', 'strided'])
def test_tapvid_perfect_prediction(mode):
    rng = np.random.default_rng(0)
    b, n, t = 2, 5, 8
    tracks = rng.uniform(0, 256, (b, n, t, 2))
    occ = rng.uniform(size=(b, n, t)) < 0.3
    occ[..., 0] = False
    occ[..., -1] = False  # at least one visible evaluation frame
    qp = np.zeros((b, n, 3))
    out = F.compute_tapvid_metrics(qp, occ, tracks, occ, tracks, mode)
    for key in TAPVID_KEYS:
        np.testing.assert_allclose(out[key], 1.0, atol=0, err_msg=key)


def test_tapvid_hand_case():
    # One video, one point, 4 frames, query at t=1.
    qp = np.array([[[1.0, 0.0, 0.0]]])
    gt = np.zeros((1, 1, 4, 2))
    gt_occ = np.array([[[False, False, False, True]]])
    pred = np.zeros((1, 1, 4, 2))
    pred[0, 0, :, 0] = [100.0, 0.0, 3.0, 0.0]  # frame 2 off by 3 px
    pred_occ = np.array([[[False, False, False, False]]])

    # 'first': frames 2, 3. Frame 2: visible both, err 3. Frame 3: gt
    # occluded, predicted visible (FP at every threshold).
    out = F.compute_tapvid_metrics(qp, gt_occ, gt, pred_occ, pred, 'first')
    assert out['occlusion_accuracy'][0] == pytest.approx(0.5)
    for t in (1, 2):
        assert out[f'pts_within_{t}'][0] == 0.0
        assert out[f'jaccard_{t}'][0] == 0.0  # 0 / (1 + 2)
    for t in (4, 8, 16):
        assert out[f'pts_within_{t}'][0] == 1.0
        assert out[f'jaccard_{t}'][0] == pytest.approx(0.5)  # 1 / (1 + 1)
    assert out['average_pts_within_thresh'][0] == pytest.approx(0.6)
    assert out['average_jaccard'][0] == pytest.approx(0.3)

    # 'strided': frames 0, 2, 3. Frame 0 is visible, 100 px off (miss, FP).
    out = F.compute_tapvid_metrics(qp, gt_occ, gt, pred_occ, pred, 'strided')
    assert out['occlusion_accuracy'][0] == pytest.approx(2 / 3)
    assert out['pts_within_4'][0] == pytest.approx(0.5)
    assert out['jaccard_4'][0] == pytest.approx(1 / 4)  # 1 / (2 + 2)
    assert out['jaccard_1'][0] == 0.0

    with pytest.raises(ValueError):
        F.compute_tapvid_metrics(qp, gt_occ, gt, pred_occ, pred, 'last')


def test_query_sampling_fixture(metrics_dir):
    d = np.load(metrics_dir / 'tapvid_query_sampling.npz')
    for mode, fn in (('first', sample_queries_first), ('strided', sample_queries_strided)):
        out = fn(d['target_occluded'], d['target_points_01'])
        for key in ('query_points', 'target_points', 'occluded'):
            exp = d[f'{mode}_{key}']
            assert out[key].shape == exp.shape, (mode, key)
            assert out[key].dtype == exp.dtype, (mode, key)
            np.testing.assert_allclose(out[key], exp, rtol=0, atol=ATOL, err_msg=f'{mode}_{key}')


def test_query_sampling_hand_case():
    occ = np.array(
        [
            [True, True, False, False],  # first visible at 2
            [True, True, True, True],  # never visible
            [False, True, False, True],  # visible at 0 and 2
        ]
    )
    pts = np.arange(3 * 4 * 2, dtype=np.float32).reshape(3, 4, 2)
    first = sample_queries_first(occ, pts)
    np.testing.assert_array_equal(
        first['query_points'], [[2, pts[0, 2, 1], pts[0, 2, 0]], [0, pts[2, 0, 1], pts[2, 0, 0]]]
    )
    np.testing.assert_array_equal(first['occluded'], occ[[0, 2]])
    np.testing.assert_array_equal(first['target_points'], pts[[0, 2]])

    strided = sample_queries_strided(occ, pts, query_stride=2)
    # frame 0: track 2; frame 2: tracks 0 and 2 (frame-major order)
    np.testing.assert_array_equal(strided['query_points'][:, 0], [0, 2, 2])
    np.testing.assert_array_equal(strided['trackgroup'], [2, 0, 2])
    np.testing.assert_array_equal(strided['query_points'][1], [2, pts[0, 2, 1], pts[0, 2, 0]])
    np.testing.assert_array_equal(strided['target_points'], pts[[2, 0, 2]])


# ------------------------------------------------------------------- DAVIS
def test_davis_fixture(metrics_dir):
    d = np.load(metrics_dir / 'davis_jf.npz')
    gt, pred, void = d['gt'], d['pred'], d['void']
    j = F.region_similarity(gt, pred)
    f = F.boundary_f_measure(gt, pred)
    np.testing.assert_allclose(j, d['expected_J'], rtol=0, atol=ATOL)
    np.testing.assert_allclose(f, d['expected_F'], rtol=0, atol=ATOL)
    np.testing.assert_allclose(
        F.region_similarity(gt, pred, void), d['expected_J_void'], rtol=0, atol=ATOL
    )
    np.testing.assert_allclose(
        F.boundary_f_measure(gt, pred, void), d['expected_F_void'], rtol=0, atol=ATOL
    )
    np.testing.assert_allclose(F.summary_statistics(j), d['expected_J_stats'], rtol=0, atol=ATOL)
    np.testing.assert_allclose(F.summary_statistics(f), d['expected_F_stats'], rtol=0, atol=ATOL)


def test_region_similarity_hand_case():
    gt = np.zeros((3, 4, 4), np.uint8)
    pred = np.zeros((3, 4, 4), np.uint8)
    void = np.zeros((3, 4, 4), np.uint8)
    # frame 0: gt = left half (8 px), pred = everything (16 px) -> 8/16
    gt[0, :, :2] = 1
    pred[0] = 1
    # frame 1: same, but void covers 6 of pred's 8 extra pixels -> 8/10
    gt[1, :, :2] = 1
    pred[1] = 1
    void[1, :3, 2:] = 1
    # frame 2: empty gt and pred -> 1
    np.testing.assert_allclose(F.region_similarity(gt, pred), [0.5, 0.5, 1])
    np.testing.assert_allclose(F.region_similarity(gt, pred, void), [0.5, 0.8, 1])
    # all-void frame -> empty union -> 1
    assert F.region_similarity(gt[0], pred[0], np.ones((4, 4))) == 1.0
    # 2-D input gives a 0-d result
    assert F.region_similarity(gt[0], pred[0]).shape == ()


def test_seg2bmap_hand_case():
    seg = np.zeros((5, 5), bool)
    seg[1:3, 1:3] = True
    expected = np.zeros((5, 5), bool)
    expected[0:3, 0:3] = True
    expected[1, 1] = False
    np.testing.assert_array_equal(F.seg2bmap(seg), expected)


def test_disk():
    np.testing.assert_array_equal(F.disk(1), [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    assert F.disk(2.0).shape == (5, 5) and F.disk(2).sum() == 13


def test_boundary_f_hand_cases():
    h, w = 120, 213  # diagonal 244.5 -> default tolerance ceil(1.956) = 2
    gt = np.zeros((h, w), np.uint8)
    gt[60, 100] = 1
    shifted = lambda dx: np.roll(gt, dx, axis=1)  # noqa: E731
    # perfect; both empty; one empty
    assert F.boundary_f_measure(gt, gt) == 1.0
    assert F.boundary_f_measure(gt * 0, gt * 0) == 1.0
    assert F.boundary_f_measure(gt, gt * 0) == 0.0
    assert F.boundary_f_measure(gt * 0, gt) == 0.0
    # single-pixel objects have 2x2 boundary blocks; a 2-px shift is within
    # the default tolerance (2 px) ...
    assert F.boundary_f_measure(gt, shifted(2)) == 1.0
    assert F.boundary_f_measure(gt, shifted(2), bound_th=2) == 1.0
    # ... but with a 1-px tolerance only one of the two columns matches
    assert F.boundary_f_measure(gt, shifted(2), bound_th=1) == pytest.approx(0.5)
    assert F.boundary_f_measure(gt, shifted(4)) == 0.0
    # void hiding both objects -> both boundaries empty -> 1
    void = np.zeros_like(gt)
    void[50:70, 90:120] = 1
    assert F.boundary_f_measure(gt, shifted(4), void) == 1.0
    # stacked frames
    np.testing.assert_allclose(
        F.boundary_f_measure(np.stack([gt, gt]), np.stack([gt, shifted(4)])), [1.0, 0.0]
    )


def test_summary_statistics_hand_case():
    # n = 8: ids = round(linspace(1, 8, 5)) - 1 = [0, 2, 4, 5, 7]
    # first bin = v[0:3], last bin = v[5:8] (bin ends are inclusive)
    v = np.arange(8) / 7
    mean, recall, decay = F.summary_statistics(v)
    assert mean == pytest.approx(0.5)
    assert recall == pytest.approx(4 / 8)
    assert decay == pytest.approx(1 / 7 - 6 / 7)
    assert F.summary_statistics(np.ones(10)) == (1.0, 1.0, 0.0)
    assert F.summary_statistics([1.0, 1.0, 1.0, 1.0]) == (1.0, 1.0, 0.0)
    assert all(np.isnan(F.summary_statistics([])))
    # NaNs are ignored by mean and decay
    m, _, d = F.summary_statistics([1.0, np.nan, 1.0, 1.0, 1.0, 1.0])
    assert m == 1.0 and d == 0.0


# --------------------------------------------------------------------- PCK
def _pck_case():
    gt = np.array([[[0, 0], [3, 4], [1, 1]], [[0, 0], [6, 8], [2, 2]]], dtype=np.float64)
    # errors along x: frame 0 [1, 2, 0], frame 1 [1, 2, 3.5]
    err = np.array([[1, 2, 0], [1, 2, 3.5]])
    pred = gt.copy()
    pred[..., 0] += err
    return pred, gt


def test_jhmdb_normaliser():
    _, gt = _pck_case()
    np.testing.assert_allclose(F.jhmdb_normaliser(gt), [3.0, 6.0])
    vis = np.array([[True, False, True], [True, True, True]])
    np.testing.assert_allclose(F.jhmdb_normaliser(gt, vis), [0.6 * np.sqrt(2), 6.0])


def test_pck_hand_case():
    pred, gt = _pck_case()
    norm = F.jhmdb_normaliser(gt)  # [3, 6]
    # alpha 0.5 -> thresholds [1.5, 3]: correct [[T, F, T], [T, T, F]]
    assert F.pck(pred, gt, 0.5, norm) == pytest.approx(4 / 6)
    np.testing.assert_array_equal(
        F.pck_correct(pred, gt, 0.5, norm), [[True, False, True], [True, True, False]]
    )
    out = F.pck(pred, gt, [0.1, 0.5, 1.0], norm)
    assert set(out) == {0.1, 0.5, 1.0}
    assert out[0.1] == pytest.approx(1 / 6)  # only the zero error
    assert out[1.0] == pytest.approx(1.0)
    assert F.jhmdb_pck(pred, gt)[0.5] == pytest.approx(4 / 6)
    assert set(F.jhmdb_pck(pred, gt)) == set(F.JHMDB_THRESHOLDS)

    # visibility: frame 1 has only joint 0 visible
    vis = np.array([[True, True, True], [True, False, False]])
    # per-joint: j0 2/2, j1 0/1, j2 1/1 -> mean 2/3; pooled: 3/4
    assert F.pck(pred, gt, 0.5, norm, vis) == pytest.approx(2 / 3)
    assert F.pck(pred, gt, 0.5, norm, vis, average='all') == pytest.approx(3 / 4)
    # joints never visible are skipped by the per-joint mean
    vis2 = vis.copy()
    vis2[:, 1] = False
    assert F.pck(pred, gt, 0.5, norm, vis2) == pytest.approx(1.0)
    assert np.isnan(F.pck(pred, gt, 0.5, norm, np.zeros_like(vis)))
    # perfect prediction
    assert F.pck(gt, gt, [0.1, 0.2], norm) == {0.1: 1.0, 0.2: 1.0}
    with pytest.raises(ValueError):
        F.pck(pred, gt, 0.5, norm, average='median')


def test_pck_strict_threshold():
    gt = np.zeros((1, 1, 2))
    pred = np.array([[[2.0, 0.0]]])
    assert F.pck(pred, gt, 0.5, 4.0) == 0.0  # error 2 == 0.5 * 4: wrong
    assert F.pck(pred, gt, 0.5, 4.0 + 1e-9) == 1.0


def test_badja_pck_hand_case():
    gt = np.zeros((2, 2, 2))
    pred = gt.copy()
    pred[..., 1] = [[1, 3], [3, 5]]  # errors
    areas = np.array([100.0, 400.0])  # sqrt -> [10, 20]; x0.2 -> [2, 4]
    np.testing.assert_allclose(F.badja_normaliser(areas), [10, 20])
    vis = np.array([[True, True], [True, False]])
    # visible: f0 j0 ok, f0 j1 miss, f1 j0 ok -> 2/3
    assert F.badja_pck(pred, gt, areas, vis) == pytest.approx(2 / 3)
    assert F.badja_pck(pred, gt, areas, vis) == F.pck(
        pred, gt, 0.2, np.sqrt(areas), vis, average='all'
    )


if __name__ == '__main__':
    sys.exit(pytest.main([__file__, '-q']))
