# Ablation: no adversarial alignment (corr_da_loss off).
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']
model = dict(losses=dict(corr_da_loss=dict(weight=0.0)))
