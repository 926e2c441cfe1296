"""Named protocols of the evaluation config: selection, order of options,
the record in the summary, every release switch applicable alone, and the
refusal to resume under another protocol."""

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from fgvc.evaluation.tasks import (
    DEFAULT_PROTOCOL,
    prepare_test_config,
    start_records,
    task_protocols,
)
from fgvc.registry import DATASETS, METRICS, MODELS
from fgvc.utils import register_all_modules

EVAL_CONFIG = str(Path(__file__).resolve().parents[2] / 'configs/eval/res18_d1_eval.py')
RELEASE_TASKS = ('davis', 'kinetics', 'jhmdb', 'badja')

register_all_modules()


def prepared(task='davis', protocol=None, options=None, cfg=None, data_root=None):
    return prepare_test_config(
        cfg or Config.fromfile(EVAL_CONFIG),
        task,
        work_dir='',
        data_root=data_root,
        options=options,
        protocol=protocol,
    )


def test_the_default_is_standard_and_release_applies_its_options():
    standard = prepared()
    assert standard.test_evaluator.protocol['name'] == DEFAULT_PROTOCOL == 'standard'
    assert standard.test_evaluator.protocol['options'] == {}
    release = prepared(protocol='release')
    record = release.test_evaluator.protocol
    assert record['name'] == 'release' and record['occluded_everywhere'] is True
    assert release.model.propagation.seed_in_window is True
    assert release.test_evaluator.averaging == 'track_then_video'
    assert 'seed_in_window' not in standard.model.propagation


def test_given_options_apply_after_the_protocols():
    cfg = prepared(protocol='release', options={'test_evaluator.averaging': 'video'})
    assert cfg.test_evaluator.averaging == 'video'
    assert cfg.test_evaluator.protocol['overrides'] == {'test_evaluator.averaging': 'video'}


def test_a_task_names_its_own_default_protocol():
    cfg = Config.fromfile(EVAL_CONFIG)
    cfg.tasks.jhmdb.protocol = 'release'
    assert prepared('jhmdb', cfg=cfg).test_evaluator.protocol['name'] == 'release'
    assert prepared('vos').test_evaluator.protocol['name'] == 'standard'


def test_an_unknown_protocol_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="protocol 'relase' for task 'davis'.*'release', 'standard'"):
        prepared(protocol='relase')
    with pytest.raises(KeyError, match="protocol 'release' for task 'vos'"):
        prepared('vos', protocol='release')


@pytest.mark.parametrize('task', RELEASE_TASKS)
def test_every_release_switch_applies_alone_and_all_together(task, data_dir):
    """Each release option is a valid override of the standard protocol on
    its own (as the measurements of each difference need), and together
    they build the task's model, metric and (samples kept here) dataset."""
    options = task_protocols(Config.fromfile(EVAL_CONFIG).tasks[task])['release']
    assert options
    for key, value in options.items():
        cfg = prepared(task, options={key: value})
        MODELS.build(cfg.model)
        METRICS.build(dict(cfg.test_evaluator, out_dir=None))
    cfg = prepared(task, protocol='release')
    MODELS.build(cfg.model)
    METRICS.build(dict(cfg.test_evaluator, out_dir=None))
    if task == 'jhmdb':
        cfg = prepared(task, protocol='release', data_root=str(data_dir / 'JHMDB'))
        item = DATASETS.build(cfg.test_dataloader.dataset)[0]
        assert (item['data_samples'].query_points[:, 0] == 0).all()


def evaluate(data, work, protocol, resume):
    cfg = prepare_test_config(
        Config.fromfile(EVAL_CONFIG),
        'davis',
        str(work),
        data_root=str(data),
        options={
            'test_dataloader.dataset.pipeline.0.size': (32, 32),
            'model.backbone.base_channels': 8,
        },
        protocol=protocol,
    )
    start_records(cfg, resume)
    Runner.from_cfg(cfg).test()
    return json.loads((work / 'davis_summary.json').read_text())


def test_resuming_refuses_the_records_of_another_protocol(tmp_path):
    rng = np.random.default_rng(0)
    video = dict(
        video=rng.integers(0, 256, (4, 32, 32, 3), np.uint8),
        points=rng.uniform(0.1, 0.9, (3, 4, 2)).astype(np.float32),
        occluded=np.zeros((3, 4), bool),
    )
    data = tmp_path / 'one.pkl'
    data.write_bytes(pickle.dumps({'v0': video}))
    work = tmp_path / 'work'
    summary = evaluate(data, work, 'standard', resume=False)
    assert summary['protocol']['name'] == 'standard'
    records = [json.loads(line) for line in (work / 'davis_videos.rank0.jsonl').open()]
    assert [r['protocol_name'] for r in records] == ['standard']
    with pytest.raises(
        ValueError,
        match=r'another protocol than this run.*protocol\.name is .standard. there, .release. here',
    ):
        evaluate(data, work, 'release', resume=True)
    assert evaluate(data, work, 'release', resume=False)['protocol']['name'] == 'release'
