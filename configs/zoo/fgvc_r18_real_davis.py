# Model-zoo recipe, a second stage (tried; the default uses
# ./fgvc_r18_real_davisonly.py): the first-stage half-width model
# (./fgvc_r18_real.py, epoch 8) trained on for 4 more epochs (1,800 steps)
# with the DAVIS-2016 training sequences weighted up among the real footage.
# The first stage draws its unlabelled pairs uniformly from the 108
# real-unlabelled clips and the 22 DAVIS training sequences (about a quarter
# DAVIS); the DAVIS-only real-data recipe scored higher on DAVIS and JHMDB,
# the broad footage higher on BADJA, so this stage repeats the DAVIS
# sequences `davis_repeats` times (about half DAVIS) and restarts the cosine
# schedule from the first stage's weights (all of the model: encoder,
# discriminators). See docs/model_zoo.md for what it scored.
_base_ = ['./fgvc_r18_real.py']

first_stage = 'work_dirs/zoo/fgvc_r18_real/train/epoch_8.pth'
max_epochs = 4
davis_repeats = 4
load_from = first_stage

train_dataloader = dict(
    dataset=dict(
        unlabelled=dict(
            datasets=[
                {{_base_.real_footage}},
                dict(type='RepeatDataset', times=davis_repeats, dataset={{_base_.davis_train}}),
            ],
        ),
    )
)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=4))
