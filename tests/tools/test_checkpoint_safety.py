"""A checkpoint that would run code when unpickled is refused by every entry
point unless trusted; the framework's own checkpoints load with no flag."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging.history_buffer import HistoryBuffer
from train_utils import REPO_ROOT, generate_tiny, train_in_process, write_tiny_config

from fgvc.apis import Predictor
from fgvc.cli.evaluate import main as evaluate_main
from fgvc.fileio import write_rgb
from fgvc.models.backbones import ResNet
from fgvc.utils import TRUST_FLAG, EncoderCheckpoint, UnsafeCheckpointError, load_checkpoint

RAW_CONFIG = str(REPO_ROOT / 'configs/eval/raw_patch_eval.py')
EVAL_CONFIG = str(REPO_ROOT / 'configs/eval/res18_d1_eval.py')
TINY_WIDTH = 8


class AppendsToFile:
    """Unpickling this runs ``exec``, which appends a line to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return exec, (f'open({self.path!r}, "a").write("ran\\n")',)


def crafted(folder: Path, state_dict: dict = None) -> tuple:
    """A checkpoint with real (or no) weights whose unpickling appends to a
    marker file; returns (checkpoint, marker)."""
    marker = folder / 'pwned.txt'
    path = folder / 'crafted.pth'
    torch.save(dict(state_dict=state_dict or {}, meta=dict(note=AppendsToFile(marker))), path)
    return path, marker


def run_tool(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def assert_refused(result: subprocess.CompletedProcess, path: Path, marker: Path) -> None:
    assert result.returncode != 0, result.stdout[-2000:]
    message = result.stderr.strip().splitlines()[-1]
    assert str(path) in message and TRUST_FLAG in message, result.stderr[-2000:]
    assert not marker.exists()


def assert_refused_in_process(path: Path, marker: Path, *train_args) -> None:
    """tools/train.py's main, run in this process, stops with one line
    naming ``path`` and the trust flag, and ``marker`` was not created."""
    with pytest.raises(SystemExit) as error:
        train_in_process(*train_args)
    message = error.value.code
    assert isinstance(message, str) and message.startswith('error: ') and '\n' not in message
    assert str(path) in message and TRUST_FLAG in message, message
    assert not marker.exists()


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """Tiny training data, a tiny config and a checkpoint trained with it."""
    root = tmp_path_factory.mktemp('tiny')
    cfg = write_tiny_config(root / 'tiny.py', generate_tiny(root / 'data'), 1, batch_size=10)
    work = root / 'work'
    result = run_tool('tools/train.py', str(cfg), '--work-dir', str(work))
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(cfg=cfg, work=work)


@pytest.fixture
def frames(tmp_path) -> Path:
    folder = tmp_path / 'frames'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for t in range(3):
        write_rgb(str(folder / f'{t:05d}.png'), rng.integers(0, 255, (32, 32, 3), np.uint8))
    return folder


def test_safe_loader_refuses_and_names_the_file_and_the_type(tmp_path):
    path, marker = crafted(tmp_path)
    with pytest.raises(UnsafeCheckpointError) as error:
        load_checkpoint(str(path))
    assert str(path) in str(error.value) and '`exec`' in str(error.value)
    assert TRUST_FLAG in str(error.value) and not marker.exists()
    with pytest.warns(UserWarning, match='full unpickling'):
        load_checkpoint(str(path), trust=True)
    assert marker.read_text() == 'ran\n'


def test_the_stored_training_config_is_parsed_not_run(tmp_path):
    marker = tmp_path / 'pwned.txt'
    code = f'open({str(marker)!r}, "w")\nmodel = dict(backbone=dict(depth=34, base_channels=8))\n'
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={}, meta=dict(cfg=code)), path)
    weights = EncoderCheckpoint(str(path))
    assert weights.options == {'model.backbone.depth': 34, 'model.backbone.base_channels': 8}
    assert not marker.exists()


def test_getattr_is_allowed_only_for_history_buffer_statistics(tmp_path):
    class Getter:
        def __init__(self, owner: type, name: str) -> None:
            self.owner, self.name = owner, name

        def __reduce__(self):
            return getattr, (self.owner, self.name)

    for owner, name in ((np.ndarray, 'tofile'), (HistoryBuffer, '__init__')):
        path = tmp_path / 'getattr.pth'
        torch.save({'x': Getter(owner, name)}, path)
        with pytest.raises(UnsafeCheckpointError, match=f'getattr.*{name}'):
            load_checkpoint(str(path))
    torch.save({'x': Getter(HistoryBuffer, 'mean')}, path)
    assert load_checkpoint(str(path))['x'] is HistoryBuffer.mean


