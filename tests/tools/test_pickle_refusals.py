"""Every pickle is read safely: a crafted TAP-Vid pickle (unpickling it would
create a file) creates none through tools/test.py, tools/score.py (their
mains, in this process), tools/data/tapvid/split_pickle.py or the dataset
loader, and each stops with one line naming the file and the refused type;
the one trust flag, --trust-pickle, loads it (issue 27)."""

import pickle

import numpy as np
import pytest
from tool_runs import (
    EVAL_CONFIG,
    RAW_CONFIG,
    SMALL_INPUT,
    WritesFile,
    crafted_tapvid,
    error_line,
    exit_message,
    run_tool,
)

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.cli.score import main as score_main
from fgvc.datasets.tapvid import TapVidDataset
from fgvc.fileio import TRUST_FLAG, UnsafePickleError
from fgvc.utils import register_all_modules

REFUSED = '`builtins.exec`'
PIPELINE = [dict(type='SampleTapVidQueries', query_mode='first'), dict(type='PackTrackInputs')]

register_all_modules()


@pytest.fixture
def crafted(tmp_path):
    marker = tmp_path / 'pwned.txt'
    return crafted_tapvid(tmp_path / 'evil.pkl', marker), marker


def refusal(main, args: list) -> str:
    """The one-line error with which a tool's ``main`` (tools/test.py's,
    tools/score.py's), run in this process, stops."""
    with pytest.raises(SystemExit) as error:
        main([str(a) for a in args])
    return exit_message(error)


def assert_refused(line: str, path, marker) -> None:
    assert 'Refusing to unpickle' in line and str(path) in line and REFUSED in line, line
    assert TRUST_FLAG in line
    assert not marker.exists()


def test_test_tool_refuses_a_crafted_tapvid_pickle(crafted, tmp_path):
    path, marker = crafted
    line = refusal(evaluate_main, [
        RAW_CONFIG, 'none', '--task', 'davis', '--data-root', path,
        '--work-dir', tmp_path / 'work', '--cfg-options', SMALL_INPUT,
    ])  # fmt: skip
    assert_refused(line, path, marker)


def test_score_tool_refuses_crafted_data_and_predictions(crafted, tmp_path):
    path, marker = crafted
    predictions = tmp_path / 'predictions'
    predictions.mkdir()
    line = refusal(
        score_main, ['davis', predictions, '--data-root', path, '--work-dir', tmp_path / 'w']
    )
    assert_refused(line, path, marker)
    crafted_predictions = tmp_path / 'predictions.pkl'
    crafted_predictions.write_bytes(
        pickle.dumps({'v0': dict(tracks=np.zeros((1, 3, 2)), extra=WritesFile(marker))})
    )
    line = refusal(score_main, [
        'davis', crafted_predictions, '--data-root', tmp_path / 'absent.pkl',
        '--work-dir', tmp_path / 'w',
    ])  # fmt: skip
    assert_refused(line, crafted_predictions, marker)


def test_the_dataset_loader_and_the_converter_refuse_unless_trusted(crafted, tmp_path):
    path, marker = crafted
    with pytest.raises(UnsafePickleError) as error:
        TapVidDataset(str(path), PIPELINE)
    assert_refused(str(error.value), path, marker)
    out = tmp_path / 'npz'
    result = run_tool('tools/data/tapvid/split_pickle.py', path, out, '--format', 'npz')
    assert_refused(error_line(result), path, marker)
    assert not out.exists() or not list(out.iterdir())
    # the one trust flag: the file is unpickled (and runs its code), then converted
    result = run_tool('tools/data/tapvid/split_pickle.py', path, out, '--format', 'npz', TRUST_FLAG)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert marker.exists() and (out / 'v0.npz').is_file()
    with pytest.warns(UserWarning, match='full unpickling'):
        trusted = TapVidDataset(str(path), PIPELINE, trust_pickle=True)
    assert trusted[0]['data_samples'].video_name == 'v0'


def test_dataset_preparation_refuses_a_crafted_tapvid_pickle_unless_trusted(crafted, tmp_path):
    """tools/data/prepare.py tapvid reads the download's pickles through the
    same reader (split_pickle's logic lives in fgvc.datasets.prepare.tapvid)."""
    path, marker = crafted
    source = tmp_path / 'download'
    (source / 'tapvid_davis').mkdir(parents=True)
    pickled = source / 'tapvid_davis' / 'tapvid_davis.pkl'
    path.rename(pickled)
    out = tmp_path / 'prepared'
    result = run_tool('tools/data/prepare.py', 'tapvid', source, '--out', out)
    assert_refused(error_line(result), pickled, marker)
    assert not list(out.rglob('*.npz'))
    result = run_tool('tools/data/prepare.py', 'davis', source, '--out', out, TRUST_FLAG)
    assert f'{TRUST_FLAG} is used only with tapvid' in error_line(result)
    result = run_tool('tools/data/prepare.py', 'tapvid', source, '--out', out, '--trust-checkpoint')
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert marker.exists() and (out / 'tapvid_davis_npz' / 'v0.npz').is_file()


def test_the_converted_npz_and_a_plain_pickle_need_no_flag(tmp_path):
    """Arrays, numbers and containers load without the flag, from any pickle protocol."""
    video = dict(
        video=np.arange(3 * 16 * 16 * 3, dtype=np.uint8).reshape(3, 16, 16, 3),
        points=np.full((2, 3, 2), 0.25, np.float32),
        occluded=np.array([[False, True, False]] * 2),
    )
    for protocol in (2, 4, 5):
        path = tmp_path / f'plain{protocol}.pkl'
        path.write_bytes(pickle.dumps({'v0': video}, protocol=protocol))
        sample = TapVidDataset(str(path), PIPELINE)[0]['data_samples']
        np.testing.assert_array_equal(sample.occluded[:, 1], True)


def test_a_checkpoint_that_is_a_plain_pickle_names_the_refused_type(tmp_path):
    """torch's loader names no type for a plain pickle ('Check the documentation
    of torch.load'); the refusal names the type the file holds."""
    marker = tmp_path / 'pwned.txt'
    path = tmp_path / 'plain.pth'
    path.write_bytes(pickle.dumps({'state_dict': {}, 'note': WritesFile(marker)}))
    line = refusal(
        evaluate_main, [EVAL_CONFIG, path, '--task', 'davis', '--work-dir', tmp_path / 'w']
    )
    assert f'Refusing to load checkpoint {path}: it holds {REFUSED}' in line, line
    assert 'Check the documentation' not in line and TRUST_FLAG in line
    assert not marker.exists()
