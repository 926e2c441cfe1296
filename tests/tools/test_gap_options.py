"""The options issue 29 left without an entry-point test, each run through its
tool's main (in this process) on tiny data, its effect checked in what the
tool writes: the trust flag of every tool that reads a checkpoint or a
pickle (a crafted file is refused in one line without it, and with it gives
the clean file's results), ``--encoder-onnx`` (tracks within
:data:`ONNX_TOLERANCE_PX` of PyTorch's), ``--adapt-seed``, ``--verbose``,
the data and row options of tools/eval_real.py and the options of
tools/data/prepare.py. The trained encoder is the tiny zoo's checkpoint
(``tiny_zoo`` in conftest.py: 8 channels, not the default width)."""

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tool_runs import (
    EVAL_CONFIG,
    SMALL_INPUT,
    WritesFile,
    crafted_checkpoint,
    crafted_tapvid,
    exit_message,
    load_tool,
)
from train_utils import train_in_process
from zoo_utils import TINY_WIDTH, zoo_clip

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.datasets import BadjaDataset, DavisVOSDataset, FlyingThingsPairs
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.fileio import TRUST_FLAG, load_pickle
from fgvc.utils import load_checkpoint

#: Tracks of the ONNX and the PyTorch encoder (they differ by ~1e-5 px; the
#: stream tool's CSV rounds to 1e-3 px).
ONNX_TOLERANCE_PX = 0.01
#: Encoder input short side of the point tools: small, so that a run takes a second.
SHORT_SIDE = '32'
#: Adaptation crops within the frames at that short side (the config's are 64x64).
SMALL_CROPS = 'adaptation.crop_size=[32,32]'
#: An evaluation config of its own (--config): the narrow encoder and topk 3
#: in every task it is used for.
TINY_EVAL_CONFIG = f"""_base_ = [{EVAL_CONFIG!r}]
model = dict(backbone=dict(base_channels={TINY_WIDTH}))
top3 = dict(propagation=dict(topk=3))
tasks = dict(vos=dict(model=top3), jhmdb=dict(model=top3), badja=dict(model=top3))
adaptation = dict(crop_size=(32, 32))
"""
#: What mmengine logs at info level when a Runner starts: on the console with --verbose only.
RUNNER_INFO = 'Hooks will be executed in the following order'


def crafted_copy(folder: Path, name: str, checkpoint: dict) -> tuple:
    """``checkpoint`` saved as ``folder/name.pth`` with an object whose
    unpickling creates the marker ``folder/name.ran``; returns both paths."""
    marker = folder / f'{name}.ran'
    return crafted_checkpoint(folder / f'{name}.pth', marker, checkpoint), marker


def refusal(main, argv: list) -> str:
    """The one-line error with which a tool's ``main`` stops on ``argv``."""
    with pytest.raises(SystemExit) as error:
        main([str(a) for a in argv])
    return exit_message(error)


def assert_refused(line: str, path: Path, marker: Path) -> None:
    assert str(path) in line and TRUST_FLAG in line, line
    assert not marker.exists()


