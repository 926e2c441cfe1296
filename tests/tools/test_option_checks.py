"""Every option is checked before any work and a bad one ends the tool with
one line: ranges (fps, radius, short side, step counts), options a run would
ignore, outputs that are inputs, devices and AMP that are not there, stream
queries outside the frame; Ctrl-C ends the demo with one line. Also: a
queries CSV with a byte-order mark keeps its first point, and an untrained
encoder repeats bit for bit (issues 27 and 29)."""

import argparse
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from tool_runs import (
    QUICKSTART_CONFIG,
    RAW_CONFIG,
    ROOT,
    error_line,
    exit_message,
    load_tool,
    moving_frames,
    run_tool,
    write_avi,
)

from fgvc.apis import Predictor
from fgvc.cli.options import add_cfg_options
from fgvc.engine.adaptation import MAX_ADAPT_STEPS
from fgvc.fileio import write_grey_png
from fgvc.utils import check_override_keys

demo = load_tool('demo')
NO_GPU = dict(CUDA_VISIBLE_DEVICES='')
INTERRUPT_AFTER_S = 600


def demo_refusal(argv) -> str:
    with pytest.raises(SystemExit) as error:
        demo.main([str(a) for a in argv])
    return exit_message(error)


def test_demo_options_are_checked_before_the_video_is_read(tmp_path):
    """The video is not a video: each run must stop on its option first."""
    video = tmp_path / 'broken.mp4'
    video.write_bytes(b'not a video; reading it first would fail on this file')
    mask = tmp_path / 'mask.png'
    write_grey_png(str(mask), np.ones((8, 8), bool))
    checkpoint = tmp_path / 'encoder.pth'
    checkpoint.write_bytes(b'')
    out = tmp_path / 'out'
    cases = [
        (['--fps', '-5'], '--fps must be a frame rate > 0, got -5'),
        (['--fps', 'nan'], '--fps must be a frame rate > 0, got nan'),
        (['--radius', '-1'], '--radius must be at least 1 pixel, got -1'),
        (['--trail', '-2'], '--trail must be >= 0 frames, got -2'),
        (['--short-side', '0'], '--short-side must be at least 8 pixels'),
        (['--mask', mask, '--alpha', '2'], '--alpha must be in [0, 1], got 2'),
        (['--mask', mask, '--radius', '3'], '--radius applies to point tracking, not to a --mask'),
        (['--mask', mask, '--queries', 'grid:2'], '--queries applies to point tracking'),
        (['--alpha', '0.5'], '--alpha applies to --mask runs'),
        (['--resume'], '--resume applies to several videos'),
        (['--adapt-seed', '3'], '--adapt-seed is used only with --adapt'),
        (['--save-adapted', tmp_path / 'a.pth'], '--save-adapted needs --adapt'),
        (['--adapt', '2', '--encoder-onnx', tmp_path / 'e.onnx'], 'which --encoder-onnx replaces'),
        (['--queries', 'grid:0'], 'A query grid needs at least 1 point a side'),
        (['--adapt', '1000000000'], f'--adapt needs a step count <= {MAX_ADAPT_STEPS}'),
        (['--adapt', '2', '--save-adapted', checkpoint, '--checkpoint', checkpoint], 'same path'),
    ]
    for flags, message in cases:
        argv = [video, '--out', out, '--config', RAW_CONFIG, '--device', 'cpu', *flags]
        assert message in demo_refusal(argv), flags
    message = demo_refusal([video, '--out', video, '--config', RAW_CONFIG])
    assert message == (
        f'error: --out {video} is the same path as VIDEO {video}: writing it would replace '
        'that file; choose another path'
    )
    assert video.read_bytes().startswith(b'not a video') and not out.exists()


def test_save_adapted_onto_the_checkpoint_read_is_refused(tmp_path):
    """The checkpoint named through its work dir: the Predictor compares the file it reads."""
    checkpoint = tmp_path / 'train' / 'epoch_1.pth'
    checkpoint.parent.mkdir()
    torch.save(dict(state_dict={}), checkpoint)
    (checkpoint.parent / 'last_checkpoint').write_text('epoch_1.pth')
    with pytest.raises(ValueError, match='is the checkpoint being read'):
        Predictor(
            RAW_CONFIG,
            str(checkpoint.parent),
            adapt_steps=1,
            save_adapted=str(checkpoint),
        )
    assert torch.load(checkpoint)['state_dict'] == {}


