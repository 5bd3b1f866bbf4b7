"""`router serve`: routing decisions over HTTP (FastAPI), including Claude Code's `http` hook.

Endpoints: `POST /v1/route`, `GET /v1/model`, `POST /v1/reload`, `POST /v1/hooks/claude/user-prompt-submit`,
`GET /healthz`; the OpenAPI document is at `/openapi.json`. Errors are JSON `{"detail": ...}`: 400 for a
Host outside the allow-list, 401 without the bearer token (when one is set), 403 for a cross-origin write without a
token, 404 for an unknown path (no redirects), 408 for a body not sent in time, 413 for a body or text
over the limits, 422 for an invalid request, 503 while no model can be loaded or when busy (`/healthz`
still answers).
"""

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer

from router.artifacts.loader import load_router
from router.core.router import Router
from router.core.texts import sort_texts
from router.errors import DataError, RouterError
from router.serving.batching import Batcher, DirectRouting, OverloadedError
from router.serving.guard import BODY_TIMEOUT, LOOPBACK_HOSTS, MAX_CONCURRENT, Guard, is_loopback
from router.serving.hook import EVENT, PROMPT_CHARS, hook_output
from router.serving.schemas import (
    DecisionOut,
    DecisionsOut,
    Health,
    HookAnswer,
    ModelInfo,
    RouteRequest,
    UserPromptSubmitEvent,
)
from router.settings import version

MAX_TEXTS = 256
MAX_CHARS = 20_000
MAX_BODY = 1_000_000


class ModelHolder:
    """Loads the model once, on first use or at start-up; a missing model is a 503, retried next time."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = path
        self._router: Router | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether a model is loaded."""
        return self._router is not None

    def get(self) -> Router:
        """The loaded model; `HTTPException(503)` when it cannot be loaded."""
        if self._router is None:
            with self._lock:
                if self._router is None:
                    try:
                        self._router = load_router(self.path)
                    except RouterError as err:
                        raise HTTPException(503, f"model unavailable: {err}") from None
        return self._router


