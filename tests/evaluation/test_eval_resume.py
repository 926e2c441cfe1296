"""Resumable evaluation: a 2-process run killed with SIGKILL, then resumed,
gives the uninterrupted run's summary without recomputing the finished videos."""

import dataclasses
import json
import os
import pickle
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.evaluation.records import (
    append_record,
    prepare_records,
    rank_records_path,
    read_records,
)
from fgvc.evaluation.summary import summary_metrics
from fgvc.evaluation.tasks import prepare_test_config, start_records
from fgvc.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
SMALL_INPUT = 'model.data_preprocessor.input_size=(64,64)'
NUM_VIDEOS = 12
KILL_AFTER_VIDEOS = 4
POLL_S = 0.05
WORKER_GRACE_S = 3
RUN_TIMEOUT_S = 600

register_all_modules()


@pytest.fixture(scope='module')
def twelve_videos(tmp_path_factory):
    out = tmp_path_factory.mktemp('tapvid12')
    preset = dataclasses.replace(get_preset('tiny'), tapvid_davis=NUM_VIDEOS)
    generate_datasets(str(out), preset, seed=3, formats=['tapvid_davis'])
    return out / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl'


def dist_test_command(data: Path, work: Path, *extra: str) -> list:
    return [
        'bash',
        'tools/dist_test.sh',
        RAW_CONFIG,
        '2',
        'davis',
        'none',
        '--data-root',
        str(data),
        '--work-dir',
        str(work),
        '--cfg-options',
        SMALL_INPUT,
        *extra,
    ]


def environment() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')


def run(command: list) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def done_videos(work: Path) -> list:
    return [r['video_name'] for r in read_records(sorted(work.glob('davis_videos.rank*.jsonl')))]


def test_killed_run_resumes_to_the_uninterrupted_summary(twelve_videos, tmp_path):
    """The uninterrupted reference runs in this process (one rank: ranks
    give the same metrics, tests/evaluation/test_tapvid_pipeline.py); the killed and
    the resumed runs are tools/dist_test.sh with 2 processes."""
    full = tmp_path / 'full'
    evaluate_main(
        [RAW_CONFIG, 'none', '--task', 'davis', '--data-root', str(twelve_videos)]
        + ['--work-dir', str(full), '--cfg-options', SMALL_INPUT]
    )
    expected = json.loads((full / 'davis_summary.json').read_text())
    assert expected['videos'] == dict(scored=NUM_VIDEOS, excluded=0, excluded_videos={})

    work = tmp_path / 'killed'
    launcher = subprocess.Popen(
        dist_test_command(twelve_videos, work),
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + RUN_TIMEOUT_S
    while len(set(done_videos(work))) < KILL_AFTER_VIDEOS and launcher.poll() is None:
        assert time.time() < deadline, 'no video finished in time'
        time.sleep(POLL_S)
    os.killpg(launcher.pid, signal.SIGKILL)  # the launcher and its workers, with no warning
    launcher.wait()
    done = set(done_videos(work))
    time.sleep(WORKER_GRACE_S)
    assert set(done_videos(work)) == done, 'workers outlived their killed launcher'

    assert KILL_AFTER_VIDEOS <= len(done) < NUM_VIDEOS, 'the kill should land mid-run'
    assert not (work / 'davis_summary.json').exists()

    result = run(dist_test_command(twelve_videos, work, '--resume'))
    resumed = json.loads((work / 'davis_summary.json').read_text())
    got, want = summary_metrics(resumed), summary_metrics(expected)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-9, rel=0), key
    assert resumed['protocol']['data_fingerprint'] == expected['protocol']['data_fingerprint']
    assert resumed['provenance']['videos_resumed'] == len(done)
    # the finished videos were not evaluated again: this run's records are the others
    recomputed = set(done_videos(work))
    assert recomputed.isdisjoint(done)
    assert recomputed | done == set(json.loads((full / 'davis_per_video.json').read_text()))
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert f'Resuming: {len(done)} of {NUM_VIDEOS} videos already evaluated' in logs
    assert f'{len(done)} done before' in result.stderr  # the progress bar says so too


def test_a_half_written_last_line_is_ignored(tmp_path):
    path = tmp_path / 'records.jsonl'
    path.write_text(json.dumps(dict(video_name='a')) + '\n' + '{"video_name": "b", "met')
    assert read_records([str(path)]) == [dict(video_name='a')]


def test_prepare_records_merges_on_resume_and_clears_otherwise(tmp_path):
    for rank, names in enumerate((['a', 'b'], ['c'])):
        for name in names:
            append_record(rank_records_path(str(tmp_path), 'davis', rank), dict(video_name=name))
    done = prepare_records(str(tmp_path), 'davis', resume=True)
    assert sorted(done) == ['a', 'b', 'c']
    assert not list(tmp_path.glob('davis_videos.rank*.jsonl'))
    append_record(rank_records_path(str(tmp_path), 'davis', 0), dict(video_name='d'))
    assert sorted(prepare_records(str(tmp_path), 'davis', resume=True)) == ['a', 'b', 'c', 'd']
    assert prepare_records(str(tmp_path), 'davis', resume=False) == {}
    assert not list(tmp_path.glob('davis_videos.*'))


def test_print_protocol_shows_the_record_without_evaluating(twelve_videos, tmp_path, capsys):
    evaluate_main(  # tools/test.py's main, in this process
        [
            RAW_CONFIG, 'none', '--task', 'davis',
            '--data-root', str(twelve_videos), '--work-dir', str(tmp_path),
            '--cfg-options', 'model.data_preprocessor.input_size=(64,64)',
            'test_evaluator.averaging=track', '--print-protocol',
        ]
    )  # fmt: skip
    record = json.loads(capsys.readouterr().out)
    assert record['num_videos'] == NUM_VIDEOS
    assert record['encoder_input_size'] == [64, 64]
    assert record['frames_resized_to'] == [256, 256]
    assert record['propagation']['temperature'] == 0.01
    assert record['occlusion_threshold'] == 0.5
    assert 'per query track' in record['averaging']
    assert not list(tmp_path.iterdir())  # nothing evaluated, nothing written


def evaluate_in_process(data: Path, work: Path, resume: bool, **options) -> dict:
    cfg = prepare_test_config(
        Config.fromfile(RAW_CONFIG),
        'davis',
        str(work),
        data_root=str(data),
        options={'model.data_preprocessor.input_size': (32, 32), **options},
    )
    start_records(cfg, resume)
    Runner.from_cfg(cfg).test()
    return json.loads((work / 'davis_summary.json').read_text())


def test_resume_with_every_video_done_and_under_another_protocol(tmp_path):
    rng = np.random.default_rng(0)
    videos = {
        f'v{i}': dict(
            video=rng.integers(0, 256, (4, 32, 32, 3), np.uint8),
            points=rng.uniform(0.1, 0.9, (3, 4, 2)).astype(np.float32),
            occluded=np.zeros((3, 4), bool),
        )
        for i in range(2)
    }
    data = tmp_path / 'two.pkl'
    data.write_bytes(pickle.dumps(videos))
    work = tmp_path / 'work'
    first = evaluate_in_process(data, work, resume=False)
    again = evaluate_in_process(data, work, resume=True)  # nothing left to evaluate
    assert summary_metrics(again) == summary_metrics(first)
    assert again['provenance']['videos_resumed'] == 2
    assert not list(work.glob('davis_videos.rank*.jsonl'))
    with pytest.raises(ValueError, match='evaluated under another protocol than this run'):
        evaluate_in_process(data, work, resume=True, **{'test_evaluator.averaging': 'track'})
