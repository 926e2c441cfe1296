# Ablation: synthetic supervision only (no reconstruction, no alignment).
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']
model = dict(losses=dict(l1_loss=dict(weight=0.0), corr_da_loss=dict(weight=0.0)))
