"""tools/memory_accuracy.py through its main on tiny generated data (every
check and option), and tools/benchmark.py --memory on a tiny spread
workload: the table has a row per policy and check, policies that never
switch equal exact propagation, the cuts and the seed are honoured, and
--checkpoint follows the weights rule (default: the zoo's model)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine import Config
from PIL import Image
from tool_runs import EVAL_CONFIG, crafted_checkpoint, exit_message, load_tool

from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.models.backbones import ResNet
from fgvc.models.zoo import ZOO_ENV, add_model, sha256_of
from fgvc.propagation import KeyframeMemory
from fgvc.utils import save_weights

#: Width of the crafted encoder (the default is 64).
WIDTH = 8
#: Frames kept of each clip (--max-frames); the generated clips have 10.
FRAMES = 8
#: Encoder input of every check: small, so that a run takes a few seconds.
TINY_CONFIG = f"""_base_ = [{EVAL_CONFIG!r}]
tiny_input = dict(data_preprocessor=dict(input_size=(32, 32)))
tasks = dict(davis=dict(model=tiny_input), jhmdb=dict(model=tiny_input),
             badja=dict(model=tiny_input))
"""
#: H=inf never switches; H=30 exceeds the clips (exact too); H=6 switches,
#: and does not exceed JHMDB's and BADJA's precede_frames (20): nan there.
POLICIES = ['inf,3', '30,5', '6,2']
NAMES = ['exact', 'H=inf K=3', 'H=30 K=5', 'H=6 K=2']
CHECKS = ('tapvid', 'jhmdb', 'badja', 'davis')
JHMDB_JOINTS = 15


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict:
    """The tiny generated data of each check, and a config with a small input."""
    root = tmp_path_factory.mktemp('memory_accuracy')
    formats = ['tapvid_davis', 'jhmdb', 'badja', 'davis']
    generate_datasets(str(root), get_preset('tiny'), seed=0, formats=formats)
    config = root / 'tiny_eval.py'
    config.write_text(TINY_CONFIG)
    return dict(
        tapvid=root / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl',
        jhmdb=root / 'JHMDB',
        badja=root / 'BADJA',
        davis=root / 'DAVIS2016',
        config=config,
    )


def narrow_encoder() -> dict:
    """The state of a ResNet-18 encoder at width ``WIDTH`` (random, seeded)."""
    torch.manual_seed(0)
    return ResNet(18, base_channels=WIDTH, out_indices=(2,), strides=(1, 1, 1, 4)).state_dict()


def encoder_cfg_text() -> str:
    return Config(dict(model=dict(backbone=dict(type='ResNet', base_channels=WIDTH)))).pretty_text


def run(capsys, data, out: Path, *argv: str) -> tuple:
    """(the JSON table, stdout, stderr) of one run of the tool's main."""
    argv = ['--config', str(data['config']), '--device', 'cpu', *argv, '--json', str(out)]
    load_tool('memory_accuracy').main(argv)
    console = capsys.readouterr()
    return json.loads(out.read_text()), console.out, console.err


def davis_query_count(root: Path, points: int, stride: int) -> int:
    """Points sampled in the first sequence of a DAVIS-2016 'val' list (one
    object a sequence, grey 0/255 masks): up to ``points`` in the mask at
    frames 0, ``stride``, ... of the first ``FRAMES``."""
    first_annotation = (root / 'ImageSets/480p/val.txt').read_text().split()[1]
    sequence = (root / first_annotation.lstrip('/')).parent
    annotations = sorted(sequence.glob('*.png'))[:FRAMES]
    return sum(
        min(points, int((np.asarray(Image.open(path)) > 0).sum())) for path in annotations[::stride]
    )


