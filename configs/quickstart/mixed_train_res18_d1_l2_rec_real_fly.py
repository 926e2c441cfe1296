# Quickstart real-data recipe: the quickstart's generated flow-labelled pairs
# (sup_loss, corr_da_loss) mixed with real unlabelled video (l1_loss,
# corr_da_loss) instead of the generated YouTube-VOS-style clips. Run it with
# `REAL_DATA=DIR bash tools/quickstart.sh`, DIR holding frames in any layout
# RealVideoPairs reads (for DAVIS with ImageSets/<res>/train.txt only the
# sequences listed there are used). Real frames are cropped at their own scale
# (64x64 of 240p frames): the encoder is evaluated at that scale on real clips.
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']

crop_size = (64, 64)
real_pipeline = [
    dict(type='PairRandomCrop', size=crop_size),
    dict(type='PairRandomFlip', prob=0.5),
    dict(type='PairGaussianBlur', prob=0.8, sigma=(0.1, 1.0)),
]
train_dataloader = dict(
    dataset=dict(
        unlabelled=dict(
            _delete_=True,
            type='RealVideoPairs',
            data_root='data/real',
            split='train',
            frame_steps=(1, 2),
            index_file=None,
            pipeline=real_pipeline,
        )
    )
)

# Schedule chosen on the 7 DAVIS dev sequences (docs/evaluation.md, real clips): 24 epochs
# (2,592 iterations, about 9.5 minutes on 2 cores) beat the quickstart's 3 on
# VOS J&F, BADJA and JHMDB PCK alike.
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end={{_base_.warmup_iters}}),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min_ratio=1e-3,
        convert_to_iter_based=True,
    ),
]
