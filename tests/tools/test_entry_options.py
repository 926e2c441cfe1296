"""Options of issue 29 through the tools' real entry points, on tiny data:
tools/benchmark.py with a narrow trained encoder (its width from the
checkpoint) and its --cfg-options honoured or refused; the coarse-to-fine
matcher chosen from the command line of tools/test.py (through mmengine's
Runner); every benchmark workload option writing its measurement."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine import Config
from tool_runs import EVAL_CONFIG, exit_message, generate_tapvid, load_tool

from fgvc.apis import Predictor

#: The encoder width of the trained checkpoint (the default is 64).
NARROW = 8
#: What tools/benchmark.py compares in these tests: a video of 6 frames of
#: 32x32 whose 8 points are queried in 2 frames (--late-queries).
SMALL = '--size 32 --frames 6 --points 8 --device cpu'.split()
SMALL_INPUT = 'model.data_preprocessor.input_size=(32,32)'


@pytest.fixture(scope='module')
def narrow_checkpoint(tmp_path_factory) -> str:
    """A trained-checkpoint layout (encoder under backbone., the training
    config in meta) of a ResNet-18 at width ``NARROW``, random weights."""
    predictor = Predictor(
        checkpoint='none',
        cfg_options={'model.backbone.base_channels': NARROW},
        warn_untrained=False,
    )
    backbone = predictor.model('davis').backbone
    cfg = Config(dict(model=dict(backbone=dict(type='ResNet', depth=18, base_channels=NARROW))))
    path = tmp_path_factory.mktemp('narrow') / 'epoch_1.pth'
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    torch.save(dict(meta=dict(cfg=cfg.pretty_text), state_dict=state), path)
    return str(path)


def run_benchmark(tmp_path: Path, *argv: str) -> dict:
    out = tmp_path / 'bench.json'
    load_tool('benchmark').main([*SMALL, *argv, '--json', str(out)])
    return json.loads(out.read_text())


def test_benchmark_takes_the_checkpoint_width_and_honours_every_option(
    narrow_checkpoint, tmp_path, capsys
):
    options = ['--cfg-options', 'topk=3', 'coarse_to_fine.refine_radius=2']
    workloads = ['--profile-frames', '2', '--spread-frames', '4', '--under-load']
    workloads += ['--scaling-sizes', '32', '48', '--scaling-frames', '2']
    workloads += ['--correlation-radius', '1', '--peak-gflops', '100']
    result = run_benchmark(
        tmp_path,
        *['--checkpoint', narrow_checkpoint, '--modes', 'local', 'coarse_to_fine'],
        *['--late-queries', '--seed', '1', *options, *workloads],
    )
    # the encoder of the checkpoint: width 8 (8 * 4 channels out of layer 2)
    assert result['features'] == [6, 4 * NARROW, 16, 16]
    assert result['weights'] == f'checkpoint {narrow_checkpoint}'
    assert result['workload'] == dict(size=32, frames=6, points=8, seed=1)
    assert result['query_frames'] == 2  # --late-queries: a second query frame
    assert set(result['modes']) == {'local', 'coarse_to_fine'}
    # dense too: the memory-growth check (--scaling-sizes) compares local with it
    assert set(result['settings']) == {'local', 'coarse_to_fine', 'dense'}
    for mode, settings in result['settings'].items():
        assert 'topk=3,' in settings, (mode, settings)
    assert (
        'CoarseToFineMatcher(factor=4, coarse_range=8, refine_radius=2,'
        in (result['settings']['coarse_to_fine'])
    )
    assert 'refine_radius' not in result['settings']['local']
    assert set(result['profile']) == {'local', 'coarse_to_fine'}
    spread = result['spread']
    assert set(spread) == {'frame 0', 'spread', 'ratio', 'memory'}
    assert spread['ratio'] == spread['spread'] / spread['frame 0']
    assert spread['memory'] == 'ExactMemory()'  # no --memory: the spread queries stay exact
    assert [row['size'] for row in result['scaling']] == [32, 48]
    assert [row['positions'] for row in result['scaling']] == [16 * 16, 24 * 24]
    forward = result['correlation']['forward']
    assert forward['max_abs_difference'] < 1e-4
    # the roofline against --peak-gflops 100
    assert forward['fast_peak_fraction'] == pytest.approx(forward['fast_gflops'] / 100)
    assert '(a second process keeps one core busy)' in capsys.readouterr().out


def test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint(narrow_checkpoint, tmp_path):
    result = run_benchmark(
        tmp_path,
        *['--modes', 'local', '--profile-frames', '0', '--checkpoint', narrow_checkpoint],
        *['--predictor-frames', '2', '--vos-frames', '2'],
    )
    for workload in ('predictor', 'vos'):
        times = result[workload]
        assert times['encode'] > 0 and times['total'] > 0, workload


def test_benchmark_refuses_what_it_would_ignore_before_any_work(tmp_path, monkeypatch):
    out = tmp_path / 'bench.json'
    cases = [
        (['--cfg-options', 'model.topk=3'], '--cfg-options model.topk: not a propagation option'),
        (['--modes', 'local', '--cfg-options', 'dense.step=8'], "mode 'dense' is not run"),
        (
            ['--cfg-options', 'coarse_to_fine.neighbor_range=3'],
            "CoarseToFineMatcher takes no option 'neighbor_range'",
        ),
        (['--cfg-options', 'topk=3', '--vos-frames', '2'], 'not to --predictor-frames'),
        (['--device', 'cuda'], '--device cuda: CUDA is not available here'),
    ]
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    tool = load_tool('benchmark')
    for argv, message in cases:
        with pytest.raises(SystemExit) as error:
            tool.main([*SMALL, *argv, '--json', str(out)])
        assert message in exit_message(error), argv
    assert not out.exists()


def test_test_tool_switches_to_the_coarse_to_fine_matcher(tmp_path, monkeypatch):
    pickle = generate_tapvid(tmp_path / 'data', seed=0, videos=2)
    work = tmp_path / 'work'
    switch = ['model.propagation.matcher.type=CoarseToFineMatcher']
    switch += ['model.propagation.matcher.refine_radius=3']
    argv = [EVAL_CONFIG, 'none', '--task', 'davis', '--data-root', str(pickle)]
    argv += ['--work-dir', str(work), '--dump', str(work / 'dump'), '--cfg-options']
    argv += [f'model.backbone.base_channels={NARROW}', SMALL_INPUT, *switch]
    monkeypatch.setattr('sys.argv', ['test.py', *argv])
    load_tool('test').main()
    summary = json.loads((work / 'davis_summary.json').read_text())
    # the local matcher's speed options are the coarse-to-fine matcher's too;
    # its neighbor_range is not
    assert summary['protocol']['propagation']['matcher'] == dict(
        type='CoarseToFineMatcher', tile=8, product_floats=2**23, refine_radius=3
    )
    assert 0 <= summary['average_pts_within_thresh'] <= 1
    dumps = sorted((work / 'dump').iterdir())
    assert len(dumps) == 2
    for path in dumps:
        tracks = np.load(path)['tracks']
        assert tracks.ndim == 3 and np.isfinite(tracks).all(), path
