# The default's second stage (./fgvc_r18_real_davisonly.py) started from the
# shipped first-stage encoder (fgvc/weights/fgvc_r18_real.safetensors, the
# zoo's `fgvc_r18_real`) instead of the first stage's full checkpoint, so it
# runs from a clone without the first stage's three hours; the domain
# discriminator of corr_da_loss starts afresh. The zoo's other second stages
# build on it, and with `--cfg-options randomness.seed=S` it is the seed run
# of docs/model_zoo.md.
_base_ = ['./fgvc_r18_real_davisonly.py']

first_stage_encoder = 'fgvc/weights/fgvc_r18_real.safetensors'

load_from = None
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=first_stage_encoder)))