def test_cuda_and_amp_without_a_gpu_are_one_line_errors(tmp_path):
    video = write_avi(str(tmp_path / 'clip.avi'), moving_frames(0))
    result = run_tool(
        'tools/demo.py', video, '--device', 'cuda', '--config', RAW_CONFIG,
        '--out', tmp_path / 'out', env=NO_GPU,
    )  # fmt: skip
    assert error_line(result).startswith('error: --device cuda: CUDA is not available here')
    assert not (tmp_path / 'out').exists()
    work = tmp_path / 'train'
    result = run_tool('tools/train.py', QUICKSTART_CONFIG, '--work-dir', work, '--amp', env=NO_GPU)
    assert error_line(result) == (
        'error: --amp (mixed precision) needs a CUDA device, and none is available here; '
        'train without --amp on the CPU'
    )
    assert not work.exists()


def test_test_and_train_tools_refuse_options_they_would_ignore(tmp_path, monkeypatch):
    base = ['test.py', RAW_CONFIG, 'none', '--task', 'davis', '--work-dir', str(tmp_path / 'w')]
    cases = [
        (['--print-protocol', '--resume'], '--print-protocol evaluates nothing: --resume'),
        (['--adapt', str(MAX_ADAPT_STEPS + 1)], f'step count <= {MAX_ADAPT_STEPS}'),
        (['--adapt-seed', '1'], '--adapt-seed is used only with --adapt'),
        (['--port', '29501'], '--port is used only with --launcher slurm'),
    ]
    test_tool = load_tool('test')
    for flags, message in cases:
        monkeypatch.setattr(sys, 'argv', [*base, *flags])
        with pytest.raises(SystemExit) as error:
            test_tool.main()
        assert message in exit_message(error), flags
    monkeypatch.setattr(sys, 'argv', ['train.py', QUICKSTART_CONFIG, '--port', '1234'])
    with pytest.raises(SystemExit) as error:
        load_tool('train').main()
    assert '--port is used only with --launcher slurm' in exit_message(error)
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize(
    'entry, reason',
    [
        # mmengine's DictAction recursed without end on this, a traceback
        ('adaptation.points.query_warps=dict(weight=1.0,jitter=0.2)', 'cannot read the value'),
        ('model.propagation.topk=[1,2', 'cannot read the value'),
        ('model.propagation.topk', 'expected KEY=VALUE'),
    ],
)
def test_a_cfg_option_that_cannot_be_read_is_one_line_naming_it(entry, reason, capsys):
    parser = argparse.ArgumentParser(prog='tool')
    add_cfg_options(parser)
    with pytest.raises(SystemExit) as error:
        parser.parse_args(['--cfg-options', 'model.propagation.topk=5', entry])
    assert error.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f'tool: error: --cfg-options {entry!r}: {reason}'), last
    read = parser.parse_args(['--cfg-options', 'a.b=5', 'c=(1,2)', 'd=None', 'e=x'])
    assert read.cfg_options == {'a.b': 5, 'c': (1, 2), 'd': None, 'e': 'x'}


def test_query_warps_are_turned_on_by_one_key_of_the_eval_config():
    """docs/model_zoo.md's query_warps row: its weight is a key of the eval
    config (0: off), so --cfg-options can set it."""
    cfg = Config.fromfile(str(ROOT / 'configs/eval/res18_d1_eval.py'))
    assert cfg.adaptation.points.query_warps.weight == 0
    check_override_keys(cfg, {'adaptation.points.query_warps.weight': 1.0})


def test_a_config_key_the_dataset_does_not_take_is_one_line(tmp_path, monkeypatch):
    """A --cfg-options key for another task's dataset reaches the constructor
    of this one: one line naming the class and the key, not a traceback."""
    argv = ['test.py', RAW_CONFIG, 'none', '--task', 'jhmdb', '--data-root', str(tmp_path)]
    argv += ['--work-dir', str(tmp_path / 'w'), '--cfg-options']
    monkeypatch.setattr(sys, 'argv', [*argv, 'test_dataloader.dataset.davis_root=../DAVIS'])
    with pytest.raises(SystemExit) as error:
        load_tool('test').main()
    assert exit_message(error) == (
        "error: the config gives JhmdbDataset the key 'davis_root', which it does not take "
        "(BaseDataset.__init__() got an unexpected keyword argument 'davis_root'): check the "
        'config and --cfg-options'
    )


def test_export_to_a_missing_folder_or_onto_its_checkpoint(tmp_path):
    export = load_tool('export')
    missing = tmp_path / 'nowhere' / 'encoder.onnx'
    with pytest.raises(SystemExit) as error:
        export.main(['none', '--format', 'onnx', '--out', str(missing)])
    assert exit_message(error) == (
        f'error: --out {missing}: the folder {missing.parent} does not exist'
    )
    checkpoint = tmp_path / 'encoder.pth'
    torch.save(dict(state_dict={}), checkpoint)
    with pytest.raises(SystemExit) as error:
        export.main([str(checkpoint), '--format', 'torchscript', '--out', str(checkpoint)])
    assert 'is the same path as CKPT' in exit_message(error)
    assert torch.load(checkpoint) == dict(state_dict={})


