# Model-zoo recipe, second stage of `fgvc_r18_real_davisonly_small`:
# ./fgvc_r18_real_davisonly.py (DAVIS train alone as unlabelled pairs) with
# ./fgvc_r18_real_small.py's labelled pairs (the quickstart's small-motion
# generated set), the two data choices of the real-data recipe that scored
# highest on JHMDB. It starts from the shipped first-stage encoder
# (fgvc/weights/fgvc_r18_real.safetensors, the zoo's `fgvc_r18_real`), so it
# runs from a clone without the first stage's three hours; the domain
# discriminator of corr_da_loss starts afresh. See docs/model_zoo.md.
_base_ = ['./fgvc_r18_real_davisonly.py']

small_repeats = 4
first_stage_encoder = 'fgvc/weights/fgvc_r18_real.safetensors'

load_from = None
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=first_stage_encoder)))
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