def read_csv(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    assert lines[0] == 'frame,point,x,y,visible'
    return np.array([line.split(',') for line in lines[1:]], dtype=np.float64)


@pytest.fixture(scope='module')
def trained(tiny_zoo) -> dict:
    """The tiny zoo's training checkpoint (weights, optimizer, training config)."""
    return load_checkpoint(str(tiny_zoo.checkpoint))


@pytest.fixture(scope='module')
def clip(tiny_zoo, tmp_path_factory) -> dict:
    """A generated YouTube-VOS-style sequence: its frame folder, and the same
    frames as a lossless .avi for the stream tool."""
    return zoo_clip(tiny_zoo, tmp_path_factory.mktemp('stream'))


@pytest.fixture(scope='module')
def onnx_encoder(tiny_zoo, tmp_path_factory) -> Path:
    """The tiny zoo's encoder exported by tools/export.py."""
    out = tmp_path_factory.mktemp('onnx') / 'encoder.onnx'
    load_tool('export').main([str(tiny_zoo.checkpoint), '--format', 'onnx', '--out', str(out)])
    return out


# ------------------------------------------------------------ benchmark
def test_benchmark_loads_a_crafted_checkpoint_only_when_trusted(trained, tmp_path):
    path, marker = crafted_copy(tmp_path, 'crafted', trained)
    out = tmp_path / 'bench.json'
    argv = ['--size', '32', '--frames', '4', '--points', '4', '--device', 'cpu']
    argv += ['--modes', 'local', '--profile-frames', '0', '--checkpoint', path, '--json', out]
    benchmark = load_tool('benchmark').main
    assert_refused(refusal(benchmark, argv), path, marker)
    with pytest.warns(UserWarning, match='full unpickling'):
        benchmark([str(a) for a in [*argv, '--trust-pickle']])
    result = json.loads(out.read_text())
    assert marker.exists()
    assert result['weights'] == f'checkpoint {path}'
    assert result['features'][1] == 4 * TINY_WIDTH  # the checkpoint's encoder


# ----------------------------------------------------------------- demo
def demo_tracks(folder: Path, clip: dict, *argv) -> dict:
    """The tracks.npz of one tools/demo.py run into ``folder``."""
    argv = [clip['frames_dir'], '--queries', 'grid:3', '--short-side', SHORT_SIDE, *argv]
    load_tool('demo').main([str(a) for a in [*argv, '--device', 'cpu', '--out', folder]])
    return dict(np.load(folder / 'tracks.npz'))


def test_demo_trust_pickle_and_encoder_onnx(
    tiny_zoo, trained, clip, onnx_encoder, tmp_path, capsys
):
    clean = demo_tracks(tmp_path / 'clean', clip, '--checkpoint', tiny_zoo.checkpoint)
    path, marker = crafted_copy(tmp_path, 'crafted', trained)
    line = refusal(
        load_tool('demo').main,
        [clip['frames_dir'], '--checkpoint', path, '--out', tmp_path / 'refused'],
    )
    assert_refused(line, path, marker)
    assert not (tmp_path / 'refused').exists()
    with pytest.warns(UserWarning, match='full unpickling'):
        trusted = demo_tracks(tmp_path / 'trusted', clip, '--checkpoint', path, '--trust-pickle')
    assert marker.exists()
    for key in ('tracks', 'visibility'):
        np.testing.assert_array_equal(trusted[key], clean[key])

    # the exported encoder instead of the default (untrained) PyTorch one
    capsys.readouterr()
    onnx = demo_tracks(tmp_path / 'onnx', clip, '--encoder-onnx', onnx_encoder)
    console = capsys.readouterr()
    assert f'Weights: ONNX encoder {onnx_encoder} (run by onnxruntime)' in console.out
    assert 'UNTRAINED' not in console.err
    untrained = demo_tracks(tmp_path / 'untrained', clip)
    np.testing.assert_allclose(onnx['tracks'], clean['tracks'], atol=ONNX_TOLERANCE_PX)
    assert np.abs(untrained['tracks'] - clean['tracks']).max() > 10 * ONNX_TOLERANCE_PX
    # the weights come from one of them
    line = refusal(load_tool('demo').main, [
        clip['frames_dir'], '--encoder-onnx', onnx_encoder, '--checkpoint', tiny_zoo.checkpoint,
        '--out', tmp_path / 'both',
    ])  # fmt: skip
    assert f'--checkpoint {tiny_zoo.checkpoint} would be ignored' in line
    assert not (tmp_path / 'both').exists()


def test_demo_adapt_seed(tiny_zoo, clip, tmp_path):
    """The same seed adapts to the same weights and tracks, another seed to others."""
    runs = {}
    for name, seed in (('first', 0), ('again', 0), ('other', 1)):
        saved = tmp_path / f'{name}.pth'
        tracks = demo_tracks(
            tmp_path / name, clip, '--checkpoint', tiny_zoo.checkpoint, '--adapt', '1',
            '--adapt-seed', seed, '--save-adapted', saved, '--cfg-options', SMALL_CROPS,
        )  # fmt: skip
        runs[name] = (tracks, load_checkpoint(str(saved))['state_dict'])
    (first, first_weights), (again, again_weights) = runs['first'], runs['again']
    other, other_weights = runs['other']
    np.testing.assert_array_equal(first['tracks'], again['tracks'])
    assert first_weights.keys() == again_weights.keys() == other_weights.keys()
    for key, value in first_weights.items():
        torch.testing.assert_close(again_weights[key], value, rtol=0, atol=0)
    assert any(not torch.equal(other_weights[k], v) for k, v in first_weights.items())
    assert not np.array_equal(first['tracks'], other['tracks'])


# ---------------------------------------------------------- track_stream
def stream_rows(folder: Path, clip: dict, *argv) -> np.ndarray:
    """The tracks.csv rows of one tools/track_stream.py run into ``folder``."""
    argv = [clip['avi'], '--queries', 'grid:3', '--short-side', SHORT_SIDE, *argv]
    load_tool('track_stream').main([str(a) for a in [*argv, '--device', 'cpu', '--out', folder]])
    return read_csv(folder / 'tracks.csv')


def test_track_stream_trust_pickle_cfg_options_and_encoder_onnx(
    tiny_zoo, trained, clip, onnx_encoder, tmp_path
):
    clean = stream_rows(tmp_path / 'clean', clip, '--checkpoint', tiny_zoo.checkpoint)
    assert clean.shape == (len(clip['frames']) * 9, 5)
    # the weights alone: no training config says the encoder's width
    path, marker = crafted_copy(tmp_path, 'weights', dict(state_dict=trained['state_dict']))
    stream = load_tool('track_stream').main
    argv = [clip['avi'], '--checkpoint', path, '--out', tmp_path / 'refused']
    assert_refused(refusal(stream, argv), path, marker)
    assert not (tmp_path / 'refused' / 'tracks.csv').exists()
    with pytest.warns(UserWarning, match='full unpickling'):
        line = refusal(stream, [*argv, '--trust-pickle'])  # the default width: 64 channels
    assert f'Checkpoint {path} does not fit the encoder: shape mismatch conv1.weight' in line
    marker.unlink()
    width = f'model.backbone.base_channels={TINY_WIDTH}'
    with pytest.warns(UserWarning, match='full unpickling'):
        trusted = stream_rows(
            tmp_path / 'trusted', clip, '--checkpoint', path, '--trust-pickle',
            '--cfg-options', width,
        )  # fmt: skip
    assert marker.exists()
    np.testing.assert_array_equal(trusted, clean)

    onnx = stream_rows(tmp_path / 'onnx', clip, '--encoder-onnx', onnx_encoder)
    untrained = stream_rows(tmp_path / 'untrained', clip)
    np.testing.assert_array_equal(onnx[:, [0, 1, 4]], clean[:, [0, 1, 4]])
    np.testing.assert_allclose(onnx[:, 2:4], clean[:, 2:4], atol=ONNX_TOLERANCE_PX)
    assert np.abs(untrained[:, 2:4] - clean[:, 2:4]).max() > 10 * ONNX_TOLERANCE_PX


# ------------------------------------------------------ test.py, score.py
def crafted_data(folder: Path, name: str, clean: Path) -> tuple:
    """The TAP-Vid pickle ``clean`` with a :class:`WritesFile` added to its
    first video (marker ``folder/name.ran``); returns (pickle, marker)."""
    videos = load_pickle(str(clean))
    marker = folder / f'{name}.ran'
    first = next(iter(videos))
    videos[first] = dict(videos[first], note=WritesFile(marker))
    path = folder / f'{name}.pkl'
    path.write_bytes(pickle.dumps(videos))
    return path, marker


def metrics_of(summary_path: Path) -> dict:
    summary = json.loads(summary_path.read_text())
    return {k: v for k, v in summary.items() if isinstance(v, float)}


def test_test_tool_trust_pickle_and_verbose(tiny_zoo, trained, tmp_path, capsys):
    clean_data = tiny_zoo.data_root / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl'

    def argv(checkpoint, data, work) -> list:
        return [EVAL_CONFIG, str(checkpoint), '--task', 'davis', '--data-root', str(data),
                '--work-dir', str(tmp_path / work), '--cfg-options', SMALL_INPUT]  # fmt: skip

    evaluate_main(argv(tiny_zoo.checkpoint, clean_data, 'clean'))
    quiet = capsys.readouterr().out
    data, data_marker = crafted_data(tmp_path, 'data', clean_data)
    checkpoint, marker = crafted_copy(tmp_path, 'crafted', trained)
    assert_refused(refusal(evaluate_main, argv(checkpoint, data, 't')), checkpoint, marker)
    with pytest.warns(UserWarning, match='full unpickling'):
        evaluate_main([*argv(checkpoint, data, 't'), '--trust-pickle', '--verbose'])
    verbose = capsys.readouterr().out
    assert marker.exists() and data_marker.exists()  # both read by the one flag
    clean = metrics_of(tmp_path / 'clean/davis_summary.json')
    assert metrics_of(tmp_path / 't/davis_summary.json') == clean and clean
    # --verbose: mmengine's info messages on the console, errors with their traceback
    assert RUNNER_INFO in verbose and RUNNER_INFO not in quiet
    absent = [EVAL_CONFIG, str(tmp_path / 'absent.pth'), '--task', 'davis']
    assert 'absent.pth' in refusal(evaluate_main, absent)
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        evaluate_main([*absent, '--verbose'])


def test_score_tool_trust_pickle_scores_crafted_data_and_predictions(tmp_path):
    data_marker, predictions_marker = tmp_path / 'data.ran', tmp_path / 'predictions.ran'
    data = crafted_tapvid(tmp_path / 'data.pkl', data_marker)
    # its one point, at the centre of every frame (256x256 raster), never occluded
    predictions = tmp_path / 'predictions.pkl'
    predictions.write_bytes(pickle.dumps({'v0': dict(
        tracks=np.full((1, 3, 2), 128.0), occluded=np.zeros((1, 3), bool),
        note=WritesFile(predictions_marker),
    )}))  # fmt: skip
    score = load_tool('score').main
    argv = ['davis', predictions, '--data-root', data, '--work-dir', tmp_path / 'work']
    assert_refused(refusal(score, argv), predictions, predictions_marker)
    assert not data_marker.exists()
    with pytest.warns(UserWarning, match='full unpickling'):
        score([str(a) for a in [*argv, '--trust-pickle']])
    assert data_marker.exists() and predictions_marker.exists()
    metrics = metrics_of(tmp_path / 'work/davis_summary.json')
    assert metrics['average_jaccard'] == metrics['average_pts_within_thresh'] == 1.0, metrics
    assert metrics['occlusion_accuracy'] == 1.0


# -------------------------------------------------------------- train.py
def test_train_tool_trust_pickle_and_verbose(tiny_zoo, trained, tmp_path, capsys):
    """One more epoch resumed from the tiny zoo's checkpoint, and from a
    crafted copy of it with --trust-pickle --verbose: the same weights."""
    two_epochs = ['--cfg-options', 'train_cfg.max_epochs=2']
    clean = tmp_path / 'clean'
    train_in_process(tiny_zoo.config, '--work-dir', clean, '--resume', tiny_zoo.checkpoint,
                     *two_epochs)  # fmt: skip
    quiet = capsys.readouterr().out
    path, marker = crafted_copy(tmp_path, 'epoch_1', trained)
    work = tmp_path / 'trusted'
    with pytest.warns(UserWarning, match='full unpickling'):
        train_in_process(tiny_zoo.config, '--work-dir', work, '--resume', path, *two_epochs,
                         '--trust-pickle', '--verbose')  # fmt: skip
    verbose = capsys.readouterr().out
    assert marker.exists()
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_2.pth']  # resumed at epoch 2
    resumed = load_checkpoint(str(work / 'epoch_2.pth'))
    assert resumed['meta']['epoch'] == 2
    expected = load_checkpoint(str(clean / 'epoch_2.pth'))['state_dict']
    for key, value in resumed['state_dict'].items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)
    assert RUNNER_INFO in verbose and RUNNER_INFO not in quiet
    absent = [tiny_zoo.config, '--work-dir', tmp_path / 'w', '--resume', tmp_path / 'absent.pth']
    with pytest.raises(SystemExit, match='absent.pth'):
        train_in_process(*absent)
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        train_in_process(*absent, '--verbose')


