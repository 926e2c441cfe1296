"""The training-log summary (fgvc.zoo.training_log) of a work dir with two
starts of tools/train.py: an interrupted one and the run resumed from its
checkpoint, written here with known values so that every number has an
exact reference."""

import json

import pytest

from fgvc.zoo.training_log import (
    format_duration,
    summarise_training,
    training_log_markdown,
)

FIRST, SECOND = '20260101_000000', '20260101_001000'


def write_run(work_dir, name, records, log_lines):
    folder = work_dir / name
    (folder / 'vis_data').mkdir(parents=True)
    text = '\n'.join(json.dumps(r) for r in records) + '\n'
    (folder / 'vis_data' / 'scalars.json').write_text(text)
    (folder / f'{name}.log').write_text('\n'.join(log_lines) + '\n')


def record(step, epoch, loss, sup_loss, time, lr):
    return dict(
        lr=lr, time=time, data_time=0.1, loss=loss, sup_loss=sup_loss, epoch=epoch, step=step
    )


@pytest.fixture
def work_dir(tmp_path):
    """Start 1 logs steps 2, 4 (epoch 1, checkpoint at step 4) and 6, then
    dies; start 2 resumes from step 4, logs 6 and 8 (checkpoint of epoch 2)
    and goes on to step 10."""
    write_run(
        tmp_path,
        FIRST,
        [
            record(2, 1, loss=4.0, sup_loss=3.0, time=1.0, lr=0.1),
            record(4, 1, loss=2.0, sup_loss=1.0, time=2.0, lr=0.09),
            record(6, 2, loss=100.0, sup_loss=100.0, time=100.0, lr=0.07),  # redone by start 2
        ],
        [
            '2026/01/01 00:00:00 - mmengine - INFO - ',
            'System environment: (a line without time)',
            '2026/01/01 00:00:40 - mmengine - INFO - Saving checkpoint at 1 epochs',
            '2026/01/01 00:01:00 - mmengine - INFO - Epoch(train) [2][2/4] ...',
        ],
    )
    write_run(
        tmp_path,
        SECOND,
        [
            {'tapvid/AJ': 0.3, 'step': 4},  # a validation record: no loss, not a step
            record(6, 2, loss=1.5, sup_loss=1.0, time=3.0, lr=0.05),
            record(8, 2, loss=0.5, sup_loss=0.25, time=1.0, lr=0.01),
            record(10, 3, loss=9.0, sup_loss=9.0, time=9.0, lr=0.001),  # after the checkpoint
        ],
        [
            '2026/01/01 00:10:00 - mmengine - INFO - ',
            '2026/01/01 00:10:30 - mmengine - INFO - Saving checkpoint at 2 epochs',
            '2026/01/01 00:10:50 - mmengine - INFO - Epoch(train) [3][2/4] ...',
        ],
    )
    (tmp_path / 'not_a_run').mkdir()
    return tmp_path


def test_epochs_take_each_step_from_the_latest_start_up_to_the_checkpoint(work_dir):
    log = summarise_training(str(work_dir), until_step=8, until_epoch=2)
    assert [e.epoch for e in log.epochs] == [1, 2]
    first, second = log.epochs
    # epoch 1: steps 2 and 4, two iterations each
    assert first.last_step == 4 and first.lr == 0.09
    assert first.losses == pytest.approx({'loss': 3.0, 'sup_loss': 2.0}, abs=1e-12)
    assert first.seconds_per_iter == pytest.approx(1.5, abs=1e-12)
    # epoch 2: step 6 from start 2 (not 100), step 8; step 10 is after the checkpoint
    assert second.last_step == 8 and second.lr == 0.01
    assert second.losses == pytest.approx({'loss': 1.0, 'sup_loss': 0.625}, abs=1e-12)
    assert second.seconds_per_iter == pytest.approx(2.0, abs=1e-12)
    assert log.iteration_time_s == pytest.approx(1 * 2 + 2 * 2 + 3 * 2 + 1 * 2, abs=1e-12)
    # start 1: its whole log (60 s); start 2: up to saving epoch 2 (30 s)
    assert [(r.name, r.first_step, r.last_step, r.elapsed_s) for r in log.runs] == [
        (FIRST, 2, 6, 60.0),
        (SECOND, 6, 8, 30.0),
    ]
    assert log.record() == dict(
        epochs=2, iterations=8, runs=2, iteration_time_s=14.0, elapsed_s=90.0
    )


def test_iteration_checkpoints_stop_the_clock_at_their_own_line(work_dir):
    log = summarise_training(str(work_dir), until_step=8)  # no epoch: no epoch marker
    assert [r.elapsed_s for r in log.runs] == [60.0, 50.0]
    early = summarise_training(str(work_dir), until_step=4, until_epoch=1)
    assert [r.name for r in early.runs] == [FIRST]  # start 2 logged nothing up to step 4
    assert early.runs[0].elapsed_s == 40.0
    assert [e.epoch for e in early.epochs] == [1]


def test_markdown_tables(work_dir):
    text = training_log_markdown(summarise_training(str(work_dir), 8, 2))
    assert '| epoch | last iteration | loss | sup_loss | lr (end) | s/iter |' in text
    assert '| 1 | 4 | 3.0000 | 2.0000 | 0.09 | 1.50 |' in text
    assert '| 2 | 8 | 1.0000 | 0.6250 | 0.01 | 2.00 |' in text
    assert '14 s of iterations' in text and '2 min elapsed over 2 start(s)' in text
    assert f'| {SECOND} | 6 to 8 | 30 s |' in text


def test_a_missing_text_log_makes_the_elapsed_time_unknown(work_dir):
    (work_dir / FIRST / f'{FIRST}.log').unlink()
    log = summarise_training(str(work_dir), 8, 2)
    assert log.runs[0].elapsed_s is None and log.elapsed_s is None
    assert log.record()['elapsed_s'] is None


def test_no_logs_and_bad_lines_are_named(tmp_path, work_dir):
    with pytest.raises(FileNotFoundError, match='No training logs'):
        summarise_training(str(tmp_path / 'empty'), 8)
    scalars = work_dir / SECOND / 'vis_data' / 'scalars.json'
    scalars.write_text(scalars.read_text() + '{"step": \n')
    with pytest.raises(ValueError, match=f'{scalars} line 5 is not json'):
        summarise_training(str(work_dir), 8)


@pytest.mark.parametrize(
    'seconds,text',
    [(None, 'unknown'), (42.4, '42 s'), (150, '2 min'), (3 * 3600 + 5 * 60 + 20, '3 h 05 min')],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
