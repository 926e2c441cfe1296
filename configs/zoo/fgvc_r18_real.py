# Model-zoo recipe: the real-data quickstart recipe scaled up to a few hours
# on 2 CPU cores. Flow-labelled pairs from the generated FlyingThings3D-style
# set (`tools/data/synthetic/generate.py --preset full --formats flyingthings`:
# 200 sequences of 320x320, motion up to about 10 px a frame, hence a 13x13
# window) train sup_loss and corr_da_loss; real unlabelled footage (the 108
# clips of `real-unlabelled/` and the 22 training sequences of DAVIS-2016 at
# 240p, never its 7 dev sequences) trains l1_loss and corr_da_loss. A
# half-width encoder (128 output channels): 4x the compute of the quarter-width
# quickstart encoder per step. One epoch: the 1,800 forward pairs of the left
# view, 450 steps of 4 samples. See docs/model_zoo.md for what was tried.
_base_ = ['../quickstart/mixed_train_res18_d1_l2_rec_real_fly.py']

width = 32
crop_size = (64, 64)
radius = 6
max_epochs = 8

model = dict(radius=radius, backbone=dict(base_channels=width))

fly_pipeline = [
    dict(type='PairRandomCrop', size=crop_size),
    dict(type='PairRandomFlip', prob=0.5),
]
real_pipeline = [
    dict(type='PairRandomCrop', size=crop_size),
    dict(type='PairRandomFlip', prob=0.5),
    dict(type='PairGaussianBlur', prob=0.8, sigma=(0.1, 1.0)),
]
# The unlabelled footage, named so that later stages can reuse it.
real_footage = dict(
    type='RealVideoPairs',
    data_root='data/real-unlabelled',
    frame_steps=(1, 2),
    pipeline=real_pipeline,
)
davis_train = dict(
    type='RealVideoPairs',
    data_root='data/DAVIS2016-train-240p',
    split='train',
    frame_steps=(1, 2),
    pipeline=real_pipeline,
)
# The quickstart's small-motion generated pairs: the labelled set of the
# real-data recipe, tried by second stages (./fgvc_r18_real_small.py).
small_pairs = dict(
    type='FlyingThingsPairs',
    data_root='data/synthetic/FlyingThings3D',
    split='TRAIN',
    views=('left',),
    pipeline=fly_pipeline,
)
train_dataloader = dict(
    dataset=dict(
        labelled=dict(
            data_root='data/synthetic_full/FlyingThings3D',
            directions=('forward',),
            pipeline=fly_pipeline,
        ),
        unlabelled=dict(_delete_=True, type='ConcatDataset', datasets=[real_footage, davis_train]),
    )
)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end={{_base_.warmup_iters}}),
    # No `end`: the Runner ends it at train_cfg.max_epochs, so a zoo config
    # with another schedule only sets max_epochs.
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        eta_min_ratio=1e-3,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(max_keep_ckpts=8))
