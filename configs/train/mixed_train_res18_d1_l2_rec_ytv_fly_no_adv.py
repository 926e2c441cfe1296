# Ablation: no adversarial alignment (corr_da_loss off).
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly.py']
model = dict(loss_weight=dict(corr_da_loss=0.0))
