#!/usr/bin/env bash
# Usage: bash tools/fidelity/measure_protocols.sh CKPT TAPVID JHMDB BADJA OUT
# The effect of each difference between the `standard` and `release` evaluation
# protocols (docs/fidelity.md, evaluation protocols), switched alone over `standard`:
# one tools/test.py (or tools/score.py, for metric-only switches) run per row,
# then a table of the task's headline metric (docs/fidelity.md).
# TAPVID: a TAP-Vid file or folder; JHMDB, BADJA: data roots in their layouts.
set -e
CKPT=$1 TAPVID=$2 JHMDB=$3 BADJA=$4 OUT=$5
CFG=configs/eval/res18_d1_eval.py
run() {  # task root name [test.py args]
    local task=$1 root=$2 name=$3; shift 3
    [ -f "$OUT/$task/$name/${task}_summary.json" ] && return
    python tools/test.py $CFG "$CKPT" --task "$task" --data-root "$root" \
        --work-dir "$OUT/$task/$name" "$@" > "$OUT/$task/$name.log" 2>&1
}
score() {  # task root name [score.py args]: re-scores the standard run's predictions
    local task=$1 root=$2 name=$3; shift 3
    [ -f "$OUT/$task/$name/${task}_summary.json" ] && return
    python tools/score.py "$task" "$OUT/$task/dump" --data-root "$root" \
        --work-dir "$OUT/$task/$name" "$@" > "$OUT/$task/$name.log" 2>&1
}
mkdir -p "$OUT/davis" "$OUT/jhmdb" "$OUT/badja"
P=model.propagation
# TAP-Vid
run davis "$TAPVID" standard --dump "$OUT/davis/dump"
run davis "$TAPVID" release --protocol release
run davis "$TAPVID" backend --cfg-options model.data_preprocessor.backend=cv2
run davis "$TAPVID" seed_in_window --cfg-options $P.seed_in_window=True
run davis "$TAPVID" label_grid --cfg-options $P.label_grid=pixel_index
run davis "$TAPVID" position_offset --cfg-options $P.position_offset=0.0
run davis "$TAPVID" grid_and_offset --cfg-options $P.label_grid=pixel_index $P.position_offset=0.0
run davis "$TAPVID" empty_position --cfg-options $P.empty_position=-1.0
run davis "$TAPVID" occluded_everywhere --cfg-options model.occluded_everywhere=True
score davis "$TAPVID" score_before_query --cfg-options test_evaluator.score_before_query=True
score davis "$TAPVID" track_then_video --cfg-options test_evaluator.averaging=track_then_video
# JHMDB
run jhmdb "$JHMDB" standard --dump "$OUT/jhmdb/dump"
run jhmdb "$JHMDB" release --protocol release
run jhmdb "$JHMDB" input_320x320 --cfg-options "model.data_preprocessor.input_size=(320,320)"
run jhmdb "$JHMDB" backend --cfg-options model.data_preprocessor.backend=cv2
run jhmdb "$JHMDB" precede_5 --cfg-options $P.precede_frames=5
run jhmdb "$JHMDB" range_30 --cfg-options $P.matcher.neighbor_range=30
run jhmdb "$JHMDB" sigma_4 --cfg-options $P.sigma=4.0
run jhmdb "$JHMDB" seed_in_window --cfg-options $P.seed_in_window=True
run jhmdb "$JHMDB" index_coordinates --cfg-options test_dataloader.dataset.coordinates=pixel_index $P.position_offset=0.0
run jhmdb "$JHMDB" release_label_drawing --cfg-options test_dataloader.dataset.coordinates=pixel_index $P.position_offset=0.0 $P.label_grid=cell_centre_index $P.label_snap=pixel
run jhmdb "$JHMDB" score_frame_0 --cfg-options test_evaluator.score_query_frame=True $P.query_frame_position=gaussian
score jhmdb "$JHMDB" inclusive_threshold --cfg-options test_evaluator.inclusive_threshold=True
score jhmdb "$JHMDB" pred_x_positive --cfg-options test_evaluator.pred_x_positive_only=True
# BADJA
run badja "$BADJA" standard --dump "$OUT/badja/dump"
run badja "$BADJA" release --protocol release
run badja "$BADJA" size_320x512 --cfg-options "test_dataloader.dataset.size=(320,512)" model.data_preprocessor.input_size=None
run badja "$BADJA" annotated_clip --cfg-options test_dataloader.dataset.clip=annotated
run badja "$BADJA" backend --cfg-options model.data_preprocessor.backend=cv2
run badja "$BADJA" precede_5 --cfg-options $P.precede_frames=5
run badja "$BADJA" seed_in_window --cfg-options $P.seed_in_window=True
run badja "$BADJA" index_coordinates --cfg-options test_dataloader.dataset.coordinates=pixel_index $P.position_offset=0.0
run badja "$BADJA" sigma_6 --cfg-options $P.sigma=6.0
run badja "$BADJA" release_label_drawing --cfg-options test_dataloader.dataset.coordinates=pixel_index $P.position_offset=0.0 $P.label_grid=pixel_index $P.label_snap=cell
run badja "$BADJA" seed_first_frame --cfg-options test_dataloader.dataset.pipeline.0.seed=first_frame
run badja "$BADJA" score_frame_0 --cfg-options test_evaluator.score_query_frame=True $P.query_frame_position=seed
score badja "$BADJA" thresholds --cfg-options "test_evaluator.thresholds=(0.1,0.2,0.3,0.4)"
python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
key = {'davis': 'average_pts_within_thresh', 'jhmdb': 'PCK@0.1', 'badja': 'PCK@0.2'}
for task, metric in key.items():
    runs = sorted(p.parent for p in out.glob(f'{task}/*/{task}_summary.json'))
    base = json.loads((out / task / 'standard' / f'{task}_summary.json').read_text())[metric]
    print(f'\n{task} ({metric}, standard = {100 * base:.2f})')
    for run in runs:
        value = json.loads((run / f'{task}_summary.json').read_text())[metric]
        print(f'| {run.name} | {100 * value:.2f} | {100 * (value - base):+.2f} |')
PY
