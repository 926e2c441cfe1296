# Model-zoo recipe, third stage: the second stage (./fgvc_r18_real_davis.py,
# epoch 4) trained 2 more epochs (900 steps) on the same data at a tenth of
# the learning rate. In both earlier stages JHMDB PCK rose as the cosine
# schedule approached its end (first stage: 37.78 at epoch 4, 39.66 at 8;
# second: 36.92 at epoch 2, 38.12 at 4), so this stage measures whether more
# low-rate steps keep gaining. See docs/model_zoo.md for what it scored.
_base_ = ['./fgvc_r18_real_davis.py']

second_stage = 'work_dirs/zoo/fgvc_r18_real_davis/train/epoch_4.pth'
max_epochs = 2
lr = 1e-4
load_from = second_stage

optim_wrapper = dict(optimizer=dict(lr=lr))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
