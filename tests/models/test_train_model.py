"""MixedTracker: loss switches, teacher, error reporting, checkpoint keys."""

import pytest
import torch
from mmengine.structures import BaseDataElement

from fgvc.registry import MODELS
from fgvc.utils import load_encoder_weights, register_all_modules

register_all_modules()

RADIUS = 3
SIZE = 32


def encoder(**kwargs) -> dict:
    return dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        pool_type='none',
        strides=(1, 1, 1, 4),
        out_indices=(2,),
        **kwargs,
    )


def tracker_cfg(**weights) -> dict:
    loss_weight = dict(sup_loss=1.0, l1_loss=1.0, corr_da_loss=1.0, da_loss=1.0)
    loss_weight.update(weights)
    head = dict(type='DomainDiscriminator', hidden_channels=(16,), grl_alpha=1.0)
    parts = dict(
        sup_loss=dict(
            type='FlowSupervision',
            loss=dict(type='FlowSoftLabelLoss', temperature=0.07, label='bilateral', sigma=1.0),
        ),
        l1_loss=dict(
            type='ColourReconstruction', loss=dict(type='ReconstructionLoss', value_scale=20.0)
        ),
        corr_da_loss=dict(type='CorrelationAlignment', head=head),
        da_loss=dict(type='FeatureAlignment', head=head),
    )
    return dict(
        type='MixedTracker',
        backbone=encoder(),
        radius=RADIUS,
        losses={name: dict(cfg, weight=loss_weight[name]) for name, cfg in parts.items()},
        data_preprocessor=dict(type='VideoDataPreprocessor'),
    )


def batch(num: int = 2) -> dict:
    torch.manual_seed(0)
    samples = []
    for i in range(num):
        sample = BaseDataElement(
            metainfo=dict(
                sources=(f'syn{i}_ref', f'syn{i}_tgt', f'real{i}_ref', f'real{i}_tgt'),
                branch_frames=dict(synthetic=(0, 1), real=(2, 3)),
            )
        )
        sample.flow = torch.ones(2, SIZE, SIZE)
        sample.flow_back = -torch.ones(2, SIZE, SIZE)
        samples.append(sample)
    frames = [torch.randint(0, 255, (4, SIZE, SIZE, 3), dtype=torch.uint8) for _ in range(num)]
    return dict(inputs=frames, data_samples=samples)


def run_loss(model, data):
    data = model.data_preprocessor(data, True)
    return model(**data, mode='loss')


def test_all_losses_computed_and_differentiable():
    model = MODELS.build(tracker_cfg())
    losses = run_loss(model, batch())
    assert set(losses) == {'sup_loss', 'l1_loss', 'corr_da_loss', 'da_loss'}
    sum(losses.values()).backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.losses.corr_da_loss.head.mlp[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize('off', ['sup_loss', 'l1_loss', 'corr_da_loss', 'da_loss'])
def test_zero_weight_skips_the_branch(off):
    model = MODELS.build(tracker_cfg(**{off: 0.0}))
    assert off not in model.losses
    losses = run_loss(model, batch())
    assert off not in losses and len(losses) == 3


def test_without_the_synthetic_branch_the_synthetic_pair_is_not_encoded():
    model = MODELS.build(tracker_cfg(sup_loss=0.0, corr_da_loss=0.0, da_loss=0.0))
    seen = []
    model.backbone.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[0]))
    run_loss(model, batch(num=2))
    assert seen == [4]  # 2 samples x the real pair only


def test_frozen_teacher_loaded_from_checkpoint(tmp_path):
    teacher = MODELS.build(encoder())
    path = tmp_path / 'teacher.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in teacher.state_dict().items()}}, path)
    cfg = tracker_cfg()
    cfg['losses']['sup_loss']['teacher'] = encoder(
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    )
    model = MODELS.build(cfg)
    model.init_weights()
    torch.testing.assert_close(model.losses.sup_loss.teacher.conv1.weight, teacher.conv1.weight)
    model.train()
    assert not model.losses.sup_loss.teacher.training and model.backbone.training
    run_loss(model, batch())['sup_loss'].backward()
    assert all(p.grad is None for p in model.losses.sup_loss.teacher.parameters())


def test_missing_teacher_checkpoint_is_named(tmp_path):
    cfg = tracker_cfg()
    missing = tmp_path / 'nowhere.pth'
    cfg['losses']['sup_loss']['teacher'] = encoder(
        init_cfg=dict(type='Pretrained', checkpoint=str(missing))
    )
    with pytest.raises(
        FileNotFoundError,
        match=r'model\.losses\.sup_loss: Teacher checkpoint not found: .*nowhere\.pth'
        r'.*teacher\.init_cfg\.checkpoint',
    ):
        MODELS.build(cfg)


def test_nan_loss_stops_naming_the_loss_and_the_samples():
    model = MODELS.build(tracker_cfg())
    data = batch()
    data['data_samples'][1].flow[0, 3, 3] = float('nan')
    with torch.no_grad():
        model.backbone.conv1.weight[0, 0, 0, 0] = float('nan')
    with pytest.raises(FloatingPointError, match=r"sup_loss is nan .*'syn1_ref'"):
        run_loss(model, data)


def test_checkpoint_keys_load_into_an_evaluation_tracker(tmp_path):
    model = MODELS.build(tracker_cfg())
    path = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    evaluator = MODELS.build(dict(type='PointTracker', backbone=encoder()))
    load_encoder_weights(evaluator, str(path))
    torch.testing.assert_close(
        evaluator.backbone.layer3[1].conv2.weight, model.backbone.layer3[1].conv2.weight
    )


def test_predict_mode_tracks_points():
    model = MODELS.build(tracker_cfg())
    model.eval()
    frames = torch.randint(0, 255, (3, SIZE, SIZE, 3), dtype=torch.uint8)
    sample = BaseDataElement(
        metainfo=dict(
            query_points=torch.tensor([[0.0, 10.0, 12.0]]).numpy(), raster_hw=(SIZE, SIZE)
        )
    )
    data = model.data_preprocessor(dict(inputs=[frames], data_samples=[sample]))
    out = model(**data, mode='predict')
    assert out[0].pred_tracks.shape == (1, 3, 2)
