"""Model configs shared by the tests."""

#: The narrow stride-2 ResNet-18 the tracker tests build (8 base channels).
TINY_BACKBONE = dict(
    type='ResNet',
    depth=18,
    base_channels=8,
    pool_type='none',
    strides=(1, 1, 1, 4),
    out_indices=(2,),
)
