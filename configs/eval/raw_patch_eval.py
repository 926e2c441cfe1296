# Parameter-free baseline: normalised raw Lab patches instead of a learnt
# encoder. It measures the propagation alone (no checkpoint needed).
_base_ = ['./res18_d1_eval.py']

model = dict(backbone=dict(_delete_=True, type='RawPatchEncoder', patch_size=3, stride=2))
