"""Loss parts as registered pieces: a new loss needs no library edit, and
every config of the repository builds."""

import json
import runpy
import sys
from glob import glob
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from torch import Tensor, nn
from train_utils import REPO_ROOT, generate_tiny, write_tiny_config

from fgvc.evaluation.tasks import prepare_test_config
from fgvc.models.losses import LossPart, TrainingBatch
from fgvc.registry import DATASETS, METRICS, MODELS
from fgvc.utils import register_all_modules

register_all_modules()


@MODELS.register_module(force=True)
class ToyFeatureEnergy(LossPart):
    """A toy objective defined only here: the mean squared feature of the
    real pair, times a learnt scale (so it has a parameter to train and save)."""

    branches = ('real',)

    def __init__(self, weight: float, radius: int, feature_channels: int) -> None:
        super().__init__(weight, radius, feature_channels)
        self.scale = nn.Parameter(torch.ones(feature_channels))

    def forward(self, batch: TrainingBatch) -> Tensor:
        ref, tgt = batch.features['real']
        return ((ref * self.scale.view(1, -1, 1, 1)) ** 2).mean() + (tgt**2).mean()


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    return generate_tiny(tmp_path_factory.mktemp('tiny'))


def test_a_loss_defined_in_this_file_trains_through_the_train_tool(
    tiny_root, tmp_path, monkeypatch
):
    config = write_tiny_config(tmp_path / 'toy.py', tiny_root, epochs=1, batch_size=10)
    with open(config, 'a') as f:  # only the real pair's losses: the toy and l1_loss
        f.write(
            "model['losses'].update(sup_loss=dict(weight=0.0), "
            "toy_loss=dict(type='ToyFeatureEnergy', weight=0.5))\n"
            "model['losses']['corr_da_loss']['weight'] = 0.0\n"
        )
    work_dir = tmp_path / 'work'
    argv = ['train.py', str(config), '--work-dir', str(work_dir)]
    monkeypatch.setattr(sys, 'argv', argv)
    runpy.run_path(str(REPO_ROOT / 'tools' / 'train.py'), run_name='__main__')

    logged = [
        json.loads(line)
        for path in glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
        for line in Path(path).read_text().splitlines()
    ]
    steps = [entry for entry in logged if 'loss' in entry]
    assert steps and all({'toy_loss', 'l1_loss'} <= set(entry) for entry in steps)
    assert all('sup_loss' not in entry for entry in steps)
    state = torch.load(work_dir / 'epoch_1.pth', weights_only=False)['state_dict']
    scale = state['losses.toy_loss.scale']
    assert scale.shape == (32,)  # the tiny encoder's output channels (8 * 2**2)
    assert not torch.equal(scale, torch.ones(32))  # the optimiser trained it


def test_heads_take_their_width_from_the_encoder_and_a_wrong_one_is_named():
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/quickstart/mixed_train_res18_d1_l2_rec_ytv_fly.py')
    )
    cfg.model.losses.da_loss.weight = 1.0
    cfg.model.backbone.base_channels = 8
    model = MODELS.build(cfg.model)
    assert model.losses.da_loss.head.mlp[0].in_features == 32  # 8 * 2**2 channels
    assert model.losses.corr_da_loss.head.mlp[0].in_features == (2 * cfg.radius + 1) ** 2
    cfg.model.losses.da_loss.head.in_channels = 64
    with pytest.raises(ValueError, match=r'model\.losses\.da_loss: head\.in_channels is 64.*32'):
        MODELS.build(cfg.model)


def test_unknown_branch_and_unlogged_name_are_refused():
    class Nowhere(LossPart):
        branches = ('stereo',)

    with pytest.raises(ValueError, match=r"Nowhere\.branches must name some of .*'stereo'"):
        Nowhere(1.0, 3, 8)
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/quickstart/mixed_train_res18_d1_l2_rec_ytv_fly.py')
    )
    cfg.model.losses['toy'] = dict(type='ToyFeatureEnergy', weight=1.0)
    with pytest.raises(ValueError, match=r"model\.losses key 'toy' must contain \"loss\""):
        MODELS.build(cfg.model)


def wrapped(dataset_cfg):
    """The dataset a config's wrappers (RepeatDataset) hold."""
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg.dataset
    return dataset_cfg


def config_paths() -> list:
    paths = sorted((REPO_ROOT / 'configs').rglob('*.py'))
    return [p for p in paths if '_base_' not in p.parts]


def test_every_config_is_found():
    names = {p.parent.name for p in config_paths()}
    assert names == {'eval', 'train', 'quickstart', 'zoo'}


@pytest.mark.parametrize('path', config_paths(), ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_every_config_builds(path, tiny_root, tmp_path):
    cfg = Config.fromfile(str(path))
    if 'tasks' in cfg:  # evaluation: every task's model and metric
        for task in cfg.tasks:
            task_cfg = prepare_test_config(
                Config.fromfile(str(path)), task, work_dir=str(tmp_path / task)
            )
            model = MODELS.build(task_cfg.model)
            assert model.backbone is not None
            METRICS.build(task_cfg.test_evaluator)
        return
    # training: the model (with a generated teacher checkpoint where the config
    # loads one) and its dataset on tiny generated data
    sup = cfg.model.losses.get('sup_loss', {})
    if sup.get('weight') and sup.get('teacher'):
        teacher = MODELS.build({**sup.teacher, 'init_cfg': None})
        checkpoint = tmp_path / 'teacher.pth'
        prefix = sup.teacher.init_cfg.get('prefix', '')  # the keys as the config reads them
        state = {f'{prefix}{k}': v for k, v in teacher.state_dict().items()}
        torch.save({'state_dict': state}, checkpoint)
        sup.teacher.init_cfg.checkpoint = str(checkpoint)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if sup.get('weight') and sup.get('teacher'):
        loaded = model.losses.sup_loss.teacher.conv1.weight
        torch.testing.assert_close(loaded, teacher.conv1.weight)
    assert set(model.losses) == {n for n, c in cfg.model.losses.items() if c.weight}
    dataset_cfg = cfg.train_dataloader.dataset
    labelled = wrapped(dataset_cfg.labelled)
    labelled.data_root = str(tiny_root / 'FlyingThings3D')
    labelled.views = ('left',)
    real_root = str(tiny_root / 'YouTube-VOS' / 'train')
    unlabelled = dataset_cfg.unlabelled
    sources = unlabelled.datasets if unlabelled.type == 'ConcatDataset' else [unlabelled]
    for source in map(wrapped, sources):  # several real sources
        source.data_root = real_root
        source.pop('split', None)
    assert len(DATASETS.build(dataset_cfg)) > 0
