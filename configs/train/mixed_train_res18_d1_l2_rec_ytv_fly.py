# FGVC's released training recipe, as the authors' code runs it: the config
# of the same name in the release (qianduoduolr/FGVC), with every setting
# where this project's recipe (./mixed_train_res18_d1_l2_rec_ytv_fly_ours.py)
# chose otherwise switched back to the release's. Each override names the
# release file and line it follows (paths in the release repository; "config"
# is configs/train/mixed_train_res18_d1_l2_rec_ytv_fly.py there). The
# ablations (..._no_adv, ..._no_rec, ..._sup_only, ..._gaussian_label) vary
# this recipe, as the paper's ablations vary the released one.
# Launch: bash tools/dist_train.sh configs/train/mixed_train_res18_d1_l2_rec_ytv_fly.py 4
_base_ = ['./mixed_train_res18_d1_l2_rec_ytv_fly_ours.py']

model = dict(
    # mmpt/models/backbones/resnet.py:384,596-601: zero_init_residual=True
    # zeroes each basic block's last BN (conv2.norm) after Kaiming init.
    backbone=dict(zero_init_residual=True),
    # mmpt/models/trackers/mixed_tracker.py:379,410: dropout2d_lab drops a
    # colour channel from the real pair and from the synthetic pair's student
    # input (the teacher reads the clone taken before, :408,417); :149-150
    # draws one channel per call, i.e. per batch of one process.
    drop_branches=('real', 'synthetic'),
    drop_draw='batch',
    # mixed_tracker.py:382,435: the real pair, then the synthetic pair, each
    # in its own backbone call (own SyncBN statistics).
    encoder_passes=(('real',), ('synthetic',)),
    losses=dict(
        sup_loss=dict(
            # mixed_tracker.py:421-422: F.normalize(self_f, dim=2) on the
            # teacher's [B, C, H, W] map normalises over rows, not channels.
            teacher_norm_dim=2,
            loss=dict(
                # mmpt/models/common/occlusion_estimation.py:108-118 with
                # warp.py:23-24,46,81: bound 0.01 * sum(2 * flow + b^2) + 0.5,
                # b warped with mismatched align_corners and masked, strict <.
                fb_check='release',
                # mixed_tracker.py:326,329: occlusion mask and flow taken at
                # [::2, ::2] (each cell's top-left pixel), flow / 2.
                grid_sampling='top_left',
                # mixed_tracker.py:332-335: valid = in window & consistent;
                # a match off the map is kept (its anchor is zero-padded, :342).
                match_on_map=False,
                # mixed_tracker.py:344,449-457 and mmpt/models/losses/losses.py:117-120:
                # zero-padded correlations, softmaxes over all (2R+1)^2.
                off_map='zero',
            ),
        ),
        l1_loss=dict(
            loss=dict(
                # mixed_tracker.py:185-189,399: reference values at [::2, ::2].
                grid_sampling='top_left',
                # mixed_tracker.py:393-400: softmax over the zero-padded window,
                # values zero-padded by F.unfold.
                off_map='zero',
            )
        ),
    ),
)

train_dataloader = dict(
    dataset=dict(
        # mmpt/datasets/flyingthingsplus/flyingthings_ytv_dataset.py:111:
        # the real video of item idx is video idx % number of videos.
        unlabelled_choice='modulo',
        labelled=dict(
            # flyingthings_ytv_dataset.py:75: left view only.
            views=('left',),
            # config:64-66; mmpt/datasets/pipelines/augmentation.py:1555,1579:
            # PIL GaussianBlur with radius U(0.1, 0.2).
            pipeline=[
                dict(type='PairRandomCrop', size={{_base_.crop_size}}),
                dict(type='PairGaussianBlur', prob=0.8, sigma=(0.1, 0.2), backend='pillow'),
            ],
        ),
        unlabelled=dict(
            # flyingthings_ytv_dataset.py:36,115: step 1; mmpt/datasets/
            # video_dataset.py:49 and flyingthings_ytv_dataset.py:69: the first
            # frame in [0, N - 3] (never the last pair), videos of > 2 frames.
            frame_steps=(1, 1),
            last_pair=False,
            pipeline=[
                # config:100: frames read from JPEGImages_s256 (resized offline).
                dict(type='PairResizeShortSide', size=256),
                # config:53-54; augmentation.py:280,326-330: 20 attempts, then
                # the centred square.
                dict(
                    type='PairRandomResizedCrop',
                    size={{_base_.crop_size}},
                    area=(0.6, 1.0),
                    aspect_ratio=(1.5, 2.0),
                    max_attempts=20,
                    fallback='centre_square',
                ),
                dict(type='PairRandomFlip', prob=0.5),
                dict(type='PairGaussianBlur', prob=0.8, sigma=(0.1, 0.2), backend='pillow'),
            ],
        ),
    )
)

# config:135: optimizer_config = {} builds mmcv's OptimizerHook without
# grad_clip.
optim_wrapper = dict(clip_grad=None)
# config:141-148: no `warmup` key, so mmcv applies no warm-up (warmup_iters
# is read only with one); cosine to 1e-3 of the rate, per iteration.
warmup_iters = 0
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end={{_base_.max_epochs}},
        eta_min_ratio=1e-3,
        convert_to_iter_based=True,
    ),
]
