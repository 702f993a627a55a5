#!/usr/bin/env bash
# Set up, then run every check CI runs: lint, types, the shipped policies, the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-system.sh
if [[ -f scripts/services.sh ]]; then
  bash scripts/services.sh
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/policymatch check policies/
.venv/bin/policymatch test policies/
.venv/bin/python -m pytest -q "$@"