# ---------------------------------------------------------- eval_real.py
@pytest.fixture(scope='module')
def generated(tmp_path_factory) -> Path:
    """The tiny preset's DAVIS, JHMDB and BADJA (with DAVIS-2016 beside it)
    layouts, and :data:`TINY_EVAL_CONFIG` as ``tiny_eval.py``."""
    root = tmp_path_factory.mktemp('generated')
    generate_datasets(str(root), get_preset('tiny'), seed=0, formats=['davis', 'jhmdb', 'badja'])
    (root / 'tiny_eval.py').write_text(TINY_EVAL_CONFIG)
    return root


def eval_real(work: Path, generated: Path, *argv) -> dict:
    """The JSON result of one tools/eval_real.py run of the untrained tiny
    encoder with the tiny config, results in ``work``."""
    argv = ['--encoder', 'tiny=none', '--config', generated / 'tiny_eval.py', *argv]
    argv += ['--short-side', SHORT_SIDE, '--work-dir', work, '--out', work / 'result.json']
    load_tool('eval_real').main([str(a) for a in argv])
    return json.loads((work / 'result.json').read_text())


def recorded_videos(work: Path, task: str) -> list:
    lines = (work / f'{task}_videos.rank0.jsonl').read_text().splitlines()
    return sorted(json.loads(line)['video_name'] for line in lines)


