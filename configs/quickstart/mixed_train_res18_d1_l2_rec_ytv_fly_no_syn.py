# Quickstart ablation: no synthetic branch (no sup_loss, no corr_da_loss):
# the encoder learns from Lab reconstruction of the unlabelled videos only.
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']
model = dict(losses=dict(sup_loss=dict(weight=0.0), corr_da_loss=dict(weight=0.0)))
