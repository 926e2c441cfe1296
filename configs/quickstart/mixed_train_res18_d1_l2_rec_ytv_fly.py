# Quickstart: this project's training recipe (../train/..._ours.py; the
# release's choices at this scale: ./release_recipe_ytv_fly.py) shrunk to
# train on 2 CPU cores in minutes, on the data of
# `tools/data/synthetic/generate.py --preset quickstart`
# (128x128 frames): a quarter-width encoder trained on 64x64 crops (same scale
# as the 128x128 evaluation frames), an 11x11 window (motion in these videos
# stays within a few pixels per frame), no teacher (the student's detached
# features, times a Gaussian, give the soft labels), no SyncBN. From a random
# initialisation the reversed gradient of the correlation discriminator is
# about 20x that of sup_loss (gradient norms ~100 vs ~5) and undoes its
# learning, so corr_da_loss is weighted down. Evaluation is left to
# tools/test.py (see tools/quickstart.sh).
_base_ = ['../train/mixed_train_res18_d1_l2_rec_ytv_fly_ours.py']

radius = 5
crop_size = (64, 64)
data_root = 'data/synthetic'

model = dict(
    radius=radius,
    backbone=dict(base_channels=16),
    losses=dict(
        sup_loss=dict(loss=dict(label='bilateral', sigma=1.0), teacher=None),
        corr_da_loss=dict(weight=0.05, head=dict(hidden_channels=(60, 30))),
        da_loss=dict(head=dict(hidden_channels=(32, 16))),
    ),
)
sync_bn = None

fly_pipeline = [
    dict(type='PairRandomCrop', size=crop_size),
    dict(type='PairRandomFlip', prob=0.5),
]
ytv_pipeline = [
    dict(type='PairRandomCrop', size=crop_size),
    dict(type='PairRandomFlip', prob=0.5),
    dict(type='PairGaussianBlur', prob=0.8, sigma=(0.1, 1.0)),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    dataset=dict(
        labelled=dict(
            data_root=f'{data_root}/FlyingThings3D', views=('left',), pipeline=fly_pipeline
        ),
        unlabelled=dict(data_root=f'{data_root}/YouTube-VOS/train', pipeline=ytv_pipeline),
    ),
)
val_dataloader = None
val_evaluator = None
val_cfg = None

max_epochs = 3
warmup_iters = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min_ratio=1e-3,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1, save_best=None))
log_processor = dict(window_size=10)
