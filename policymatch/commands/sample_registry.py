"""``policymatch sample-registry``: write a seeded, realistic sample registry to try a round on.

The rows come from :func:`policymatch.registry.generate.generate_frame` (valid and unique codes,
a county's mix of industries and sizes, tags, a little missing data); the same ``--rows`` and
``--seed`` give the same file. The format follows the extension: .csv (UTF-8 with BOM, Chinese
headers, as county exports look), .xlsx or .parquet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UsageError, simple
from ..registry import writers
from ..registry.generate import generate_frame
from ..rules import compile_policy_set
from ..schema import STANDARD_SCHEMA, Schema

WRITERS: dict[str, Callable[[pd.DataFrame, Path, Schema], None]] = {
    ".csv": writers.write_csv,
    ".xlsx": writers.write_xlsx,
    ".parquet": writers.write_parquet,
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sample-registry",
        help="write a seeded, realistic sample registry",
        description="Write a sample enterprise registry of a county's size, generated from a "
        "seed (the same seed gives the same file).",
    )
    p.add_argument("--rows", type=int, default=50_000, help="number of rows (default 50000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("sample-registry.csv"),
        help="file to write: .csv, .xlsx or .parquet (default sample-registry.csv)",
    )
    p.add_argument(
        "--policies",
        help="policy set whose schema extensions to include as (empty) columns",
    )
    p.add_argument(
        "--null-rate",
        type=float,
        default=0.02,
        help="share of cells left empty, as missing data (default 0.02)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    write = WRITERS.get(args.out.suffix.lower())
    if write is None:
        raise UsageError(
            [
                simple(
                    "PM714",
                    f"cannot write a registry as '{args.out.suffix}'",
                    file=str(args.out),
                    hint="name the file .csv, .xlsx or .parquet",
                )
            ]
        )
    if args.rows < 0 or not 0 <= args.null_rate <= 1:
        raise UsageError(
            [simple("PM714", "--rows must be 0 or more and --null-rate between 0 and 1")]
        )
    schema = compile_policy_set(args.policies).schema if args.policies else STANDARD_SCHEMA
    frame = generate_frame(args.rows, args.seed, null_rate=args.null_rate, schema=schema)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write(frame, args.out, schema)
    sys.stdout.write(f"wrote {args.rows} rows (seed {args.seed}) to {args.out}\n")
    return 0
