#!/usr/bin/env bash
# Create .venv (if needed) and install policymatch with its development extras into it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# Compile the batch core's loops now (numba caches them) rather than in the first run.
.venv/bin/python -m policymatch.backends.vectorized.warm
# Byte-compile the package now: an editable install compiles nothing, and where
# PYTHONDONTWRITEBYTECODE is set every run would compile ~90 modules from source (~0.2 s).
.venv/bin/python -m compileall -q policymatch
