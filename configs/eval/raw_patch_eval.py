# Parameter-free baseline: normalised raw Lab patches instead of a learnt
# encoder. It measures the propagation alone (no checkpoint needed).
_base_ = ['./res18_d1_eval.py']

model = dict(backbone=dict(_delete_=True, type='RawPatchEncoder', patch_size=3, stride=2))

# Cosines of raw patches crowd near 1, so they need a sharper softmax than
# learnt features.
raw_patch_propagation = dict(model=dict(propagation=dict(temperature=0.01)))
tasks = dict(
    davis=raw_patch_propagation,
    kinetics=raw_patch_propagation,
    jhmdb=raw_patch_propagation,
    badja=raw_patch_propagation,
    vos=raw_patch_propagation,
)
