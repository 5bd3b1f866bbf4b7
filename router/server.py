"""`router serve`: routing decisions over HTTP (FastAPI), including Claude Code's `http` hook.

Endpoints: `POST /v1/route`, `GET /v1/model`, `POST /v1/hooks/claude/user-prompt-submit`, `GET /healthz`;
the OpenAPI document is at `/openapi.json`. Errors are JSON `{"detail": ...}`: 401 without the bearer
token (when one is set), 413 for a body or text over the limits, 422 for an invalid request, 503 while
no model can be loaded (`/healthz` still answers).
"""

import hmac
import ipaddress
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Self

from fastapi import Depends, FastAPI, HTTPException, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router.errors import DataError, RouterError
from router.hook import EVENT, hook_output
from router.inference import Router, load_router
from router.schemas import DecisionOut

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8377
MAX_TEXTS = 256
MAX_CHARS = 20_000
MAX_BODY = 1_000_000
#: Paths that answer without the bearer token: liveness and the API description.
OPEN_PATHS = frozenset({"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


class RouteRequest(BaseModel):
    """One text, or a list of texts routed in one batch."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="One request to route.")
    texts: list[str] | None = Field(None, description="Several requests, routed in one batch, in order.")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' or 'texts'")
        return self


class DecisionsOut(BaseModel):
    """Decisions for `texts`, in the same order."""

    decisions: list[DecisionOut]


class ModelInfo(BaseModel):
    """What the served model is."""

    agent: str
    model_version: str
    threshold: float
    abstain_band: dict[str, Any]
    criteria: list[dict[str, Any]]
    encoder: Any


class Health(BaseModel):
    """Liveness, and whether the model is loaded."""

    status: str
    model_loaded: bool


class UserPromptSubmitEvent(BaseModel):
    """Claude Code's UserPromptSubmit hook input; unknown fields are ignored."""

    model_config = ConfigDict(extra="allow")

    session_id: str | None = None
    transcript_path: str | None = None
    cwd: str | None = None
    permission_mode: str | None = None
    hook_event_name: str = EVENT
    prompt: str


class HookSpecificOutput(BaseModel):
    """The UserPromptSubmit part of a hook answer."""

    model_config = ConfigDict(populate_by_name=True)

    hook_event_name: str = Field(EVENT, alias="hookEventName")
    additional_context: str = Field(alias="additionalContext")


class HookAnswer(BaseModel):
    """Claude Code hook output: `hookSpecificOutput` when the request should be delegated, else `{}`."""

    model_config = ConfigDict(populate_by_name=True)

    hook_specific_output: HookSpecificOutput | None = Field(None, alias="hookSpecificOutput")


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


class Guard:
    """ASGI middleware: the bearer token on `/v1/*` (401), then the body size (413) on every request."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or pass one request, replaying the body it read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.token is not None and scope["path"] not in OPEN_PATHS and not self._authorized(headers):
            await _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _error(413, f"request body over {self.max_body} bytes")(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _error(413, f"request body over {self.max_body} bytes")(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        assert self.token is not None
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode())


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def create_app(
    model_path: str | Path | None = None,
    token: str | None = None,
    max_texts: int = MAX_TEXTS,
    max_chars: int = MAX_CHARS,
    max_body: int = MAX_BODY,
    preload: bool = False,
) -> FastAPI:
    """The HTTP app for one model folder (default: `ROUTER_MODEL` or the shipped model).

    With `token`, every `/v1/*` request needs `Authorization: Bearer <token>`. With `preload`, the model
    loads at start-up (a failure is reported on stderr and routes answer 503 until it loads).
    """
    model = ModelHolder(model_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if preload:
            try:
                model.get()
            except HTTPException as err:
                print(f"router serve: {err.detail}", file=sys.stderr)
        yield

    # Documents the bearer scheme in OpenAPI; `Guard` enforces it before the body is read.
    security = [Security(HTTPBearer(auto_error=False))] if token else []
    app = FastAPI(
        title="router",
        summary="Should this request go to the backend-engineer agent?",
        version=_version(),
        lifespan=lifespan,
    )
    app.add_middleware(Guard, token=token or None, max_body=max_body)

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
        return ModelInfo.model_validate({k: router.metadata.get(k) for k in ModelInfo.model_fields})

    @app.post("/v1/reload", tags=["route"], dependencies=security)
    def reload(router: Annotated[Router, Depends(model.get)]) -> ModelInfo:
        """Pick up a promotion or rollback in the registry (`Router.reload`); answers the model now served."""
        try:
            router.reload()
        except RouterError as err:
            raise HTTPException(503, f"reload failed, still serving the old model: {err}") from None
        return ModelInfo.model_validate({k: router.metadata.get(k) for k in ModelInfo.model_fields})

    @app.post("/v1/route", tags=["route"], dependencies=security)
    def route(request: RouteRequest, router: Annotated[Router, Depends(model.get)]) -> DecisionOut | DecisionsOut:
        """Route `text` (answers one decision) or `texts` (answers `{"decisions": [...]}`)."""
        texts = [request.text] if request.text is not None else request.texts or []
        check_size(texts)
        try:
            decisions = [d.to_dict() for d in router.route_batch(texts)] if texts else []
        except DataError as err:
            raise HTTPException(422, str(err)) from None
        if request.text is not None:
            return DecisionOut.model_validate(decisions[0])
        return DecisionsOut.model_validate({"decisions": decisions})

    @app.post(
        "/v1/hooks/claude/user-prompt-submit",
        tags=["hooks"],
        dependencies=security,
        response_model_exclude_none=True,
    )
    def claude_user_prompt_submit(
        event: UserPromptSubmitEvent, router: Annotated[Router, Depends(model.get)]
    ) -> HookAnswer:
        """Claude Code `http` hook for UserPromptSubmit: `additionalContext` when the prompt fits the agent.

        A prompt longer than the text limit is cut to it (the encoder reads far less), and a blank
        prompt answers `{}`, so a hook never fails on the prompt's size or content.
        """
        if event.hook_event_name != EVENT:
            raise HTTPException(422, f"expected a {EVENT} event, got {event.hook_event_name!r}")
        if not event.prompt.strip():
            return HookAnswer.model_validate({})
        return HookAnswer.model_validate(hook_output(router.route(event.prompt[:max_chars]).to_dict()))

    return app


def bind_problem(host: str, token: str | None) -> str | None:
    """Why serving on `host` is refused (no token off loopback), or None."""
    if token:
        return None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    return f"binding {host} needs a bearer token: set ROUTER_TOKEN (or bind 127.0.0.1)"


def serve(host: str, port: int, model_path: str | Path | None, token: str | None) -> None:
    """Run the app with uvicorn until interrupted; the model loads at start-up."""
    import uvicorn

    uvicorn.run(create_app(model_path, token=token, preload=True), host=host, port=port)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("router")
    except PackageNotFoundError:
        return "0"
