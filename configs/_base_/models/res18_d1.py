# The FGVC encoder: ResNet-18 without max-pool, stage strides (1, 1, 1, 4) and
# the output of stage 3: stride-2 features with 256 channels, on Lab input.
model = dict(
    type='PointTracker',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        color_space='lab',
        mean=(50.0, 0.0, 0.0),
        std=(50.0, 127.0, 127.0),
    ),
    backbone=dict(
        type='ResNet',
        depth=18,
        pool_type='none',
        strides=(1, 1, 1, 4),
        dilations=(1, 1, 1, 1),
        out_indices=(2,),
        norm_eval=False,
    ),
    frames_per_batch=8,
)