def test_eval_real_data_options_config_and_no_references(generated, tmp_path):
    davis = generated / 'DAVIS'
    (davis / 'JPEGImages/full').mkdir(exist_ok=True)  # a second resolution: name one
    benchmarks = ['--davis', davis, '--badja', generated / 'BADJA', '--jhmdb', generated / 'JHMDB']
    main = load_tool('eval_real').main
    line = refusal(main, ['--encoder', 'tiny=none', *benchmarks])
    assert 'one resolution folder' in line and '--resolution' in line
    work = tmp_path / 'work'
    result = eval_real(work, generated, *benchmarks, '--split', 'val', '--resolution', '480p',
                       '--no-references')  # fmt: skip
    rows = result['results']
    assert list(rows) == ['tiny']  # no static, no dis
    assert list(rows['tiny']) == ['davis_jf', 'badja_pck@0.2', 'jhmdb_pck@0.1']
    assert all(0 <= score <= 1 for score in rows['tiny'].values())
    assert sorted(p.name for p in work.iterdir() if p.is_dir()) == ['tiny']
    row = work / 'tiny'
    assert recorded_videos(row, 'vos') == ['synth-000', 'synth-001']  # the val list
    assert recorded_videos(row, 'badja') == ['synth-animal-000']
    assert recorded_videos(row, 'jhmdb') == ['catch/synth_catch_000', 'clap/synth_clap_001']
    for task, key in (('vos', 'davis_jf'), ('badja', 'badja_pck@0.2'), ('jhmdb', 'jhmdb_pck@0.1')):
        summary = json.loads((row / f'{task}_summary.json').read_text())
        assert summary['provenance']['config_file'] == str(generated / 'tiny_eval.py')
        assert summary['protocol']['propagation']['topk'] == 3  # the tiny config's
        metric = {'vos': 'J&F-Mean', 'badja': 'PCK@0.2', 'jhmdb': 'PCK@0.1'}[task]
        assert summary[metric] == rows['tiny'][key]
    dataset = json.loads((row / 'vos_summary.json').read_text())['protocol']['dataset']
    assert (dataset['split'], dataset['resolution']) == ('val', '480p')


