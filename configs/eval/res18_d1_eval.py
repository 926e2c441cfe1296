_base_ = ['../_base_/default_runtime.py', '../_base_/models/res18_d1.py']

# Evaluation runs each rank's share of the videos through the bare model.
# mmengine's Runner looks wrappers up in its root registry: name the scope.
model_wrapper_cfg = dict(type='fgvc.EvalModelWrapper')
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=False,
    # DefaultSampler that also takes the empty dataset of a finished resumed run
    sampler=dict(type='EvalSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
)

# How the local matcher runs; it changes no result, only time and memory. The
# fastest measured on 2 cores of an AMD EPYC (docs/performance.md): 8x8 tiles
# (each meets 1.8 times the cells of its 30-cell disc, 16x16 tiles 2.7 times)
# and products of at most 2**23 affinities (32 MiB; longer runs of tiles than
# 8 MiB: 137 instead of 151 ms per frame with 20 memory frames).
local_matcher_speed = dict(tile=8, product_floats=2**23)

tapvid_pipeline = [
    dict(type='ResizeVideo', size=(256, 256)),
    dict(type='SampleTapVidQueries', query_mode='first'),
    dict(type='PackTrackInputs'),
]
# The memory policy of TAP-Vid 'strided' queries, chosen by accuracy and cost
# (docs/keyframe_memory.md): within 0.71 points of exact propagation on every
# check of tools/memory_accuracy.py, at 2.64x the all-in-frame-0 time.
strided_memory = dict(type='KeyframeMemory', horizon=10, interval=5)
tapvid_model = dict(
    type='PointTracker',
    propagation=dict(
        precede_frames=5,
        topk=10,
        matcher=dict(type='LocalMatcher', neighbor_range=30, **local_matcher_speed),
        temperature=0.07,
        sigma=6.0,
        coord_topk=5,
        bidirectional=False,
    ),
    # a point is predicted occluded where its propagated label keeps less than
    # this fraction of its query-frame peak; None predicts no occlusion at all
    occlusion_threshold=0.5,
    # 'strided' queries (a query frame every 5 frames): each query frame is
    # replaced in its points' memory by a shared keyframe once they are
    # `horizon` frames past it, so the work no longer grows with the number of
    # query frames (docs/keyframe_memory.md); 'first' queries stay exact.
    strided_memory=strided_memory,
)

# Keypoints (JHMDB, BADJA): each joint is queried at its first visible frame
# and propagated forward; PCK is computed in the frames' own raster.
keypoint_pipeline = [
    dict(type='SampleKeypointQueries'),
    dict(
        type='PackTrackInputs',
        data_keys=('query_points', 'target_points', 'occluded', 'joint_ids', 'mask_areas'),
    ),
]
jhmdb_model = dict(
    type='PointTracker',
    data_preprocessor=dict(input_size=(240, 320)),
    propagation=dict(
        precede_frames=20,
        topk=10,
        matcher=dict(type='LocalMatcher', neighbor_range=24, **local_matcher_speed),
        temperature=0.07,
        sigma=6.0,
        coord_topk=5,
        bidirectional=False,
    ),
    occlusion_threshold=None,
)
badja_model = dict(
    type='PointTracker',
    data_preprocessor=dict(input_size=(480, 854)),
    propagation=dict(
        precede_frames=20,
        topk=10,
        matcher=dict(type='LocalMatcher', neighbor_range=30, **local_matcher_speed),
        temperature=0.07,
        sigma=12.0,
        coord_topk=5,
        bidirectional=False,
    ),
    occlusion_threshold=None,
)
# BADJA joints used (of 37).
badja_joints = (8, 9, 10, 12, 13, 14, 15, 18, 19, 20, 22, 23, 24, 25, 28, 31, 32, 33, 35, 36)

# Semi-supervised VOS: first-frame masks propagated as one-hot label maps.
vos_pipeline = [
    dict(type='PackTrackInputs', data_keys=('first_mask', 'num_objects', 'gt_masks')),
]
vos_model = dict(
    type='MaskTracker',
    data_preprocessor=dict(input_size=(480, 854)),
    propagation=dict(
        precede_frames=20,
        topk=10,
        temperature=0.07,
        matcher=dict(type='LocalMatcher', neighbor_range=30, **local_matcher_speed),
    ),
)

