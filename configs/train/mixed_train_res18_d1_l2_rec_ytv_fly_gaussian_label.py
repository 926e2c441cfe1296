# Ablation: a plain Gaussian around the flow as soft label (no teacher).
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']
model = dict(losses=dict(sup_loss=dict(loss=dict(label='gaussian'), teacher=None)))
