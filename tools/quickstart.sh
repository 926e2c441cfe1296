#!/usr/bin/env bash
# The Quickstart main job on generated data (no download needed):
# 1. generate the `quickstart` synthetic datasets into data/synthetic (once);
# 2. evaluate TAP-Vid point tracking on the generated DAVIS-format pickle with
#    the parameter-free raw-patch feature and with an untrained ResNet-18.
set -e
# shellcheck disable=SC1091
. "$(dirname "$0")/setup_env.sh"
cd "$FGVC_ROOT"
DATA=${DATA:-data/synthetic}
WORK=${WORK:-work_dirs/quickstart}
TAPVID="$DATA/TAP-Vid/tapvid_davis/tapvid_davis.pkl"

[ -f "$TAPVID" ] || python tools/data/synthetic/generate.py --out "$DATA" --preset quickstart

python tools/test.py configs/eval/raw_patch_eval.py none --task davis \
    --data-root "$TAPVID" --work-dir "$WORK/raw_patch"
python tools/test.py configs/eval/res18_d1_eval.py none --task davis \
    --data-root "$TAPVID" --work-dir "$WORK/untrained_res18" \
    --cfg-options model.data_preprocessor.input_size="(128,128)"
