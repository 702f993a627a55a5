"""The FastAPI application of ``policymatch serve`` (docs/serve.md).

Every ``/v1`` route needs a bearer token (``read``; ``POST /v1/events`` needs ``events``); the
OpenAPI schema (``/openapi.json``) and its page (``/docs``) are open. Errors are JSON
``{"error": {"code": "PM6xx", "message": ...}}`` with a 4xx status for anything the caller sent;
nothing the caller sends gives a 500. No route writes the ledger.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from .. import __version__
from ..engine import find_policy
from ..errors import PolicymatchError
from ..explain import explain
from ..registry.dataframe import read_frame
from ..rules import PolicySet
from ..rules.printer import to_text
from ..values import Value
from .answers import answer, prepared
from .events_endpoint import EventsEndpoint

if TYPE_CHECKING:
    from ..rounds.ledger_view import LedgerView
from .auth import Caller, RateLimit, Tokens
from .config import ServeConfig
from .policy_store import PolicyStore
from .problems import ApiError, error_response
from .registry_index import index_registry, load_registry
from .round_effects import RoundEffects

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ACCESS = logging.getLogger("policymatch.access")
#: Routes open without a token: the API's description.
OPEN = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
#: Paths without parameters: logged as they are even when refused before routing.
STATIC = (*OPEN, "/v1/match", "/v1/events", "/v1/policies", "/v1/rounds", "/v1/pool", "/v1/health")


class _TooLarge(Exception):
    pass


class Guard:
    """Authentication, scopes, rate limits, body size limits and the access log, in one place
    around every request (pure ASGI, so a body over the limit is refused while it arrives)."""

    def __init__(
        self, app: ASGIApp, *, tokens: Tokens, limit: RateLimit, config: ServeConfig
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.limit = limit
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        status = {"code": 0, "bytes_in": 0}
        caller: Caller | None = None

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        async def refuse(response: JSONResponse) -> None:
            await response(scope, receive, send_logged)

        try:
            if path not in OPEN:
                headers = dict(scope["headers"])
                raw = headers.get(b"authorization")
                caller = self.tokens.check(raw.decode("latin-1") if raw is not None else None)
                if caller is None:
                    await refuse(error_response(401, "PM630", "a valid bearer token is required"))
                    return
                if path == "/v1/events" and caller.scope != "events":
                    await refuse(
                        error_response(403, "PM631", "this token may read, not post events")
                    )
                    return
                if not self.limit.allow(caller.id):
                    await refuse(error_response(429, "PM632", "too many requests; slow down"))
                    return
                limit = (
                    self.config.max_events_body if path == "/v1/events" else self.config.max_body
                )
                length = headers.get(b"content-length")
                if length is not None and (not length.isdigit() or int(length) > limit):
                    await refuse(_too_large(limit))
                    return

                async def receive_limited() -> Message:
                    message = await receive()
                    if message["type"] == "http.request":
                        status["bytes_in"] += len(message.get("body", b""))
                        if status["bytes_in"] > limit:
                            raise _TooLarge
                    return message

                try:
                    await self.app(scope, receive_limited, send_logged)
                except _TooLarge:
                    if status["code"] == 0:
                        await refuse(_too_large(limit))
                return
            await self.app(scope, receive, send_logged)
        finally:
            if ACCESS.isEnabledFor(logging.INFO):
                route = scope.get("route")
                ACCESS.info(
                    orjson.dumps(
                        {
                            "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                            "method": scope["method"],
                            # The route's template, not the path: a path may hold a USCC.
                            "route": getattr(route, "path", None)
                            or (path if path in STATIC else "?"),
                            "status": status["code"],
                            "ms": round((time.perf_counter() - started) * 1000, 3),
                            "caller": None if caller is None else caller.id,
                            "bytes_in": status["bytes_in"],
                        }
                    ).decode()
                )


def _too_large(limit: int) -> JSONResponse:
    return error_response(413, "PM633", f"the request body is over {limit:,} bytes")


class MatchRequest(BaseModel):
    """An enterprise by its USCC (looked up in the registry) or as a record of registry fields."""

    model_config = ConfigDict(extra="forbid")
    uscc: str | None = None
    record: dict[str, Any] | None = None
    as_of: dt.date | None = None


def create_app(
    config: ServeConfig, *, registry_frame: tuple[pd.DataFrame, str] | None = None
) -> FastAPI:
    """The application; ``registry_frame`` is a typed frame to serve instead of
    ``config.registry`` (the demo's generated sample)."""
    store = PolicyStore(config.policies, config.reload_seconds)
    schema = store.current.policy_set.schema
    registry = (
        index_registry(read_frame(registry_frame[0], schema), registry_frame[1], schema)
        if registry_frame is not None
        else load_registry(config, store.current.policy_set)
    )
    events = EventsEndpoint(config, registry)
    rounds_of = RoundEffects(config.ledger, registry) if registry is not None else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        # The closures for the default date before the first request, not during it.
        prepared(store.current.policy_set, as_of_of(None))
        store.start()
        yield
        store.stop()
        events.close()

    app = FastAPI(
        title="policymatch 政策计算器",
        version=__version__,
        description="What an enterprise can have, how much, and why (docs/serve.md).",
        lifespan=lifespan,
    )
    app.state.store = store
    app.add_middleware(
        Guard,
        tokens=Tokens(config.tokens),
        limit=RateLimit(config.rate, config.burst),
        config=config,
    )

    def as_of_of(value: dt.date | None) -> dt.date:
        return value or config.as_of or dt.date.today()

    @app.exception_handler(ApiError)
    async def apierror_response(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(400, "PM621", "the body is not valid JSON", problems=problems)
        text = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return error_response(422, "PM622", f"the request does not fit: {text}", problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, "PM620", str(exc.detail))

    @app.exception_handler(PolicymatchError)
    async def coded(_: Request, exc: PolicymatchError) -> JSONResponse:
        first = exc.diagnostics[0]
        return error_response(
            422, first.code, first.message, diagnostics=[d.to_dict() for d in exc.diagnostics]
        )

    async def match(request: Request) -> Response:
        """Every policy in force with eligible/unknown/ineligible, amount, missing fields and
        a short reason, for an enterprise given by USCC or as a record."""
        body = _parse(MatchRequest, await request.body())
        loaded = store.current
        policy_set = loaded.policy_set
        if (body.uscc is None) == (body.record is None):
            raise ApiError(422, "PM622", "give exactly one of 'uscc' and 'record'")
        if body.uscc is not None:
            if registry is None:
                raise ApiError(404, "PM623", "no registry is configured: send a 'record'")
            record = registry.lookup(body.uscc)
        else:
            assert body.record is not None
            record = _typed(body.record, policy_set)
        day = as_of_of(body.as_of)
        # The answer is plain JSON data: orjson writes it several times faster than json.
        return Response(
            orjson.dumps(
                {
                    "as_of": day.isoformat(),
                    "uscc": record.get("uscc"),
                    "policy_set": loaded.policy_set.digest,
                    "basis": "computed (应兑现): before the ledger, stacking and budgets",
                    "results": answer(policy_set, record, day),
                }
            ),
            media_type="application/json",
        )

    # A plain Starlette route: the answer needs none of FastAPI's per-request parameter
    # machinery (a third of a trivial route's cost); its OpenAPI entry is added by hand.
    app.router.routes.insert(0, Route("/v1/match", match, methods=["POST"]))
    _document_match(app, inspect.cleandoc(match.__doc__ or ""))

    @app.get("/v1/explain/{uscc}/{policy_id}")
    def explain_one(uscc: str, policy_id: str, as_of: dt.date | None = None) -> dict[str, Any]:
        """Why the enterprise does or does not qualify for the policy (docs/json-schema.md)."""
        policy_set = store.current.policy_set
        if rounds_of is None:  # no registry configured
            raise ApiError(404, "PM623", "no registry is configured")
        record = rounds_of.registry.lookup(uscc)
        try:
            policy = find_policy(policy_set.policies, policy_id, "in the policy set")
        except PolicymatchError as exc:
            raise ApiError(404, "PM602", exc.diagnostics[0].message) from None
        day = as_of_of(as_of)
        effect, with_round = rounds_of.effect(policy_set, day, uscc, policy.id)
        return explain(
            policy, record, day, policy_set.schema, effect, with_round=with_round
        ).to_dict()

    @app.get("/v1/policies")
    def policies(as_of: dt.date | None = None) -> dict[str, Any]:
        """The policy list (政策清单) with titles, modes, issuers and amounts as text."""
        day = as_of_of(as_of)
        policy_set = store.current.policy_set
        return {
            "as_of": day.isoformat(),
            "policy_set": policy_set.digest,
            "policies": [
                _policy_entry(p, day) for p in sorted(policy_set.policies, key=lambda p: p.id)
            ],
        }

    @app.get("/v1/rounds")
    def rounds() -> dict[str, Any]:
        """The rounds committed to the ledger (read-only; none without a ledger)."""
        view = _ledger_view(config.ledger)
        if view is None:
            return {"ledger": None, "rounds": []}
        return {"ledger": view.source, "rounds": _records(view.rounds)}

    @app.get("/v1/pool")
    def pool() -> dict[str, Any]:
        """Each fund: its budget (from the policies) and what the ledger paid from it, by year."""
        view = _ledger_view(config.ledger)
        funds = store.current.policy_set.funds
        paid = [] if view is None else _records(view.pool)
        return {
            "ledger": None if view is None else view.source,
            "funds": [
                {
                    "fund": f.id,
                    "title": f.title,
                    "budget_yuan": None if f.budget is None else f"{f.budget:.2f}",
                    "paid": [p for p in paid if p["fund"] == f.id],
                }
                for f in sorted(funds.values(), key=lambda f: f.id)
            ],
        }

    @app.post("/v1/events")
    async def post_events(request: Request, as_of: dt.date | None = None) -> dict[str, Any]:
        """Registry changes in the ``watch`` format (JSON lines) → what became due or not."""
        text = (await request.body()).decode("utf-8", errors="replace")
        # The watcher is synchronous: run it off the event loop, serialised by its lock.
        return await run_in_threadpool(
            events.handle, text, store.current.policy_set, as_of_of(as_of)
        )

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        """The policy set served, and the errors of a change that did not compile."""
        loaded = store.current
        return {
            "status": "degraded" if store.errors else "ok",
            "version": __version__,
            "policies": {
                "count": len(loaded.policy_set.policies),
                "sha256": loaded.policy_set.digest,
                "loaded_at": loaded.loaded_at.isoformat(),
            },
            "reload_errors": [d.to_dict() for d in store.errors],
            "registry": None
            if registry is None
            else {
                "source": registry.source,
                "rows": len(registry.positions),
                "set_aside": len(registry.load.rejected),
            },
        }

    return app


def _document_match(app: FastAPI, description: str) -> None:
    """``POST /v1/match`` in the served OpenAPI schema, as FastAPI would describe it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            body = MatchRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            schema["paths"]["/v1/match"] = {
                "post": {
                    "summary": "Match",
                    "description": description,
                    "operationId": "match_v1_match_post",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body}},
                    },
                    "responses": {
                        "200": {
                            "description": "every policy in force with its verdict",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _not_a_number(name: str) -> None:
    raise ValueError(f"{name} is not a number a registry holds")


def _parse(model: type[MatchRequest], data: bytes) -> MatchRequest:
    """The body as ``model``, whatever the content type says: JSON or a coded 4xx."""
    try:
        parsed = json.loads(data, parse_constant=_not_a_number)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "PM621", f"the body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(parsed)
    except ValidationError as exc:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
            for e in exc.errors()
        ]
        text = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        raise ApiError(
            422, "PM622", f"the request does not fit: {text}", problems=problems
        ) from None


def _typed(raw: dict[str, Any], policy_set: PolicySet) -> dict[str, Value]:
    from ..backends.durable.records import RecordError, type_record

    try:
        return type_record(raw, policy_set.schema)
    except RecordError as exc:
        raise ApiError(
            422,
            "PM624",
            "the record does not type: " + "; ".join(exc.problems),
            problems=exc.problems,
        ) from None


def _policy_entry(p: Any, day: dt.date) -> dict[str, Any]:
    amount = p.amount
    if amount.expr is not None:
        text = to_text(amount.expr)
    else:
        text = "; ".join(f"{to_text(t.when)} → {to_text(t.value)}" for t in amount.tiers)
    return {
        "id": p.id,
        "title": p.title,
        "issuer": p.issuer,
        "mode": p.mode.value,
        "fund": p.fund,
        "frequency": p.frequency.value,
        "effective_from": None if p.effective_from is None else p.effective_from.isoformat(),
        "effective_to": None if p.effective_to is None else p.effective_to.isoformat(),
        "in_force": p.in_force(day),
        "amount": text,
        "cap_yuan": None if p.cap is None else f"{p.cap:.2f}",
    }


def _ledger_view(ledger: str | None) -> LedgerView | None:
    from ..rounds.ledger_view import read_ledger

    return None if ledger is None else read_ledger(ledger)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