def test_predictor_refuses_and_unpickles_a_trusted_file_once(tmp_path):
    path, marker = crafted(tmp_path)
    with pytest.raises(UnsafeCheckpointError, match=TRUST_FLAG) as error:
        Predictor(RAW_CONFIG, checkpoint=str(path))
    assert str(path) in str(error.value) and not marker.exists()
    with pytest.warns(UserWarning, match='full unpickling'):
        predictor = Predictor(RAW_CONFIG, checkpoint=str(path), trust_checkpoint=True)
    predictor.model('vos')  # a second task's model reuses the weights read once
    assert marker.read_text() == 'ran\n'


def test_demo_refuses(tmp_path, frames):
    path, marker = crafted(tmp_path)
    result = run_tool(
        'tools/demo.py',
        str(frames),
        '--config',
        RAW_CONFIG,
        '--checkpoint',
        str(path),
        '--out',
        str(tmp_path / 'out'),
    )
    assert_refused(result, path, marker)
    assert not (tmp_path / 'out').exists()


def test_test_tool_refuses(tmp_path):
    path, marker = crafted(tmp_path)
    result = run_tool(
        'tools/test.py',
        RAW_CONFIG,
        str(path),
        '--task',
        'davis',
        '--work-dir',
        str(tmp_path / 'work'),
        '--data-root',
        str(tmp_path / 'no_data'),
    )
    assert_refused(result, path, marker)


def test_convert_tool_refuses(tmp_path):
    path, marker = crafted(tmp_path, {'conv1.weight': torch.zeros(1)})
    output = tmp_path / 'converted.pth'
    result = run_tool('tools/convert_checkpoint.py', str(path), str(output))
    assert_refused(result, path, marker)
    assert not output.exists()


@pytest.mark.parametrize('how', ['resume', 'load_from'])
def test_train_tool_refuses(tiny, tmp_path, how):
    path, marker = crafted(tmp_path)
    work = tmp_path / 'work'
    args = ['--resume', str(path)] if how == 'resume' else ['--cfg-options', f'load_from={path}']
    assert_refused_in_process(path, marker, tiny['cfg'], '--work-dir', work, *args)
    assert not list(work.glob('*.pth'))


def test_train_tool_refuses_an_automatic_resume(tiny, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    path, marker = crafted(work)
    os.rename(path, work / 'epoch_1.pth')
    (work / 'last_checkpoint').write_text('epoch_1.pth')
    assert_refused_in_process(
        work / 'epoch_1.pth', marker, tiny['cfg'], '--work-dir', work, '--resume'
    )


def test_own_trained_resumed_and_converted_checkpoints_load_with_no_flag(tiny, tmp_path):
    work = tiny['work']
    # resumed: one more epoch from the trained checkpoint
    resumed = tmp_path / 'resumed'
    result = run_tool(
        'tools/train.py',
        str(tiny['cfg']),
        '--work-dir',
        str(resumed),
        '--resume',
        str(work),
        '--cfg-options',
        'train_cfg.max_epochs=2',
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert load_checkpoint(str(resumed / 'epoch_2.pth'))['meta']['epoch'] == 2

    # trained, through the Predictor: the encoder width comes from the checkpoint
    predictor = Predictor(EVAL_CONFIG, checkpoint=str(resumed))
    trained = load_checkpoint(str(resumed / 'epoch_2.pth'))['state_dict']
    torch.testing.assert_close(
        predictor.model('davis').backbone.conv1.weight, trained['backbone.conv1.weight']
    )
    assert predictor.options['model.backbone.base_channels'] == TINY_WIDTH

    # converted: a torchvision-style ResNet-18 through tools/convert_checkpoint.py
    source, converted = tmp_path / 'r18.pth', tmp_path / 'r18_fgvc.pth'
    torch.save(ResNet(18).state_dict(), source)
    result = run_tool(
        'tools/convert_checkpoint.py', str(source), str(converted), '--out-indices', '2'
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(converted)) == []
    weights = EncoderCheckpoint(str(converted))
    assert weights.options == {} and 'backbone.layer3.1.conv2.weight' in weights.state_dict


def test_test_tool_takes_the_encoder_width_from_a_work_dir(tiny, tmp_path):
    """tools/test.py accepts a training work dir and evaluates without
    --cfg-options about the encoder (the tiny encoder is 8 channels wide)."""
    data = Path(Config.fromfile(str(tiny['cfg'])).train_dataloader.dataset.labelled.data_root)
    tapvid = data.parent / 'TAP-Vid' / 'tapvid_davis' / 'tapvid_davis.pkl'
    evaluate_main([  # tools/test.py's main, in this process
        EVAL_CONFIG, str(tiny['work']), '--task', 'davis', '--data-root', str(tapvid),
        '--work-dir', str(tmp_path / 'eval'),
        '--cfg-options', 'model.data_preprocessor.input_size=(32,32)',
    ])  # fmt: skip
    assert (tmp_path / 'eval' / 'davis_summary.json').is_file()
