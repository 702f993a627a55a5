#!/usr/bin/env bash
# README's first command: set up .venv, make a seeded 50,000-row sample registry, run a
# disbursement round of the shipped policies on it into out/, and say where the lists are.
#
# Nothing is committed to the ledger: out/ is a draft round, to review. To try the rest of the
# lifecycle: `.venv/bin/policymatch commit out` (see docs/rounds.md). A folder holding a
# committed round is never overwritten: run the demo again with OUT=out2 to make another.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out}
bash scripts/setup.sh
PM=.venv/bin/policymatch
"$PM" check policies/
"$PM" sample-registry --rows 50000 --seed 1 --policies policies/ --out sample-registry.csv
start=$(date +%s%N)
"$PM" run --registry sample-registry.csv --as-of 2024-03-01 --policies policies/ --out "$OUT"
ms=$((($(date +%s%N) - start) / 1000000))
printf '用时 %d.%02d 秒（含 Python 启动）；请先打开 %s/report.html 和 %s/兑现清单.xlsx\n' \
  $((ms / 1000)) $((ms % 1000 / 10)) "$OUT" "$OUT"
printf '待补正（缺企业名称或银行账号，本轮不兑现、不公示）：%d 笔，见 %s/held.csv\n' \
  $(($(wc -l <"$OUT/held.csv") - 1)) "$OUT"
# Reconcile the ledger (what earlier commits recorded; an absent ledger holds nothing).
"$PM" ledger check
