"""The release-named training config holds the release's choice of every
recipe option, the `_ours` config (and the quickstart built on it) ours; the
schedule options (warm-up, clipping) on hand-computed cases."""

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from recipe_options import FULL_SCALE_OPTIONS, OPTIONS, RELEASE_BLUR, release_choice, resolved
from safetensors.torch import load_file
from torch import nn

from fgvc.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
RELEASE = CONFIGS / 'train' / 'mixed_train_res18_d1_l2_rec_ytv_fly.py'
OURS = CONFIGS / 'train' / 'mixed_train_res18_d1_l2_rec_ytv_fly_ours.py'
RELEASE_TWINS = [
    CONFIGS / 'quickstart' / 'release_recipe_ytv_fly.py',
    CONFIGS / 'quickstart' / 'release_recipe_real_fly.py',
    CONFIGS / 'quickstart' / 'release_recipe_real_fly_teacher.py',
]
OURS_QUICKSTARTS = [
    CONFIGS / 'quickstart' / 'mixed_train_res18_d1_l2_rec_ytv_fly.py',
    CONFIGS / 'quickstart' / 'mixed_train_res18_d1_l2_rec_real_fly.py',
]
ABLATIONS = [
    path
    for path in sorted((CONFIGS / 'train').glob('mixed_train_res18_d1_l2_rec_ytv_fly_*.py'))
    if path != OURS
]


@pytest.mark.parametrize('path', [RELEASE, *RELEASE_TWINS, *ABLATIONS], ids=lambda p: p.stem)
def test_release_configs_hold_the_release_choice_of_every_option(path):
    cfg = Config.fromfile(str(path))
    options = OPTIONS + (FULL_SCALE_OPTIONS if path.parent.name == 'train' else [])
    for dotted, release, ours in options:
        assert resolved(cfg, dotted) == release_choice(cfg, dotted, release, ours), dotted
    dataset = cfg.train_dataloader.dataset
    for side in ('labelled', 'unlabelled'):
        blurs = [t for t in dataset[side].pipeline if t['type'] == 'PairGaussianBlur']
        assert [dict(b, sigma=tuple(b['sigma'])) for b in blurs] == [RELEASE_BLUR], side
        assert 'PairRandomFlip' not in [t['type'] for t in dataset.labelled.pipeline]
    assert cfg.optim_wrapper.clip_grad is None
    assert [s['type'] for s in cfg.param_scheduler] == ['CosineAnnealingLR']


@pytest.mark.parametrize('path', [OURS, *OURS_QUICKSTARTS], ids=lambda p: p.stem)
def test_our_configs_hold_our_choices(path):
    cfg = Config.fromfile(str(path))
    options = OPTIONS + (FULL_SCALE_OPTIONS if path.parent.name == 'train' else [])
    for dotted, _, ours in options:
        assert resolved(cfg, dotted) == ours, dotted
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=1e4)
    assert cfg.param_scheduler[0]['type'] == 'LinearLR'


def test_release_full_scale_pipelines():
    dataset = Config.fromfile(str(RELEASE)).train_dataloader.dataset
    steps = [t['type'] for t in dataset.unlabelled.pipeline]
    assert steps == [
        'PairResizeShortSide',
        'PairRandomResizedCrop',
        'PairRandomFlip',
        'PairGaussianBlur',
    ]
    crop = dataset.unlabelled.pipeline[1]
    assert (crop.max_attempts, crop.fallback) == (20, 'centre_square')
    assert dataset.unlabelled.pipeline[0].size == 256


def learning_rates(path: Path, iterations: list, epoch_length: int = 1000) -> list:
    """The rate at each of ``iterations`` under ``path``'s optimiser and schedule."""
    cfg = Config.fromfile(str(path))
    wrapper = build_optim_wrapper(nn.Linear(1, 1), cfg.optim_wrapper)
    schedulers = []
    for entry in cfg.param_scheduler:
        entry = dict(entry)
        scheduler = PARAM_SCHEDULERS.get(entry.pop('type'))
        if entry.pop('convert_to_iter_based', False):
            schedulers.append(
                scheduler.build_iter_from_epoch(wrapper, epoch_length=epoch_length, **entry)
            )
        else:
            schedulers.append(scheduler(wrapper, **entry))
    rates = []
    for step in range(max(iterations) + 1):
        if step in iterations:
            rates.append(wrapper.get_lr()['lr'][0])
        for scheduler in schedulers:
            scheduler.step()
    return rates


def test_ours_warms_up_over_500_iterations_and_the_release_does_not():
    at = [0, 250, 499, 600]
    ours, release = learning_rates(OURS, at), learning_rates(RELEASE, at)
    # the release: cosine from 1e-3 over 30 epochs; at 600 of 30,000 iterations
    cosine_600 = 1e-6 + (1e-3 - 1e-6) * (1 + torch.cos(torch.tensor(torch.pi * 600 / 30000))) / 2
    assert release[0] == pytest.approx(1e-3, rel=1e-9)
    assert release[3] == pytest.approx(cosine_600.item(), rel=1e-6)
    # ours: the same cosine times mmengine's LinearLR factor 0.01 + 0.99 * i / 499,
    # which reaches 1 at the last warm-up iteration (499)
    for i, factor in zip(at, [0.01, 0.01 + 0.99 * 250 / 499, 1.0, 1.0]):
        assert ours[at.index(i)] == pytest.approx(factor * release[at.index(i)], rel=1e-5)


@pytest.mark.parametrize('path, clipped', [(OURS, True), (RELEASE, False)])
def test_gradient_clipping_of_ours_and_none_in_the_release(path, clipped):
    layer = nn.Linear(1, 1, bias=False)
    wrapper = build_optim_wrapper(layer, Config.fromfile(str(path)).optim_wrapper)
    wrapper.backward(layer.weight.sum() * 5e4)  # gradient norm 5e4
    wrapper.step()
    expected = 1e4 if clipped else 5e4  # ours clips to max_norm 1e4
    assert layer.weight.grad.item() == pytest.approx(expected, rel=1e-5)


def test_the_teacher_twin_loads_the_shipped_encoder_as_its_frozen_teacher(monkeypatch):
    monkeypatch.chdir(CONFIGS.parent)  # the config names the weights from the repository root
    cfg = Config.fromfile(str(CONFIGS / 'quickstart' / 'release_recipe_real_fly_teacher.py'))
    tracker = MODELS.build(cfg.model)
    tracker.init_weights()
    teacher = tracker.losses['sup_loss'].teacher
    shipped = load_file(cfg.teacher_checkpoint)
    state = teacher.state_dict()
    assert sorted(state) == sorted(shipped)
    for key, value in shipped.items():
        assert torch.equal(state[key], value), key
    assert not any(p.requires_grad for p in teacher.parameters())
    assert cfg.model.losses.sup_loss.teacher_norm_dim == 2
