"""tools/test.py --resume cannot mix runs: records of another checkpoint,
protocol, video or data are refused with one error saying what differs, bad
record lines are named by file and line, and one run at a time writes into a
work dir (issue 27, and issue 29's resume with another checkpoint)."""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tool_runs import (
    QUICKSTART_CONFIG,
    RAW_CONFIG,
    ROOT,
    SMALL_INPUT,
    exit_message,
    generate_tapvid,
    load_tool,
)

from fgvc.evaluation.summary import summary_metrics
from fgvc.fileio import WORK_DIR_LOCK

LOCK_WAIT_S = 120


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict:
    """Two TAP-Vid pickles with the same video names and different content."""
    root = tmp_path_factory.mktemp('tapvid')
    return dict(a=generate_tapvid(root / 'a', seed=3), b=generate_tapvid(root / 'b', seed=4))


@pytest.fixture(scope='module')
def test_tool():
    return load_tool('test')


def evaluate(tool, monkeypatch, data: Path, work: Path, *extra: str, checkpoint='none') -> dict:
    """Run tools/test.py's main; the summary it wrote."""
    argv = ['test.py', RAW_CONFIG, str(checkpoint), '--task', 'davis', '--data-root', str(data)]
    argv += ['--work-dir', str(work), '--cfg-options', SMALL_INPUT, *extra]
    monkeypatch.setattr(sys, 'argv', argv)
    tool.main()
    return json.loads((work / 'davis_summary.json').read_text())


def refused(tool, monkeypatch, data: Path, work: Path, *extra: str, checkpoint='none') -> str:
    """The one-line error of a run of tools/test.py's main that must fail."""
    with pytest.raises(SystemExit) as error:
        evaluate(tool, monkeypatch, data, work, *extra, checkpoint=checkpoint)
    return exit_message(error)


def records_file(work: Path) -> Path:
    return work / 'davis_videos.rank0.jsonl'


def test_a_record_of_a_video_the_dataset_lacks_is_refused(data, test_tool, monkeypatch, tmp_path):
    work = tmp_path / 'work'
    first = evaluate(test_tool, monkeypatch, data['a'], work)
    lines = records_file(work).read_text().splitlines()
    stranger = dict(json.loads(lines[0]), video_name='synth0099')
    records_file(work).write_text('\n'.join([*lines, json.dumps(stranger)]) + '\n')
    message = refused(test_tool, monkeypatch, data['a'], work, '--resume')
    assert "does not hold (e.g. 'synth0099')" in message and str(data['a']) in message
    # nothing was evaluated or summarised again: the first summary stands
    assert json.loads((work / 'davis_summary.json').read_text()) == first


def test_records_of_other_data_under_the_same_name_are_refused(
    data, test_tool, monkeypatch, tmp_path
):
    moved = tmp_path / 'data.pkl'
    shutil.copy(data['a'], moved)
    work = tmp_path / 'work'
    evaluate(test_tool, monkeypatch, moved, work)
    lines = records_file(work).read_text().splitlines()
    records_file(work).write_text(lines[0] + '\n')  # as if killed after one video
    shutil.copy(data['b'], moved)  # another data file under the same name
    message = refused(test_tool, monkeypatch, moved, work, '--resume')
    assert 'differ from the data their records were made from' in message
    assert "(e.g. 'synth0000')" in message and str(moved) in message
    # without --resume, the right numbers: those of a fresh run on that data
    again = evaluate(test_tool, monkeypatch, moved, work)
    fresh = evaluate(test_tool, monkeypatch, data['b'], tmp_path / 'fresh')
    assert summary_metrics(again) == summary_metrics(fresh)
    assert again['protocol']['data_fingerprint'] == fresh['protocol']['data_fingerprint']


def test_resuming_with_another_checkpoint_is_refused(data, test_tool, monkeypatch, tmp_path):
    checkpoint = tmp_path / 'weights.pth'
    torch.save(dict(state_dict={}), checkpoint)  # the raw-patch encoder has no weights
    work = tmp_path / 'work'
    first = evaluate(test_tool, monkeypatch, data['a'], work)
    message = refused(test_tool, monkeypatch, data['a'], work, '--resume', checkpoint=checkpoint)
    assert 'evaluated under another protocol than this run' in message
    assert 'checkpoint_sha256 is None there' in message
    assert json.loads((work / 'davis_summary.json').read_text()) == first
    # and the other way round, after a run with the checkpoint
    with_weights = tmp_path / 'with_weights'
    evaluate(test_tool, monkeypatch, data['a'], with_weights, checkpoint=checkpoint)
    message = refused(test_tool, monkeypatch, data['a'], with_weights, '--resume')
    assert 'checkpoint_sha256 is ' in message and 'None here' in message
    # the same checkpoint resumes, every video taken from the records
    resumed = evaluate(
        test_tool, monkeypatch, data['a'], with_weights, '--resume', checkpoint=checkpoint
    )
    assert resumed['provenance']['videos_resumed'] == 3


