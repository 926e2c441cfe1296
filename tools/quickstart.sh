#!/usr/bin/env bash
# Usage: [CONFIG=CONFIG] [REAL_DATA=DIR] bash tools/quickstart.sh
# The Quickstart main job, on CPU and generated data (no download needed):
# 1. generate the `quickstart` synthetic datasets into data/synthetic (once);
# 2. train the quickstart config: FlyingThings3D-style pairs with optical
#    flow (sup_loss) mixed with YouTube-VOS-style videos (Lab reconstruction
#    and correlation alignment), a few minutes on 2 cores;
# 3. evaluate TAP-Vid point tracking on the held-out generated TAP-Vid videos
#    with the trained encoder and with the same encoder untrained, and print
#    both. CONFIG picks another quickstart config (e.g. the `_no_syn` ablation).
# REAL_DATA=DIR trains the real-data recipe instead: the generated flow-labelled
# pairs mixed with real unlabelled frames from DIR (any layout RealVideoPairs
# reads; a DAVIS ImageSets/<res>/train.txt restricts it to those sequences).
set -e
# shellcheck disable=SC1091
. "$(dirname "$0")/setup_env.sh"
cd "$FGVC_ROOT"
DATA=${DATA:-data/synthetic}
REAL_DATA=${REAL_DATA:-}
if [ -n "$REAL_DATA" ]; then
    CONFIG=${CONFIG:-configs/quickstart/mixed_train_res18_d1_l2_rec_real_fly.py}
else
    CONFIG=${CONFIG:-configs/quickstart/mixed_train_res18_d1_l2_rec_ytv_fly.py}
fi
WORK=${WORK:-work_dirs/quickstart/$(basename "$CONFIG" .py)}
if [ -n "$REAL_DATA" ]; then
    # the frame index is built once and cached beside the work dir
    UNLABELLED=(train_dataloader.dataset.unlabelled.data_root="$REAL_DATA"
                train_dataloader.dataset.unlabelled.index_file="$WORK/frame_index.json")
else
    UNLABELLED=(train_dataloader.dataset.unlabelled.data_root="$DATA/YouTube-VOS/train")
fi
TAPVID="$DATA/TAP-Vid/tapvid_davis/tapvid_davis.pkl"

if [ ! -f "$TAPVID" ] || [ ! -d "$DATA/FlyingThings3D" ] || [ ! -d "$DATA/YouTube-VOS" ]; then
    python tools/data/synthetic/generate.py --out "$DATA" --preset quickstart
fi

start=$(date +%s)
python tools/train.py "$CONFIG" --work-dir "$WORK/train" --cfg-options \
    train_dataloader.dataset.labelled.data_root="$DATA/FlyingThings3D" "${UNLABELLED[@]}"
train_seconds=$(( $(date +%s) - start ))

# Evaluate on 128x128 frames, tracking forward from each query frame ('first'
# queries): the trained encoder from its work dir (test.py reads the encoder's
# width from the checkpoint), and an untrained encoder of the same width.
WIDTH=$(python -c "from mmengine import Config; print(Config.fromfile('$CONFIG').model.backbone.base_channels)")
EVAL_OPTIONS=(model.data_preprocessor.input_size="(128,128)" model.propagation.bidirectional=False)
python tools/test.py configs/eval/res18_d1_eval.py "$WORK/train" --task davis \
    --data-root "$TAPVID" --work-dir "$WORK/eval_trained" --cfg-options "${EVAL_OPTIONS[@]}"
python tools/test.py configs/eval/res18_d1_eval.py none --task davis \
    --data-root "$TAPVID" --work-dir "$WORK/eval_untrained" \
    --cfg-options "${EVAL_OPTIONS[@]}" model.backbone.base_channels="$WIDTH"

python - "$WORK" "$train_seconds" <<'PY'
import json, sys
work, seconds = sys.argv[1], int(sys.argv[2])
key = 'average_pts_within_thresh'
scores = {name: 100 * json.load(open(f'{work}/eval_{name}/davis_summary.json'))[key]
          for name in ('untrained', 'trained')}
print(f'Quickstart TAP-Vid (held-out generated videos), <delta^x_avg:')
print(f'  untrained encoder: {scores["untrained"]:6.2f}')
print(f'  trained encoder:   {scores["trained"]:6.2f}  '
      f'({scores["trained"] - scores["untrained"]:+.2f} points, trained in {seconds} s)')
PY