def test_stream_queries_and_options_are_checked_before_anything_is_written(tmp_path):
    stream = load_tool('track_stream')
    video = write_avi(str(tmp_path / 'clip.avi'), moving_frames(0, frames=6))
    out = tmp_path / 'out'
    cases = [
        (['--queries', '0,5,5;3,400,5'], 'query 1: (x, y) = (400, 5) is outside the 48x32 frame'),
        (['--queries=-1,5,5'], 'frame -1 is not a frame index (a whole number >= 0)'),
        (['--max-frames', '0'], '--max-frames must be at least 1, got 0'),
    ]
    for flags, message in cases:
        with pytest.raises(SystemExit) as error:
            stream.main([video, '--out', str(out), '--config', RAW_CONFIG, *flags])
        assert message in exit_message(error), flags
        assert not out.exists()  # no partial tracks.csv that a rerun would need --overwrite for
    with pytest.raises(SystemExit) as error:
        stream.main(['0', '--out', str(out), '--realtime'])
    assert '--realtime paces reading a file' in exit_message(error)
    stream.main([video, '--out', str(out), '--config', RAW_CONFIG, '--queries', '3,40,5'])
    rows = np.loadtxt(out / 'tracks.csv', delimiter=',', skiprows=1)
    assert rows[:, 0].tolist() == [3, 4, 5]  # added at its frame, tracked to the end
    # a second run replaces tracks.csv only with --overwrite
    again = [video, '--out', str(out), '--config', RAW_CONFIG, '--queries', '4,40,5']
    with pytest.raises(SystemExit) as error:
        stream.main(again)
    assert 'exists: choose another --out or pass --overwrite' in exit_message(error)
    stream.main([*again, '--overwrite'])
    rows = np.loadtxt(out / 'tracks.csv', delimiter=',', skiprows=1)
    assert rows[:, 0].tolist() == [4, 5]


def test_a_queries_csv_with_a_byte_order_mark_keeps_its_first_point(tmp_path):
    video = write_avi(str(tmp_path / 'clip.avi'), moving_frames(0))
    queries = tmp_path / 'queries.csv'
    queries.write_text('0,10.5,8.5\n1,30.5,20.5\n', encoding='utf-8-sig')  # as spreadsheets save
    assert queries.read_bytes().startswith(b'\xef\xbb\xbf')
    out = tmp_path / 'out'
    demo.main([video, '--queries', str(queries), '--config', RAW_CONFIG, '--out', str(out)])
    with np.load(out / 'tracks.npz') as npz:
        np.testing.assert_array_equal(npz['queries'], [[0, 10.5, 8.5], [1, 30.5, 20.5]])


def test_untrained_predictor_runs_repeat_bit_for_bit():
    frames = moving_frames(0, frames=5, height=48, width=64)
    options = {'model.backbone.base_channels': 8}
    runs = [
        Predictor(cfg_options=options, short_side=48, warn_untrained=False)(frames, 'grid:3')
        for _ in range(2)
    ]
    # the default with no shipped model (the tests' empty zoo) and 'none' draw the same weights
    runs.append(Predictor(checkpoint='none', cfg_options=options, short_side=48)(frames, 'grid:3'))
    for run in runs[1:]:
        np.testing.assert_array_equal(runs[0][0], run[0])
        np.testing.assert_array_equal(runs[0][1], run[1])
    before = torch.random.get_rng_state()
    Predictor(cfg_options=options, warn_untrained=False)
    assert torch.equal(torch.random.get_rng_state(), before)  # the global generator untouched


def test_ctrl_c_ends_the_demo_with_one_line(tmp_path):
    frames = np.concatenate([moving_frames(s, frames=50, height=96, width=128) for s in range(6)])
    video = write_avi(str(tmp_path / 'long.avi'), frames)
    out = tmp_path / 'out'
    demo_process = subprocess.Popen(
        [sys.executable, '-u', str(ROOT / 'tools/demo.py'), video, '--out', str(out)]
        + ['--config', RAW_CONFIG, '--queries', 'grid:8', '--device', 'cpu'],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1'),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    weights = demo_process.stdout.readline()  # the demo names its weights first
    assert weights.startswith('Weights: '), weights + demo_process.stderr.read()
    line = demo_process.stdout.readline()  # printed once the video is open and tracking starts
    assert 'frames' in line, line + demo_process.stderr.read()
    demo_process.send_signal(signal.SIGINT)
    _, stderr = demo_process.communicate(timeout=INTERRUPT_AFTER_S)
    assert demo_process.returncode == 130, stderr[-3000:]
    assert 'Traceback' not in stderr
    assert stderr.strip().splitlines()[-1] == 'interrupted (Ctrl-C): stopped'
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ['long.avi']
