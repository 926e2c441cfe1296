"""Checkpoints that cannot be read stop tools/test.py and tools/train.py
with one line naming the file and the problem; a ``last_checkpoint`` naming
a file cut short falls back to the newest complete one (issue 27)."""

import json
import sys

import pytest
import torch
from tool_runs import (
    QUICKSTART_CONFIG,
    RAW_CONFIG,
    SMALL_INPUT,
    exit_message,
    generate_tapvid,
    load_tool,
)

from fgvc.utils import LAST_CHECKPOINT


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return generate_tapvid(tmp_path_factory.mktemp('tapvid'), seed=3, videos=1)


@pytest.fixture
def files(tmp_path) -> dict:
    """A complete checkpoint, one cut short, an empty file and a text file.
    The raw-patch encoder has no weights, so the whole checkpoint holds none
    (loading is strict: a key that maps nowhere is an error)."""
    whole = tmp_path / 'whole.pth'
    torch.save(dict(state_dict={}, meta=dict(note='x' * 4096)), whole)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    text = tmp_path / 'text.pth'
    text.write_text('these are not weights\n')
    return dict(whole=whole, cut=cut, empty=empty, text=text)


def refusal_of_test_tool(monkeypatch, *argv) -> str:
    monkeypatch.setattr(sys, 'argv', ['test.py', RAW_CONFIG, *map(str, argv)])
    with pytest.raises(SystemExit) as error:
        load_tool('test').main()
    return exit_message(error)


def test_unreadable_checkpoints_are_one_line_errors(files, data, monkeypatch, tmp_path):
    common = ['--task', 'davis', '--data-root', data, '--work-dir', tmp_path / 'w']
    expected = dict(
        cut='truncated (an incomplete zip archive)',
        empty='the file is empty',
        text='not a PyTorch checkpoint (neither a zip archive nor a pickle it can read)',
    )
    for name, reason in expected.items():
        message = refusal_of_test_tool(monkeypatch, files[name], *common)
        assert message == f'error: Cannot read checkpoint {files[name]}: {reason}'
    assert not (tmp_path / 'w').exists()  # refused before anything was written


def test_last_checkpoint_naming_a_file_cut_short_falls_back(files, data, monkeypatch, tmp_path):
    work = tmp_path / 'train'
    work.mkdir()
    files['whole'].rename(work / 'epoch_1.pth')
    files['cut'].rename(work / 'epoch_2.pth')
    (work / LAST_CHECKPOINT).write_text('epoch_2.pth')
    argv = ['test.py', RAW_CONFIG, str(work), '--task', 'davis', '--data-root', str(data)]
    argv += ['--work-dir', str(tmp_path / 'eval'), '--cfg-options', SMALL_INPUT]
    monkeypatch.setattr(sys, 'argv', argv)
    with pytest.warns(UserWarning, match=r'epoch_2\.pth, which is incomplete .*epoch_1\.pth'):
        load_tool('test').main()
    summary = json.loads((tmp_path / 'eval' / 'davis_summary.json').read_text())
    assert summary['provenance']['checkpoint'] == str(work / 'epoch_1.pth')


def test_a_bad_value_in_the_stored_config_names_the_checkpoint(data, monkeypatch, tmp_path):
    path = tmp_path / 'epoch_1.pth'
    stored = 'model = dict(backbone=dict(type="ResNet", depth=18, base_channels=-4))\n'
    torch.save(dict(state_dict={}, meta=dict(cfg=stored)), path)
    message = refusal_of_test_tool(monkeypatch, path, '--task', 'davis', '--data-root', data)
    assert message == (
        f'error: Checkpoint {path}: its stored training config sets '
        'model.backbone.base_channels = -4, which is not a whole number >= 1'
    )


def test_train_tool_resume_from_a_file_cut_short_or_empty(files, monkeypatch, tmp_path):
    for name, reason in (('cut', 'truncated'), ('empty', 'the file is empty')):
        work = tmp_path / name
        argv = [
            'train.py',
            QUICKSTART_CONFIG,
            '--work-dir',
            str(work),
            '--resume',
            str(files[name]),
        ]
        monkeypatch.setattr(sys, 'argv', argv)
        with pytest.raises(SystemExit) as error:
            load_tool('train').main()
        message = exit_message(error)
        assert message.startswith(f'error: Cannot read checkpoint {files[name]}: {reason}')
        assert not work.exists()  # before the runner, the model or the data
