"""Best times of the batch-core benchmarks, kept during a session to print ratios at its end.

The ratios are what the targets are stated in (the same run, the same machine), so they hold on
a loaded machine where absolute times do not.
"""

from __future__ import annotations

import json
from pathlib import Path

#: key -> (best wall seconds, best CPU seconds of the calling process)
RESULTS: dict[str, tuple[float, float]] = {}

OUT = Path(".benchmarks") / "batch-core.json"


def record(key: str, wall: float, cpu: float) -> None:
    RESULTS[key] = (wall, cpu)


def ratio(slow: str, fast: str) -> str:
    if slow not in RESULTS or fast not in RESULTS:
        return "-"
    return f"{RESULTS[slow][0] / RESULTS[fast][0]:.1f}x"


def report() -> list[str]:
    """Lines for the terminal: every time, then the ratios the targets are stated in."""
    if not RESULTS:
        return []
    lines = ["batch core: best wall / CPU seconds"]
    lines += [f"  {key:<40} {wall:8.3f} {cpu:8.3f}" for key, (wall, cpu) in RESULTS.items()]
    lines.append("ratios (wall), same run:")
    for slow in ("pandas masks 50k", "polars 50k", "reference 50k (scaled from 100 rows)"):
        lines.append(f"  {slow} / vectorized 50k: {ratio(slow, 'vectorized 50k')}")
    lines.append(
        f"  vectorized 500k / vectorized 50k: {ratio('vectorized 500k', 'vectorized 50k')}"
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(RESULTS, indent=2), encoding="utf-8")
    return lines
