# The release-choices twin of the real-data recipe (./release_recipe_real_fly.py)
# with a frozen teacher, as the release trains: sup_loss's label reads the
# teacher's features, and the teacher's map is normalised as the release does
# it, over rows (dim 2 of [B, C, H, W], mixed_tracker.py:421-422). The teacher
# is the shipped zoo encoder (fgvc/weights/, half width, same stride as the
# student), so the config runs from a clone. Its channels twin (our choice):
#   --cfg-options model.losses.sup_loss.teacher_norm_dim=1
# docs/fidelity.md reports the two on the dev clips (teacher normalisation row).
_base_ = ['./release_recipe_real_fly.py']

teacher_checkpoint = 'fgvc/weights/fgvc_r18_real.safetensors'
model = dict(
    losses=dict(
        sup_loss=dict(
            teacher_norm_dim=2,
            # The release's label: a softmax of the teacher's affinities.
            loss=dict(label='teacher'),
            teacher=dict(
                _delete_=True,
                type='ResNet',
                depth=18,
                base_channels=32,
                pool_type='none',
                strides=(1, 1, 1, 4),
                dilations=(1, 1, 1, 1),
                out_indices=(2,),
                init_cfg=dict(type='Pretrained', checkpoint=teacher_checkpoint),
            ),
        ),
    ),
)
