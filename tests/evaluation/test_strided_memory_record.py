"""The memory policy of TAP-Vid 'strided' queries: a named config value,
recorded in the protocol record; 'first' queries and the 'release' protocol
stay exact."""

from pathlib import Path

from mmengine.config import Config

from fgvc.evaluation.tasks import prepare_test_config
from fgvc.propagation import ExactMemory, KeyframeMemory
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

EVAL_CONFIG = str(Path(__file__).resolve().parents[2] / 'configs/eval/res18_d1_eval.py')
STRIDED = {'test_dataloader.dataset.pipeline.1.query_mode': 'strided'}

register_all_modules()


def prepared(protocol=None, options=None):
    cfg = Config.fromfile(EVAL_CONFIG)
    return prepare_test_config(cfg, 'davis', work_dir='', options=options, protocol=protocol)


def test_strided_queries_record_the_configured_keyframe_memory():
    cfg = prepared(options=STRIDED)
    named = Config.fromfile(EVAL_CONFIG).strided_memory
    assert named['type'] == 'KeyframeMemory'
    assert cfg.test_evaluator.protocol['strided_memory'] == named
    model = MODELS.build(cfg.model)
    assert isinstance(model.strided_memory, KeyframeMemory)
    assert model.strided_memory.horizon == named['horizon']
    assert isinstance(model.propagation.memory, ExactMemory)  # 'first' queries: exact


def test_first_queries_and_the_release_protocol_stay_exact():
    assert 'strided_memory' not in prepared().test_evaluator.protocol
    release = prepared(protocol='release', options=STRIDED)
    assert release.test_evaluator.protocol['strided_memory'] is None
    model = MODELS.build(release.model)
    assert model.strided_memory is None and isinstance(model.propagation.memory, ExactMemory)