def test_eval_real_adapt_seed(generated, tmp_path):
    """Each clip adapted with --adapt-seed 1: the predictions of tools/test.py
    with that seed, other than those of seed 0 (the default)."""
    work = tmp_path / 'eval_real'
    jhmdb = ['--jhmdb', generated / 'JHMDB', '--no-references', '--adapt', '1']
    result = eval_real(work, generated, *jhmdb, '--adapt-seed', '1', '--dump', work / 'dump')
    assert list(result['results']) == ['tiny', 'tiny + adapt 1']
    video = 'clap/synth_clap_001.npz'
    adapted = np.load(work / 'dump/tiny_adapt_1/jhmdb' / video)['tracks']
    summary = json.loads((work / 'tiny_adapt_1/jhmdb_summary.json').read_text())
    height, width = summary['protocol']['encoder_input_size']

    def test_tool(*seed) -> np.ndarray:
        """The tracks of tools/test.py --adapt 1 (with ``seed``) at the row's input size."""
        out = tmp_path / f'test{"".join(seed)}'
        evaluate_main([
            str(generated / 'tiny_eval.py'), 'none', '--task', 'jhmdb',
            '--data-root', str(generated / 'JHMDB'), '--work-dir', str(out),
            '--dump', str(out / 'dump'), '--adapt', '1', *seed,
            '--cfg-options', f'model.data_preprocessor.input_size=({height},{width})',
        ])  # fmt: skip
        return np.load(out / 'dump' / video)['tracks']

    np.testing.assert_array_equal(test_tool('--adapt-seed', '1'), adapted)
    assert not np.array_equal(test_tool(), adapted)


# --------------------------------------------------------- data/prepare.py
def prepare(*argv) -> None:
    """One tools/data/prepare.py run (its main)."""
    load_tool('data/prepare').main([str(a) for a in argv])


def prepare_refusal(*argv) -> str:
    """The error of a tools/data/prepare.py run: one line, and for a broken
    layout a second with the dataset's source and licence."""
    with pytest.raises(SystemExit) as error:
        prepare(*argv)
    assert str(error.value.code).startswith('error: ')
    return error.value.code


