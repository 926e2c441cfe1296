# Model-zoo recipe, second stage of `fgvc_r18_real_davisonly_small`:
# ./fgvc_r18_real_davisonly.py (DAVIS train alone as unlabelled pairs) with
# ./fgvc_r18_real_small.py's labelled pairs (the quickstart's small-motion
# generated set), the two data choices of the real-data recipe that scored
# highest on JHMDB. It starts from the shipped first-stage encoder
# (./fgvc_r18_real_davisonly_from_shipped.py). See docs/model_zoo.md.
_base_ = ['./fgvc_r18_real_davisonly_from_shipped.py']

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
