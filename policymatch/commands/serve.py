"""``policymatch serve``: the 政策计算器 HTTP service (docs/serve.md).

Defaults make a demo with one command: 127.0.0.1:8321, the shipped ``policies/``, a seeded
2,000-row sample registry generated in memory when no ``--registry`` is given, and two fresh
random tokens (read, events) printed at start when none are configured.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError, simple
from .arguments import add_ledger_argument, iso_date

DEMO_ROWS = 2000


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="the 政策计算器 HTTP service for other county systems (docs/serve.md)",
        description="Serve matching, explanations, the policy list and read-only ledger views "
        "over HTTP with bearer tokens.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8321, help="port (default 8321)")
    p.add_argument("--policies", default="policies", help="policy folder (default: policies/)")
    p.add_argument(
        "--registry",
        metavar="PATH_OR_URL",
        help=f"registry to look USCCs up in (default: a seeded {DEMO_ROWS}-row sample, a demo)",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--table", help="table to read when --registry is a database URL")
    src.add_argument("--query", metavar="SQL", help="query to run when --registry is a URL")
    add_ledger_argument(p)
    p.add_argument(
        "--tokens",
        metavar="FILE",
        help="tokens file, 'SCOPE TOKEN' a line (default: $POLICYMATCH_TOKENS, else two "
        "random tokens printed at start)",
    )
    p.add_argument("--as-of", type=iso_date, metavar="DATE", help="YYYY-MM-DD (default: today)")
    p.add_argument("--max-body", type=int, default=64 * 1024, help="request body limit, bytes")
    p.add_argument("--rate", type=float, default=2000.0, help="requests a second per token")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401  (the extra's other half: serve_app runs it)

        from ..serve.app import create_app
    except ImportError:
        raise UsageError(
            [
                simple(
                    "PM627",
                    "serve needs the serve extra (FastAPI, uvicorn), which is not installed: "
                    "pip install 'policymatch[serve]'",
                )
            ]
        ) from None
    from ..rules import compile_policy_set
    from ..serve.config import ServeConfig, load_tokens

    tokens, generated = load_tokens(args.tokens)
    config = ServeConfig(
        policies=Path(args.policies),
        registry=args.registry,
        ledger=args.ledger,
        tokens=tuple(tokens),
        as_of=args.as_of,
        max_body=args.max_body,
        rate=args.rate,
        burst=max(int(args.rate * 2), 1),
        table=args.table,
        query=args.query,
    )
    sample = None
    if args.registry is None:
        from ..registry.generate import generate_frame

        schema = compile_policy_set(args.policies).schema
        sample = (
            generate_frame(DEMO_ROWS, 1, schema=schema),
            f"sample registry ({DEMO_ROWS} rows, seed 1)",
        )
    app = create_app(config, registry_frame=sample)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    err = sys.stderr
    err.write(f"policymatch serve on http://{args.host}:{args.port}  (OpenAPI: /docs)\n")
    err.write(f"  policies {args.policies}; registry {args.registry or (sample and sample[1])}\n")
    if generated:
        for t in tokens:
            err.write(f"  demo token ({t.scope}): {t.secret}\n")
    err.flush()
    serve_app(app, args.host, args.port)
    return 0


def serve_app(app: Any, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn: one worker; its own access log off (the service writes one
    without personal data); httptools and uvloop, which uvicorn picks when installed (the
    serve extra installs them), parse and loop in C, several times cheaper per request than
    h11 and asyncio's loop."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
