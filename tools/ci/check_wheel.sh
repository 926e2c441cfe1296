#!/usr/bin/env bash
# Usage: bash tools/ci/check_wheel.sh
# The package works where it is installed: builds the wheel from the clone's
# files (tracked and untracked, not ignored), installs it into a fresh virtual
# environment in a temporary folder outside the clone, and there checks
# `Predictor()` from Python (its config and the zoo's manifest read from the
# installed package), the console commands and the version, then runs
# `fgvc-demo` on a generated clip (exit 0; tracks.npz, tracks.csv and
# tracks.mp4 checked). FGVC_TORCH picks the torch requirement (default
# torch==2.13.0, as in tools/setup_env.sh). About 3 minutes on 2 loaded
# cores, most of it installing torch and the dependencies.
set -euo pipefail
# Nothing from the caller's environment may make fgvc importable: with the
# clone on PYTHONPATH (tools/setup_env.sh puts it there) pip would take the
# editable install's fgvc.egg-info as "already installed" and skip the wheel.
unset PYTHONPATH PYTHONHOME
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON=${PYTHON:-python3}
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fgvc-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
start=$SECONDS
stage() { echo "== $1 (at $((SECONDS - start)) s)"; }
# pip, quiet but for its errors (this machine's pip config names local indexes
# that lack most projects, and pip warns about each)
pip_quiet() {
    { "$@" 2>&1 1>&3 | { grep -v "^WARNING: Location '.*' is ignored" >&2 || true; }; } 3>&1
}

stage "build the wheel from a copy of the clone's files"
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
pip_quiet "$PYTHON" -m pip wheel -q --no-deps --wheel-dir "$WORK/dist" "$WORK/src"
wheel=("$WORK"/dist/fgvc-*.whl)
echo "built $(basename "${wheel[0]}")"

stage "install it into a fresh virtual environment"
"$PYTHON" -m venv "$WORK/venv"
pip_quiet "$WORK/venv/bin/python" -m pip install -q --no-compile \
    "${FGVC_TORCH:-torch==2.13.0}" "${wheel[0]}"

cd "$WORK"  # outside the clone: only the installed package can be imported
export PATH="$WORK/venv/bin:$PATH" OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

stage "Predictor(), version and console commands from Python"
python - <<'PY'
import importlib.metadata
import os
import shutil
import sys

import numpy as np

import fgvc
from fgvc.apis import Predictor
from fgvc.visualization import write_mp4

package = os.path.dirname(fgvc.__file__)
assert package.startswith(sys.prefix), f'fgvc imported from {package}, not the environment'
assert fgvc.__version__ == importlib.metadata.version('fgvc'), fgvc.__version__

from fgvc.models.zoo import zoo_location

manifest = zoo_location() / 'zoo.json'
assert manifest.is_file() and str(manifest).startswith(package), manifest
predictor = Predictor(device='cpu', warn_untrained=False)  # the zoo's default weights
assert predictor.config.filename.startswith(package), predictor.config.filename
frames = np.random.default_rng(0).integers(0, 255, (4, 48, 64, 3), dtype=np.uint8)
tracks, visibility = predictor(frames, np.array([[0, 20.5, 20.5], [0, 40.5, 30.5]]))
assert tracks.shape == (4, 2, 2) and visibility.shape == (4, 2), (tracks.shape, visibility.shape)
print(f'Predictor(): ok (fgvc {fgvc.__version__}, config {predictor.config.filename}, '
      f'weights: {predictor.weights.description})')

commands = [e for e in importlib.metadata.entry_points(group='console_scripts')
            if e.value.startswith('fgvc.')]
for command in commands:
    assert callable(command.load()), command
    script = shutil.which(command.name)
    assert script and script.startswith(sys.prefix), (command.name, script)
print('console commands: ok (' + ', '.join(sorted(c.name for c in commands)) + ')')

# the clip: 10 frames, a textured square moving 2 px a frame over a textured background
rng = np.random.default_rng(0)
frames = np.repeat(rng.integers(0, 255, (1, 72, 96, 3), dtype=np.uint8), 10, axis=0)
patch = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
for t, frame in enumerate(frames):
    frame[20:44, 10 + 2 * t : 34 + 2 * t] = patch
write_mp4(frames, 'clip.mp4', 10.0)
PY

stage "fgvc-demo on the generated clip"
fgvc-demo clip.mp4 --queries grid:3 --out demo_out --device cpu 2>&1 | tr '\r' '\n' \
    | { grep -v -e '^\(tracking\|drawing\): ' -e '^$' || true; }
python - <<'PY'
import csv

import av
import numpy as np

with np.load('demo_out/tracks.npz') as data:
    assert data['tracks'].shape == (10, 9, 2), data['tracks'].shape
    assert data['visibility'].shape == (10, 9), data['visibility'].shape
    assert np.isfinite(data['tracks']).all()
with open('demo_out/tracks.csv') as f:
    rows = list(csv.reader(f))
assert rows[0] == ['frame', 'point', 'x', 'y', 'visible'], rows[0]
assert len(rows) == 1 + 10 * 9, len(rows)
with av.open('demo_out/tracks.mp4') as container:
    frames = sum(1 for _ in container.decode(video=0))
assert frames == 10, frames
print('demo outputs: ok (tracks.npz [10, 9, 2], tracks.csv 90 rows, tracks.mp4 10 frames)')
PY
echo "wheel check passed in $((SECONDS - start)) s"