def test_every_option_reaches_the_table(data, tmp_path, capsys):
    marker = tmp_path / 'ran.txt'
    state = {f'backbone.{k}': v for k, v in narrow_encoder().items()}
    ckpt = crafted_checkpoint(
        tmp_path / 'epoch_1.pth', marker, dict(state_dict=state, meta=dict(cfg=encoder_cfg_text()))
    )
    inputs = ['--tapvid', str(data['tapvid']), '--jhmdb', str(data['jhmdb'])]
    inputs += ['--badja', str(data['badja']), '--davis', str(data['davis'])]
    cuts = ['--max-videos', '1', '--max-frames', str(FRAMES), '--max-queries', '5']
    options = ['--policies', *POLICIES, '--query-stride', '3', '--points', '2']
    options += ['--davis-split', 'val', '--davis-resolution', '480p', *cuts]
    out = tmp_path / 'table.json'
    with pytest.raises(SystemExit) as error:  # the crafted file needs the trust flag
        run(capsys, data, out, *inputs, *options, '--checkpoint', str(ckpt))
    assert '--trust-pickle' in exit_message(error) and not marker.exists()

    argv = [*options, '--checkpoint', str(ckpt), '--trust-pickle', '--seed', '0']
    table, printed, _ = run(capsys, data, out, *inputs, *argv)
    assert marker.exists()
    assert f'Weights: checkpoint {ckpt}' in printed
    assert list(table) == list(CHECKS)
    for check, row in table.items():
        assert list(row) == [*NAMES, 'clips', 'queries'], check
        assert row['clips'] == 1, check  # --max-videos
        # policies that never switch within the clip give exact propagation's score
        assert row['H=inf K=3'] == row['exact'] == row['H=30 K=5'], (check, row)
        assert 0 <= row['exact'] <= 100, check
    for check in ('jhmdb', 'badja'):
        assert math.isnan(table[check]['H=6 K=2']), check
    for check in ('tapvid', 'davis'):
        assert 0 <= table[check]['H=6 K=2'] <= 100, check
    assert table['tapvid']['queries'] == 5  # --max-queries
    # every joint is visible (JHMDB 'all'): one query per joint in each of the
    # windows of 3 frames of the first 8 (--query-stride, --max-frames)
    assert table['jhmdb']['queries'] == JHMDB_JOINTS * math.ceil(FRAMES / 3)
    assert table['davis']['queries'] == davis_query_count(data['davis'], points=2, stride=3)

    # the seed picks the TAP-Vid queries and the DAVIS points: the same seed,
    # the same table; another seed, other picks
    two = [*inputs[:2], *inputs[-2:]]  # --tapvid and --davis
    again, _, _ = run(capsys, data, tmp_path / 'again.json', *two, *argv)
    for check in ('tapvid', 'davis'):
        assert again[check] == table[check], check
    other, _, _ = run(capsys, data, tmp_path / 'other.json', *two, *argv[:-1], '1')
    assert other['tapvid']['queries'] == 5
    assert (other['tapvid']['exact'], other['davis']['exact']) != (
        table['tapvid']['exact'],
        table['davis']['exact'],
    )


@pytest.fixture
def narrow_zoo(tmp_path, monkeypatch) -> Path:
    """A zoo whose default model is the narrow encoder, and that encoder as a
    plain weights file."""
    zoo = tmp_path / 'zoo'
    zoo.mkdir()
    weights = zoo / 'narrow.safetensors'
    save_weights(narrow_encoder(), str(weights), 'safetensors', meta={'cfg': encoder_cfg_text()})
    entry = dict(file=weights.name, sha256=sha256_of(weights), encoder=dict(type='ResNet'))
    entry['encoder']['base_channels'] = WIDTH
    add_model(zoo, 'narrow', entry)
    plain = tmp_path / 'narrow.pth'
    save_weights(narrow_encoder(), str(plain), 'pth', meta={'cfg': encoder_cfg_text()})
    monkeypatch.setenv(ZOO_ENV, str(zoo))
    return plain


def test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained(
    data, narrow_zoo, tmp_path, capsys, monkeypatch
):
    small = ['--tapvid', str(data['tapvid']), '--max-videos', '1', '--max-frames', '6']
    small += ['--policies', '6,2']
    default, printed, err = run(capsys, data, tmp_path / 'default.json', *small)
    assert 'Weights: zoo model narrow (sha256 ' in printed and 'WARNING' not in err
    # the zoo's model is those weights: the same table as the file of them
    given, _, _ = run(capsys, data, tmp_path / 'file.json', *small, '--checkpoint', str(narrow_zoo))
    assert given == default
    untrained, printed, err = run(
        capsys, data, tmp_path / 'none.json', *small, '--checkpoint', 'none'
    )
    assert "Weights: untrained encoder (random weights), as 'none' asks" in printed
    assert 'WARNING' not in err
    assert untrained['tapvid']['queries'] == default['tapvid']['queries']
    assert untrained['tapvid']['exact'] != default['tapvid']['exact']
    # no model shipped: the default is the untrained encoder, with a warning
    monkeypatch.setenv(ZOO_ENV, str(tmp_path / 'empty'))
    fallback, _, err = run(capsys, data, tmp_path / 'fallback.json', *small)
    assert 'WARNING: No trained weights: no model is shipped' in err
    assert fallback == untrained  # the same encoder, its random weights from --seed


def test_benchmark_memory_policy_reaches_the_spread_workload(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    argv = '--size 32 --frames 2 --points 6 --modes local --profile-frames 0'.split()
    argv += ['--spread-frames', '8', '--device', 'cpu', '--json', str(out)]
    load_tool('benchmark').main([*argv, '--memory', 'KeyframeMemory', 'horizon=6', 'interval=2'])
    spread = json.loads(out.read_text())['spread']
    assert spread['memory'] == repr(KeyframeMemory(horizon=6, interval=2))
    assert spread['frame 0'] > 0 and spread['spread'] > 0
    assert spread['ratio'] == pytest.approx(spread['spread'] / spread['frame 0'])
    assert 'KeyframeMemory(horizon=6, interval=2)' in capsys.readouterr().out
    with pytest.raises(SystemExit) as error:
        load_tool('benchmark').main([*argv, '--memory', 'KeyframeMemory', 'horizon'])
    assert 'KEY=VALUE' in exit_message(error)
