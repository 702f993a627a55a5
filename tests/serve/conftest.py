"""A real HTTP server on 127.0.0.1 (a free port) for the service's tests, in a thread."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import uvicorn

from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv
from policymatch.schema import STANDARD_SCHEMA
from policymatch.serve.app import create_app
from policymatch.serve.config import ServeConfig, Token

# The public API's county folder (policies/ and the golden registry.csv), for tests/serve too.
from tests.api.conftest import county as county

ROOT = Path(__file__).parents[2]
READ = "read-token-0123456789abcdef"
EVENTS = "events-token-0123456789abcdef"
AS_OF = "2024-03-01"


@dataclass
class Server:
    port: int
    folder: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | None = None,
        token: str | None = READ,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {**(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        if isinstance(data, str):
            data = data.encode()
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        return response.status, json.loads(raw) if raw else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running(config: ServeConfig, folder: Path) -> Iterator[Server]:
    """The service for ``config`` on 127.0.0.1 at a free port, in a thread, while in use."""
    app = create_app(config)
    port = free_port()
    uv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Server(port, folder)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    shutil.copytree(ROOT / "policies", folder / "policies")
    frame = generate_frame(300, 3, null_rate=0.05, schema=STANDARD_SCHEMA)
    write_csv(frame, folder / "registry.csv", STANDARD_SCHEMA)
    config = ServeConfig(
        policies=folder / "policies",
        registry=str(folder / "registry.csv"),
        ledger=str(folder / "ledger.sqlite"),
        tokens=(Token("read", READ), Token("events", EVENTS)),
        max_body=16 * 1024,
        reload_seconds=0.2,
    )
    with running(config, folder) as served:
        yield served
