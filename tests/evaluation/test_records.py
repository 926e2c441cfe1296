"""Resuming per-video records: only records of the same run identity are
kept, a refusal says which settings differ, and the files are left as they
were when refused."""

import json

import pytest

from fgvc.evaluation.records import (
    append_record,
    identity_digest,
    prepare_records,
    rank_records_path,
    run_identity,
    write_run,
)

PROTOCOL = dict(task='davis', averaging='video', propagation=dict(topk=10))


def record(name: str, identity: dict, score: float = 0.5) -> dict:
    return dict(
        video_name=name,
        fingerprint=f'gt-of-{name}',
        protocol='digest',
        run=identity_digest(identity),
        metrics=dict(score=score),
    )


def test_a_refusal_names_the_settings_that_differ_and_changes_nothing(tmp_path):
    earlier = run_identity(PROTOCOL, 'a' * 64)
    write_run(str(tmp_path), 'davis', earlier)
    for rank, name in enumerate(('v0', 'v1')):
        append_record(rank_records_path(str(tmp_path), 'davis', rank), record(name, earlier))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    now = run_identity(dict(PROTOCOL, averaging='track', propagation=dict(topk=5)), 'a' * 64)
    with pytest.raises(ValueError) as error:
        prepare_records(str(tmp_path), 'davis', True, now)
    message = str(error.value)
    assert 'davis_videos.rank0.jsonl, line 1: 2 of 2 record(s)' in message
    assert "protocol.averaging is 'video' there, 'track' here" in message
    assert 'protocol.propagation.topk is 10 there, 5 here' in message
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_same_run_records_merge_and_exact_repeats_count_once(tmp_path):
    identity = run_identity(PROTOCOL, None)
    rows = [record('v0', identity), record('v1', identity)]
    append_record(rank_records_path(str(tmp_path), 'davis', 0), rows[0])
    append_record(rank_records_path(str(tmp_path), 'davis', 1), rows[1])
    append_record(rank_records_path(str(tmp_path), 'davis', 1), rows[0])  # a padded repeat
    done = prepare_records(str(tmp_path), 'davis', True, identity)
    assert done == {'v0': rows[0], 'v1': rows[1]}
    resumed = (tmp_path / 'davis_videos.resumed.jsonl').read_text().splitlines()
    assert [json.loads(line) for line in resumed] == rows
    append_record(rank_records_path(str(tmp_path), 'davis', 0), record('v1', identity, 0.9))
    with pytest.raises(
        ValueError,
        match=r"Two different records of video 'v1'.*resumed\.jsonl, "
        r'line 2 and .*rank0\.jsonl, line 1',
    ):
        prepare_records(str(tmp_path), 'davis', True, identity)
