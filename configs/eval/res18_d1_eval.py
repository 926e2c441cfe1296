_base_ = ['../_base_/default_runtime.py', '../_base_/models/res18_d1.py']

# Evaluation runs each rank's share of the videos through the bare model.
# mmengine's Runner looks wrappers up in its root registry: name the scope.
model_wrapper_cfg = dict(type='fgvc.EvalModelWrapper')
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'))

tapvid_pipeline = [
    dict(type='ResizeVideo', size=(256, 256)),
    dict(type='SampleTapVidQueries', query_mode='first'),
    dict(type='PackTrackInputs'),
]
tapvid_model = dict(
    type='PointTracker',
    propagation=dict(precede_frames=5, topk=10, neighbor_range=30, temperature=0.07,
                     sigma=6.0, coord_topk=5, bidirectional=False))

# `tools/test.py --task NAME` merges tasks[NAME].model into `model` and uses
# its dataset and evaluator; `--data-root` replaces the dataset's data_root.
tasks = dict(
    davis=dict(
        model=tapvid_model,
        dataset=dict(type='TapVidDataset', data_root='data/TAP-Vid/tapvid_davis/tapvid_davis.pkl',
                     pipeline=tapvid_pipeline),
        evaluator=dict(type='TapVidMetric')),
    kinetics=dict(
        model=tapvid_model,
        dataset=dict(type='TapVidDataset', data_root='data/TAP-Vid/tapvid_kinetics',
                     pipeline=tapvid_pipeline),
        evaluator=dict(type='TapVidMetric')),
)