# Protocol switches (docs/protocols.md): this project's
# settings, the protocol named 'standard'. Override e.g. with
# --cfg-options test_evaluator.averaging=track
tapvid_evaluator = dict(type='TapVidMetric', averaging='video')
jhmdb_evaluator = dict(
    type='JhmdbPCKMetric',
    thresholds=(0.1, 0.2, 0.3, 0.4, 0.5),
    box_scale=0.6,
    average='joint',
    score_query_frame=False,
)
badja_evaluator = dict(
    type='BadjaPCKMetric', thresholds=(0.2,), average='all', score_query_frame=False
)

# The authors' release (github qianduoduolr/FGVC, commit 2b6bcf0), switch by
# switch over the settings above: `--protocol release`. Each key is one
# difference and can be applied alone with --cfg-options KEY=VALUE (docs/fidelity.md
# has the table with the release file of each).
# TAP-Vid: configs/eval/res18_d1_eval.py test_cfg_davis, base_data.py,
# vanilla_tracker.py, tapvid.py, flyingthingsplus/utils/figures.py.
release_input = {'model.data_preprocessor.backend': 'cv2'}
release_propagation = {
    'model.propagation.seed_in_window': True,
    'model.propagation.position_offset': 0.0,
    'model.propagation.empty_position': -1.0,
}
tapvid_release = {
    **release_input,
    **release_propagation,
    'model.propagation.label_grid': 'pixel_index',
    'model.propagation.query_frame_position': 'gaussian',
    'model.occlusion_threshold': None,
    'model.occluded_everywhere': True,
    'model.strided_memory': None,
    'test_evaluator.averaging': 'track_then_video',
    'test_evaluator.score_before_query': True,
}
# JHMDB and BADJA: the release's own test path does not run as shipped; its
# configs (base_data.py, test_cfg_jhmdb / test_cfg_badja) and dataset
# classes (jhmdb_dataset.py, badja_dataset.py) are the record used here.
release_keypoints = {
    **release_input,
    **release_propagation,
    'model.propagation.precede_frames': 5,
    'model.propagation.matcher.neighbor_range': 30,
    'test_dataloader.dataset.coordinates': 'pixel_index',
    'test_dataloader.dataset.pipeline.0.seed': 'first_frame',
    'test_evaluator.score_query_frame': True,
}
jhmdb_release = {
    **release_keypoints,
    'model.data_preprocessor.input_size': (320, 320),
    'model.propagation.sigma': 4.0,
    'model.propagation.label_grid': 'cell_centre_index',
    'model.propagation.label_snap': 'pixel',
    'model.propagation.query_frame_position': 'gaussian',
    'test_evaluator.inclusive_threshold': True,
    'test_evaluator.pred_x_positive_only': True,
}
badja_release = {
    **release_keypoints,
    'model.data_preprocessor.input_size': None,
    'test_dataloader.dataset.size': (320, 512),
    'test_dataloader.dataset.clip': 'annotated',
    'test_dataloader.dataset.skip_extra_videos': True,
    'model.propagation.sigma': 6.0,
    'model.propagation.label_grid': 'pixel_index',
    'model.propagation.label_snap': 'cell',
    'model.propagation.query_frame_position': 'seed',
    'test_evaluator.thresholds': (0.1, 0.2, 0.3, 0.4),
}

# `tools/test.py --task NAME` merges tasks[NAME].model into `model` and uses
# its dataset and evaluator; `--data-root` replaces the dataset's data_root.
# `protocols` names option sets applied over them (`--protocol NAME`; the
# task's own settings are 'standard'); `protocol` picks the one used when
# none is named.
tasks = dict(
    davis=dict(
        model=tapvid_model,
        dataset=dict(
            type='TapVidDataset',
            data_root='data/TAP-Vid/tapvid_davis/tapvid_davis.pkl',
            pipeline=tapvid_pipeline,
        ),
        evaluator=tapvid_evaluator,
        protocols=dict(release=tapvid_release),
        protocol='standard',
    ),
    kinetics=dict(
        model=tapvid_model,
        dataset=dict(
            type='TapVidDataset', data_root='data/TAP-Vid/tapvid_kinetics', pipeline=tapvid_pipeline
        ),
        evaluator=tapvid_evaluator,
        protocols=dict(release=tapvid_release),
        protocol='standard',
    ),
    jhmdb=dict(
        model=jhmdb_model,
        dataset=dict(
            type='JhmdbDataset',
            data_root='data/JHMDB',
            list_file='val_list.txt',
            visibility='all',
            pipeline=keypoint_pipeline,
        ),
        evaluator=jhmdb_evaluator,
        protocols=dict(release=jhmdb_release),
        protocol='standard',
    ),
    badja=dict(
        model=badja_model,
        # davis_root: relative to data_root; the official BADJA release keeps
        # DAVIS inside BADJA ('DAVIS'), the sample data beside it.
        dataset=dict(
            type='BadjaDataset',
            data_root='data/BADJA',
            davis_root='../DAVIS2016',
            resolutions=('Full-Resolution', '480p'),
            full_resolution=(1920, 1080),
            joints=badja_joints,
            pipeline=keypoint_pipeline,
        ),
        evaluator=badja_evaluator,
        protocols=dict(release=badja_release),
        protocol='standard',
    ),
    vos=dict(
        model=vos_model,
        dataset=dict(
            type='DavisVOSDataset',
            data_root='data/DAVIS',
            split='val',
            resolution='480p',
            pipeline=vos_pipeline,
        ),
        evaluator=dict(type='DavisVOSMetric', bound_th=0.008),
    ),
)

