#!/usr/bin/env bash
# Sourced by the Quickstart scripts: make sure a Python environment with fgvc
# installed (editable, with test extras, reinstalled when requirements.txt or
# setup.py change) is active. Without an active virtual
# environment, one is created in .venv at the repository root.
# FGVC_TORCH picks the torch requirement installed when torch is missing
# (default torch==2.13.0; e.g. FGVC_TORCH="torch==2.4.1" for another CUDA build).
FGVC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -x "$FGVC_ROOT/.venv/bin/python" ] || python3 -m venv "$FGVC_ROOT/.venv"
    # shellcheck disable=SC1091
    . "$FGVC_ROOT/.venv/bin/activate"
fi
# Reinstall whenever the declared dependencies change (a stamp of
# requirements.txt, setup.py and pyproject.toml is kept in the environment).
deps_stamp="$(cat "$FGVC_ROOT/requirements.txt" "$FGVC_ROOT/setup.py" "$FGVC_ROOT/pyproject.toml" | cksum)"
stamp_file="$(python -c 'import sys; print(sys.prefix)')/.fgvc-deps"
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$deps_stamp" ] || ! python -m pip show -q fgvc >/dev/null 2>&1; then
    python -c 'import torch' 2>/dev/null || python -m pip install -q "${FGVC_TORCH:-torch==2.13.0}"
    python -m pip install -q -e "$FGVC_ROOT[test]" && echo "$deps_stamp" > "$stamp_file"
fi
export PYTHONPATH="$FGVC_ROOT${PYTHONPATH:+:$PYTHONPATH}"
