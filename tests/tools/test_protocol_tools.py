"""`--protocol release` through the tools' real entry points on generated
TAP-Vid videos with a release-layout checkpoint file: tools/test.py (with
--dump) and tools/score.py re-scoring the dump (their mains, in this
process), and tools/dist_test.sh (its own processes)."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from release_checkpoint import release_resnet18_state_dict

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.cli.score import main as score_main
from fgvc.datasets import TapVidDataset
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.evaluation.summary import summary_metrics
from fgvc.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
#: Frames resized to 32x32 (the release's pipeline step 0) to keep the full-width encoder fast.
SMALL = 'test_dataloader.dataset.pipeline.0.size=(32,32)'

register_all_modules()


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    out = tmp_path_factory.mktemp('protocol_tools')
    generate_datasets(str(out), get_preset('tiny'), seed=0, formats=['tapvid_davis'])
    checkpoint = out / 'release_resnet18.pth'
    torch.save({'state_dict': release_resnet18_state_dict(11), 'meta': {}}, checkpoint)
    return out / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl', checkpoint


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')
    result = subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def release_query_readout(x: float, y: float, raster_hw, sigma=6.0, topk=5) -> tuple:
    """The release's position at a query frame: its Gaussian drawn on the
    integer pixel grid, the weighted mean of the indices of its top pixels
    (among equal values the first in raster order: the release leaves that
    to np.argsort, and generated queries at pixel centres make ties)."""
    rows, cols = np.mgrid[: raster_hw[0], : raster_hw[1]]
    gauss = np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2)).astype(np.float32)
    top = np.argsort(-gauss.ravel(), kind='stable')[:topk]
    weights = gauss.ravel()[top] / gauss.ravel()[top].sum()
    return float((weights * (top % raster_hw[1])).sum()), float(
        (weights * (top // raster_hw[1])).sum()
    )


def summary(work: Path) -> dict:
    return json.loads((work / 'davis_summary.json').read_text())


def test_release_protocol_through_test_score_and_dist_test(inputs, tmp_path):
    data, checkpoint = inputs
    tested, dump, scored, dist = (tmp_path / n for n in ('test', 'dump', 'score', 'dist'))
    common = ('--task', 'davis', '--data-root', str(data), '--protocol', 'release')
    evaluate_main([
        EVAL_CONFIG, str(checkpoint), *common,
        '--work-dir', str(tested), '--dump', str(dump), '--cfg-options', SMALL,
    ])  # fmt: skip
    expected = summary(tested)
    assert expected['protocol']['name'] == 'release'
    assert expected['protocol']['propagation']['position_offset'] == 0.0
    assert expected['average_jaccard'] == 0.0 and expected['average_pts_within_thresh'] > 0

    # the dump: the release's convention (pixel indices, query frames read
    # from their Gaussians, zeros before them), every point occluded
    dataset = TapVidDataset(
        str(data),
        [dict(type='ResizeVideo', size=(32, 32)), dict(type='SampleTapVidQueries')],
    )
    for i in range(len(dataset)):
        item = dataset[i]
        pred = np.load(dump / f'{item["video_name"]}.npz')
        assert pred['occluded'].all() and tuple(pred['raster_hw']) == (32, 32)
        queries = item['query_points']
        at_query = pred['tracks'][np.arange(len(queries)), queries[:, 0].astype(int)]
        expected_at_query = [release_query_readout(q[2], q[1], (32, 32)) for q in queries]
        np.testing.assert_allclose(at_query, expected_at_query, atol=1e-4)
        before = np.arange(pred['tracks'].shape[1])[None] < queries[:, :1]
        assert (pred['tracks'][before] == 0).all()

    score_main([
        'davis', str(dump), '--data-root', str(data),
        '--work-dir', str(scored), '--protocol', 'release', '--cfg-options', SMALL,
    ])  # fmt: skip
    rescored = summary(scored)
    assert summary_metrics(rescored) == summary_metrics(expected)
    assert rescored['protocol']['name'] == 'release'

    run(
        'bash', 'tools/dist_test.sh', EVAL_CONFIG, '1', 'davis', str(checkpoint),
        '--data-root', str(data), '--protocol', 'release', '--work-dir', str(dist),
        '--cfg-options', SMALL,
    )  # fmt: skip
    launched = summary(dist)
    assert launched['protocol']['name'] == 'release'
    assert summary_metrics(launched) == summary_metrics(expected)
