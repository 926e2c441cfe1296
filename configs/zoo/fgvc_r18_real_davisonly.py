# Model-zoo recipe, second stage of the default model: the first stage
# (./fgvc_r18_real.py, epoch 8: generated pairs plus all the real footage)
# trained 4 more epochs (1,800 steps) as in ./fgvc_r18_real_davis.py, but with
# the DAVIS-2016 training sequences alone as unlabelled pairs (the real-data
# recipe's footage). It scored above the DAVIS-weighted mix on all three dev
# columns; docs/model_zoo.md has the numbers.
_base_ = ['./fgvc_r18_real_davis.py']

train_dataloader = dict(
    dataset=dict(
        unlabelled=dict(
            _delete_=True,
            type='RepeatDataset',
            times={{_base_.davis_repeats}},
            dataset={{_base_.davis_train}},
        ),
    )
)