def test_bad_record_lines_are_named_and_exact_repeats_are_one(
    data, test_tool, monkeypatch, tmp_path
):
    work = tmp_path / 'work'
    first = evaluate(test_tool, monkeypatch, data['a'], work)
    lines = records_file(work).read_text().splitlines()
    edited = dict(json.loads(lines[1]), metrics={'average_jaccard': 1.0})
    cases = [
        ('not a json record', 2, [lines[0], '{"video_name": "synth0001", "metr', lines[2]]),
        ('incomplete record: it lacks', 2, [lines[0], '{"video_name": "synth0001"}', lines[2]]),
        ('Two different records of video', 4, [*lines, json.dumps(edited)]),
    ]
    for problem, line, content in cases:
        records_file(work).write_text('\n'.join(content) + '\n')
        message = refused(test_tool, monkeypatch, data['a'], work, '--resume')
        assert problem in message and f'davis_videos.rank0.jsonl, line {line}' in message
    # an exact repeat (the distributed sampler pads a rank's share so) is one video
    records_file(work).write_text('\n'.join([*lines, lines[1]]) + '\n')
    resumed = evaluate(test_tool, monkeypatch, data['a'], work, '--resume')
    assert summary_metrics(resumed) == summary_metrics(first)
    assert resumed['protocol']['num_videos'] == 3


def hold_lock(work: Path) -> subprocess.Popen:
    """Another process holding ``work``'s writer lock until killed."""
    code = (
        'import sys, time\nfrom fgvc.fileio import work_dir_lock\n'
        f'with work_dir_lock({str(work)!r}):\n    print("held", flush=True)\n    time.sleep(600)\n'
    )
    holder = subprocess.Popen(
        [sys.executable, '-c', code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    deadline = time.time() + LOCK_WAIT_S
    assert holder.stdout.readline().strip() == 'held' and time.time() < deadline
    return holder


def test_one_writer_per_work_dir(data, test_tool, monkeypatch, tmp_path):
    work = tmp_path / 'work'
    holder = hold_lock(work)
    try:
        message = refused(test_tool, monkeypatch, data['a'], work)
        assert f'Another run is writing into {work}' in message and WORK_DIR_LOCK in message
        assert not (work / 'davis_summary.json').exists()
        assert not list(work.glob('davis_videos.*'))
        score = ['score.py', 'davis', str(tmp_path), '--data-root', str(data['a'])]
        monkeypatch.setattr(sys, 'argv', [*score, '--work-dir', str(work)])
        with pytest.raises(SystemExit) as error:
            load_tool('score').main()
        assert 'Another run is writing into' in exit_message(error)
        train = [
            'train.py',
            str(ROOT / 'configs/quickstart/mixed_train_res18_d1_l2_rec_ytv_fly.py'),
        ]
        monkeypatch.setattr(sys, 'argv', [*train, '--work-dir', str(work)])
        with pytest.raises(SystemExit) as error:
            load_tool('train').main()
        assert 'Another run is writing into' in exit_message(error)
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: the lock goes with the process
        holder.wait()
    summary = evaluate(test_tool, monkeypatch, data['a'], work)
    assert summary['videos']['scored'] == 3
    assert len(records_file(work).read_text().splitlines()) == 3
    assert not (work / WORK_DIR_LOCK).exists()  # released at the end


def test_a_work_dir_that_is_a_file_is_refused(data, test_tool, monkeypatch, tmp_path):
    work = tmp_path / 'work'
    work.write_text('not a folder')
    message = refused(test_tool, monkeypatch, data['a'], work)
    assert message == f'error: --work-dir {work} is a file, not a folder'
    score = ['score.py', 'davis', str(tmp_path), '--data-root', str(data['a'])]
    monkeypatch.setattr(sys, 'argv', [*score, '--work-dir', str(work)])
    with pytest.raises(SystemExit) as error:
        load_tool('score').main()
    assert exit_message(error) == message
    monkeypatch.setattr(sys, 'argv', ['train.py', QUICKSTART_CONFIG, '--work-dir', str(work)])
    with pytest.raises(SystemExit) as error:
        load_tool('train').main()
    assert exit_message(error) == message
    assert work.read_text() == 'not a folder'
