# Ablation: no frame reconstruction on real video (l1_loss off).
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']
model = dict(losses=dict(l1_loss=dict(weight=0.0)))