# Test-time adaptation (`--adapt STEPS` of tools/demo.py and tools/test.py,
# Predictor(adapt_steps=...)): a copy of the encoder is fine-tuned on the
# tracked video's own frames with the training loss parts: reconstruction
# between frames `frame_gaps` apart (l1_loss), soft labels on crops warped by
# random homographies moving the corners up to `max_warp` px (sup_loss, exact
# flow) and the alignment of the two (corr_da_loss). Crops are taken from the
# frames at the tracking resolution; `radius` is in feature cells.
# `bn_stats`: 'batch' normalises with the crops' batch statistics and updates
# the running ones, 'frozen' keeps the encoder's; `trainable`: None adapts
# every parameter, a tuple of name prefixes (e.g. ('layer3.',)) only those;
# `anchor`: dict(weight, temperature) of the KL divergence keeping the
# window affinities near the unadapted encoder's (weight 0: none);
# `annotation`: a video tracked from a first-frame mask (VOS) is adapted to
# that mask instead (None: like any other video): the mask propagated from
# frame 0 to random homography warps of it (corners moved up to `max_warp`
# px, gain and offset jittered by up to `jitter`) through window affinities
# of `radius` cells must match the warped mask; Adam at its own `lr`.
# `points`: a video tracked from query points is adapted to the points' own
# tracks instead (None: like any other video): the unadapted encoder follows
# discs of `disc_radius` px around the queries frame to frame, then discs of
# frames `frame_gaps` apart, propagated one to the other through window
# affinities of `radius` cells, must match; `anchor` weighs the KL divergence
# from the unadapted affinities, and `query_warps` (weight 0: off) adds the
# query frame's discs learnt on its warps as a mask is; Adam at its own `lr`.
# `default_steps`: the steps a Predictor (and tools/demo.py) without an
# explicit count adapts a video for, by kind: a mask video gains 16.6 J&F on
# the DAVIS dev clips with 40, points gain nothing that holds (0). Evaluation
# tools (tools/test.py, tools/eval_real.py) adapt only with --adapt.
# Measured on the dev clips: docs/model_zoo.md.
adaptation = dict(
    default_steps=dict(masks=40, points=0),
    radius=5,
    crop_size=(64, 64),
    batch_size=2,
    lr=1e-4,
    frame_gaps=(1, 3),
    max_warp=6.0,
    warp='homography',
    drop_channels=(1, 2),
    bn_stats='frozen',
    trainable=None,
    anchor=dict(weight=10.0, temperature=0.07),
    annotation=dict(lr=3e-4, radius=8, temperature=0.07, max_warp=16.0, jitter=0.2, batch_size=2),
    points=dict(
        lr=3e-4,
        radius=8,
        temperature=0.07,
        disc_radius=3.0,
        batch_size=2,
        frame_gaps=(1, 3),
        anchor=0.1,
        query_warps=dict(weight=0.0, max_warp=16.0, jitter=0.2),
    ),
    losses=dict(
        sup_loss=dict(
            type='FlowSupervision',
            weight=1.0,
            loss=dict(type='FlowSoftLabelLoss', temperature=0.07, label='bilateral', sigma=1.0),
            teacher=None,
        ),
        l1_loss=dict(
            type='ColourReconstruction',
            weight=1.0,
            loss=dict(type='ReconstructionLoss', value_scale=20.0),
        ),
        corr_da_loss=dict(
            type='CorrelationAlignment',
            weight=0.05,
            head=dict(type='DomainDiscriminator', hidden_channels=(60, 30), grl_alpha=1.0),
        ),
    ),
)
