"""Config typos are refused before anything runs."""

import os
import subprocess
import sys

import pytest
from mmengine.config import Config
from train_utils import QUICKSTART_CONFIG, REPO_ROOT

from fgvc.utils import check_config, register_all_modules
from fgvc.utils.config import apply_overrides


@pytest.fixture(scope='module')
def cfg() -> Config:
    register_all_modules()
    return Config.fromfile(str(QUICKSTART_CONFIG))


@pytest.mark.parametrize(
    'override, message',
    [
        (dict(train_cfgg=dict(max_epochs=1)), "'train_cfgg' (did you mean 'train_cfg'?)"),
        (
            dict(default_hooks=dict(checkpoint=dict(max_keep_ckpt=1))),
            "default_hooks.checkpoint: AtomicCheckpointHook takes no argument 'max_keep_ckpt' "
            "(did you mean 'max_keep_ckpts'?)",
        ),
        (
            dict(default_hooks=dict(logger=dict(intervall=5))),
            "LoggerHook takes no argument 'intervall' (did you mean 'interval'?)",
        ),
        (dict(custom_hooks=[dict(type='EpochSeedHook', seed=1)]), "takes no argument 'seed'"),
    ],
)
def test_typos_are_refused(cfg, override, message):
    bad = cfg.copy()
    bad.merge_from_dict(override)
    with pytest.raises(KeyError) as error:
        check_config(bad)
    assert message in str(error.value)


def test_every_config_passes_and_variables_are_allowed(cfg):
    for path in sorted((REPO_ROOT / 'configs').glob('*/*.py')):
        check_config(Config.fromfile(str(path)))
    fine = cfg.copy()
    fine.merge_from_dict(dict(my_crop_size=(32, 32), default_hooks=dict(logger=dict(priority=1))))
    check_config(fine)


def test_train_tool_stops_before_training(tmp_path):
    work = tmp_path / 'work'
    result = subprocess.run(
        [
            sys.executable, 'tools/train.py', str(QUICKSTART_CONFIG), '--work-dir', str(work),
            '--cfg-options', 'default_hooks.checkpoint.max_keep_ckpt=1',
        ],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0 and "'max_keep_ckpt'" in result.stderr
    assert not work.exists()


ZOO_SECOND_STAGE = REPO_ROOT / 'configs' / 'zoo' / 'fgvc_r18_real_davisonly.py'
FIRST_STAGE = 'fgvc/weights/fgvc_r18_real.safetensors'


def test_an_unset_argument_is_set_key_by_key():
    # docs/model_zoo.md's seed runs were started from the shipped first-stage
    # encoder this way; the default's backbone has no init_cfg to extend
    register_all_modules()
    cfg = Config.fromfile(str(ZOO_SECOND_STAGE))
    assert 'init_cfg' not in cfg.model.backbone
    apply_overrides(
        cfg,
        {
            'load_from': None,
            'model.backbone.init_cfg.type': 'Pretrained',
            'model.backbone.init_cfg.checkpoint': FIRST_STAGE,
        },
    )
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint=FIRST_STAGE)
    assert cfg.model.backbone.type == 'ResNet' and cfg.load_from is None
    # the config that holds those keys resolves to the same config
    shipped = Config.fromfile(
        str(ZOO_SECOND_STAGE.with_name('fgvc_r18_real_davisonly_from_shipped.py'))
    )
    resolved = shipped.to_dict()
    assert resolved.pop('first_stage_encoder') == FIRST_STAGE
    assert resolved == cfg.to_dict()


@pytest.mark.parametrize(
    'option, message',
    [
        # a typo of the argument: the constructor's names are suggested
        (
            'model.backbone.init_cgf.type',
            "'init_cgf' is not in 'model.backbone' (did you mean 'init_cfg'?)",
        ),
        # a typo of the part on the way: still refused
        ('model.backbne.init_cfg.type', "'backbne' is not in 'model' (did you mean 'backbone'?)"),
        # an argument with a default of its own is not replaced by a part of it
        ('model.backbone.in_channels.x', "'in_channels' is not in 'model.backbone'"),
    ],
)
def test_a_new_key_path_is_refused_unless_it_sets_an_unset_argument(option, message):
    register_all_modules()
    cfg = Config.fromfile(str(ZOO_SECOND_STAGE))
    with pytest.raises(KeyError) as error:
        apply_overrides(cfg, {option: 'Pretrained'})
    assert message in str(error.value)
