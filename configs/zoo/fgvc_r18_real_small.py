# Model-zoo recipe, second stage, variant: ./fgvc_r18_real_davis.py (the
# first stage's weights, DAVIS weighted up among the real footage, 4 epochs)
# with the flow-labelled pairs of the real-data quickstart recipe instead of
# the full generated set: 128x128 frames whose motion stays within a few
# pixels a frame (`tools/data/synthetic/generate.py --preset quickstart`,
# 432 pairs, repeated `small_repeats` times per epoch). The DAVIS-only
# real-data recipe, trained on these pairs, leads on JHMDB; this asks
# whether the small motions are why. See docs/model_zoo.md.
_base_ = ['./fgvc_r18_real_davis.py']

small_repeats = 4

train_dataloader = dict(
    dataset=dict(
        labelled=dict(
            _delete_=True,
            type='RepeatDataset',
            times=small_repeats,
            dataset={{_base_.small_pairs}},
        ),
    )
)