def test_prepare_davis_resolution(generated, tmp_path):
    source = tmp_path / 'DAVIS'
    shutil.copytree(generated / 'DAVIS', source)
    for kind in ('JPEGImages', 'Annotations'):
        (source / kind / '480p').rename(source / kind / '360p')
    out = tmp_path / 'prepared'
    line = prepare_refusal('davis', source, '--out', out)  # 480p by default
    assert f'{source}/JPEGImages/480p (frames at 480p)' in line
    prepare('davis', source, '--out', out, '--resolution', '360p')
    assert (out / 'JPEGImages/360p').is_symlink()
    prepared = DavisVOSDataset(str(out), [], split='val', resolution='360p')
    assert [prepared.get_data_info(i)['video_name'] for i in range(2)] == ['synth-000', 'synth-001']


def test_prepare_jhmdb_split(generated, tmp_path):
    source = tmp_path / 'JHMDB'
    shutil.copytree(generated / 'JHMDB', source)
    (source / 'splits').mkdir()
    for split, test_video in ((1, 'synth_catch_000'), (2, 'synth_clap_001')):
        for cls, video in (('catch', 'synth_catch_000'), ('clap', 'synth_clap_001')):
            tag = 2 if video == test_video else 1  # 2: a test video, 1: a training one
            (source / 'splits' / f'{cls}_test_split{split}.txt').write_text(f'{video}.avi {tag}\n')
    listed = {}
    for split in (None, 2):
        out = tmp_path / f'split{split}' / 'JHMDB'
        prepare('jhmdb', source, '--out', out, *(['--jhmdb-split', split] if split else []))
        listed[split] = (out / 'val_list.txt').read_text().split()[1::2]
    assert listed == {
        None: ['JHMDB/Rename_Images/catch/synth_catch_000'],  # split 1
        2: ['JHMDB/Rename_Images/clap/synth_clap_001'],
    }


def test_prepare_badja_davis_root(generated, tmp_path):
    source = tmp_path / 'download' / 'BADJA'
    shutil.copytree(generated / 'BADJA', source)
    shutil.copytree(generated / 'DAVIS2016', tmp_path / 'frames' / 'DAVIS2016')
    out = tmp_path / 'prepared'
    line = prepare_refusal('badja', source, '--out', out)  # DAVIS inside BADJA by default
    assert f'{source}/DAVIS (DAVIS frames and masks)' in line
    prepare('badja', source, '--out', out, '--davis-root', '../../frames/DAVIS2016')
    assert (out / 'DAVIS').resolve() == (tmp_path / 'frames' / 'DAVIS2016').resolve()
    prepared = BadjaDataset(str(out), [], davis_root='DAVIS', resolutions=('480p',))[0]
    original = BadjaDataset(str(generated / 'BADJA'), [], davis_root='../DAVIS2016')[0]
    np.testing.assert_array_equal(prepared['keypoints'], original['keypoints'])


def test_prepare_flyingthings_split_and_options_of_another_dataset(tiny_zoo, tmp_path):
    source = tmp_path / 'FlyingThings3D'
    for folder in ('frames_cleanpass_webp', 'optical_flow'):
        shutil.copytree(
            tiny_zoo.data_root / 'FlyingThings3D' / folder / 'TRAIN', source / folder / 'TEST'
        )
    out = tmp_path / 'prepared'
    line = prepare_refusal('flyingthings', source, '--out', out)  # TRAIN by default
    assert f'{source}/frames_cleanpass_webp/TRAIN (TRAIN frames' in line
    prepare('flyingthings', source, '--out', out, '--split', 'TEST')
    pairs = len(FlyingThingsPairs(str(out), [], split='TEST'))
    assert pairs == len(FlyingThingsPairs(str(tiny_zoo.data_root / 'FlyingThings3D'), [])) > 0
    # an option of another dataset would be ignored: refused before any work
    for option, value, owner in (
        ('--resolution', '480p', 'davis'),
        ('--jhmdb-split', '2', 'jhmdb'),
        ('--davis-root', 'DAVIS', 'badja'),
    ):
        line = prepare_refusal('flyingthings', source, '--out', tmp_path / 'o', option, value)
        assert line == f'error: {option} is used only with {owner}'
    line = prepare_refusal('davis', source, '--out', tmp_path / 'o', '--split', 'TEST')
    assert line == 'error: --split is used only with flyingthings'
    assert not (tmp_path / 'o').exists()
