"""tools/score.py: a bad prediction file stops the run with one line naming
it and leaves no per-video records behind; options the task does not use are
refused before anything is read (issue 27, issue 29)."""

import pickle
import sys

import numpy as np
import pytest
from tool_runs import error_line, exit_message, generate_tapvid, load_tool, run_tool

RASTER = 256  # the scored TAP-Vid raster


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return generate_tapvid(tmp_path_factory.mktemp('tapvid'), seed=3)


def write_truth(data, folder) -> list:
    """Each video's ground truth as predictions (one row per track); returns the names."""
    folder.mkdir()
    with open(data, 'rb') as f:
        videos = pickle.load(f)
    for name, video in videos.items():
        np.savez(
            folder / f'{name}.npz',
            tracks=np.asarray(video['points']) * RASTER,
            occluded=np.asarray(video['occluded']),
            raster_hw=[RASTER, RASTER],
        )
    return sorted(videos)


def test_a_bad_prediction_is_named_and_leaves_no_records(data, tmp_path):
    predictions = tmp_path / 'predictions'
    names = write_truth(data, predictions)
    work = tmp_path / 'work'
    result = run_tool(
        'tools/score.py', 'davis', predictions, '--data-root', data, '--work-dir', work
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert b'average_jaccard               1.0000' in result.stdout  # the truth scores 1
    assert len((work / 'davis_videos.rank0.jsonl').read_text().splitlines()) == len(names)

    broken = predictions / f'{names[1]}.npz'
    with np.load(broken) as npz:
        tracks = npz['tracks'].copy()
    tracks[0, 0] = np.nan
    np.savez(broken, tracks=tracks, occluded=np.zeros(tracks.shape[:2], bool))
    result = run_tool(
        'tools/score.py', 'davis', predictions, '--data-root', data, '--work-dir', work
    )
    assert error_line(result) == (
        f'error: Prediction file {broken}: field tracks holds values that are not finite'
    )
    assert not list(work.glob('davis_videos.*'))  # neither this run's records nor the last's


def test_options_the_task_ignores_are_refused_first(tmp_path, monkeypatch):
    missing = str(tmp_path / 'no_data')
    cases = [
        (['jhmdb', str(tmp_path), '--raster', '240', '320'], '--raster applies to TAP-Vid'),
        (['vos', str(tmp_path / 'p.pkl')], 'a predictions pickle holds TAP-Vid tracks only'),
        (['davis', str(tmp_path), '--raster', '0', '256'], '--raster needs a height and width'),
    ]
    for argv, problem in cases:
        monkeypatch.setattr(
            sys, 'argv', ['score.py', *argv, '--data-root', missing, '--work-dir', missing]
        )
        with pytest.raises(SystemExit) as error:
            load_tool('score').main()
        assert problem in exit_message(error)
    assert not (tmp_path / 'no_data').exists()