def create_app(
    model_path: str | Path | None = None,
    token: str | None = None,
    max_texts: int = MAX_TEXTS,
    max_chars: int = MAX_CHARS,
    max_body: int = MAX_BODY,
    preload: bool = False,
    allowed_hosts: Collection[str] | None = None,
    max_concurrent: int = MAX_CONCURRENT,
    body_timeout: float = BODY_TIMEOUT,
    batching: bool = True,
) -> FastAPI:
    """The HTTP app for one model folder (default: `ROUTER_MODEL` or the shipped model).

    With `token`, every `/v1/*` request needs `Authorization: Bearer <token>`; without one, cross-origin
    writes are refused. With `allowed_hosts`, other Host headers are refused (`serve` sets the loopback
    names when bound to loopback). With `preload`, the model loads at start-up (a failure is reported on
    stderr and routes answer 503 until it loads). With `batching` (the default), concurrent requests are
    routed together (`router.serving.batching`), off the event loop either way.
    """
    model = ModelHolder(model_path)
    routing = (Batcher if batching else DirectRouting)(lambda texts: model.get().route_batch(texts))

    async def loaded() -> Router:
        """The model, loaded off the event loop the first time."""
        return model.get() if model.loaded else await asyncio.to_thread(model.get)

    async def decide(texts: list[str]) -> list[dict[str, object]]:
        """Decisions for checked texts, through the batcher; 503 when its queue is full."""
        try:
            return [d.to_dict() for d in await routing.submit(texts)]
        except OverloadedError as err:
            raise HTTPException(503, f"overloaded: {err}") from None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if preload:
            try:
                model.get()
            except HTTPException as err:
                print(f"router serve: {err.detail}", file=sys.stderr)
        yield
        await routing.close()

    # Documents the bearer scheme in OpenAPI; `Guard` enforces it before the body is read.
    security = [Security(HTTPBearer(auto_error=False))] if token else []
    app = FastAPI(
        title="router",
        summary="Should this request go to the agent the served model routes for?",
        version=version(),
        lifespan=lifespan,
        redirect_slashes=False,  # a redirect would be built from the Host header
    )
    app.add_middleware(
        Guard,
        token=token or None,
        max_body=max_body,
        allowed_hosts=allowed_hosts,
        max_concurrent=max_concurrent,
        body_timeout=body_timeout,
    )

    @app.exception_handler(Exception)
    async def internal_error(_: Request, err: Exception) -> JSONResponse:
        """An unexpected failure is still a JSON error (and is logged with its traceback)."""
        return JSONResponse({"detail": f"internal error ({type(err).__name__})"}, status_code=500)

    def check_size(texts: list[str]) -> None:
        if len(texts) > max_texts:
            raise HTTPException(413, f"{len(texts)} texts, over the limit of {max_texts}")
        for i, text in enumerate(texts):
            if len(text) > max_chars:
                raise HTTPException(413, f"text {i} has {len(text)} characters, over the limit of {max_chars}")

    @app.get("/healthz", tags=["meta"])
    def healthz() -> Health:
        """Liveness; answers even when no model is loaded."""
        return Health(status="ok", model_loaded=model.loaded)

    @app.get("/v1/model", tags=["route"], dependencies=security)
    def model_info(router: Annotated[Router, Depends(model.get)]) -> ModelInfo:
        """The served model: agent, version, threshold, abstain band, criteria, encoder."""
        return ModelInfo.of(router.metadata)

    @app.post("/v1/reload", tags=["route"], dependencies=security)
    def reload(router: Annotated[Router, Depends(model.get)]) -> ModelInfo:
        """Pick up a promotion or rollback in the registry (`Router.reload`); answers the model now served."""
        try:
            router.reload()
        except RouterError as err:
            raise HTTPException(503, f"reload failed, still serving the old model: {err}") from None
        return ModelInfo.of(router.metadata)

    @app.post("/v1/route", tags=["route"], dependencies=[*security, Depends(loaded)])
    async def route(request: RouteRequest) -> DecisionOut | DecisionsOut:
        """Route `text` (answers one decision) or `texts` (answers `{"decisions": [...]}`, a bad text an error)."""
        texts = [request.text] if request.text is not None else request.texts or []
        check_size(texts)
        if request.text is not None:
            try:
                (decision,) = await decide([request.text])
            except DataError as err:
                raise HTTPException(422, str(err)) from None
            return DecisionOut.model_validate(decision)
        batch = sort_texts(texts)
        merged = batch.merge(await decide(batch.texts) if batch.texts else [])
        items = [{"error": item} if isinstance(item, str) else item for item in merged]
        return DecisionsOut.model_validate({"decisions": items})

    @app.post(
        "/v1/hooks/claude/user-prompt-submit",
        tags=["hooks"],
        dependencies=[*security, Depends(loaded)],
        response_model_exclude_none=True,
    )
    async def claude_user_prompt_submit(event: UserPromptSubmitEvent) -> HookAnswer:
        """Claude Code `http` hook for UserPromptSubmit: `additionalContext` when the prompt fits the agent.

        A long prompt is cut as the command hook cuts it (`PROMPT_CHARS`; the encoder reads far less), and a blank or
        invalid prompt answers `{}`, so a hook never fails on the prompt's size or content.
        """
        if event.hook_event_name != EVENT:
            raise HTTPException(422, f"expected a {EVENT} event, got {event.hook_event_name!r}")
        try:
            (decision,) = await decide([event.prompt[: min(max_chars, PROMPT_CHARS)]])
        except DataError:  # a blank or invalid prompt: let it through unrouted
            return HookAnswer.model_validate({})
        return HookAnswer.model_validate(hook_output(decision))

    return app


def bind_problem(host: str, token: str | None) -> str | None:
    """Why serving on `host` is refused (no token off loopback), or None."""
    if token or is_loopback(host):
        return None
    return f"binding {host} needs a bearer token: set ROUTER_TOKEN (or bind 127.0.0.1)"


def default_allowed_hosts(host: str, extra: Collection[str] = ()) -> frozenset[str] | None:
    """The Host names served: loopback names (and `extra`) when bound to loopback; off loopback, `extra` or any."""
    if is_loopback(host):
        return frozenset({*LOOPBACK_HOSTS, host, *extra})
    return frozenset(extra) if extra else None


def serve(
    host: str,
    port: int,
    model_path: str | Path | None,
    token: str | None,
    allow_hosts: Collection[str] = (),
    batching: bool = True,
) -> None:
    """Run the app with uvicorn until interrupted; the model loads at start-up.

    Slow clients are cut off (`HeaderDeadline`, the guard's body deadline) and connections are capped
    (uvicorn's own 503 past twice the guard's request limit).
    """
    import uvicorn

    from router.serving.slow_clients import HeaderDeadline

    allowed = default_allowed_hosts(host, allow_hosts)
    app = create_app(model_path, token=token, preload=True, allowed_hosts=allowed, batching=batching)
    print(f"router serve: http://{host}:{port} (batching {'on' if batching else 'off'})", file=sys.stderr)
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=HeaderDeadline,
        limit_concurrency=2 * MAX_CONCURRENT,
        timeout_keep_alive=5,
        server_header=False,
        log_level="warning",  # no access log: it costs more than routing a short request
    )
