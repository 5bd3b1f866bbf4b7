"""Load a model folder or registry into a `Router`; the default router behind `route` and `route_batch`."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from enum import Enum
from pathlib import Path

from router.artifacts.locations import default_model_path
from router.artifacts.model_folder import load_model_heads, read_metadata
from router.artifacts.registry import resolve
from router.core.decision import Decision
from router.core.metadata import ModelMetadata
from router.core.router import LoadedModel, Reloader, Router
from router.decision_log.backends import open_log
from router.encoders.catalog import RUNTIMES, get_encoder
from router.errors import DataError, NotPreparedError
from router.settings import DEFAULT_LOG_TEXT, ENV_BACKEND, ENV_LOG_TEXT, decision_log_address


class LogFromEnv(Enum):
    """`load_router`'s default `log`: the decision log `ROUTER_DECISION_LOG` names (unset or empty: none)."""

    FROM_ENV = "from-env"


def load_model(
    folder: Path,
    runtime: str,
    previous: LoadedModel | None = None,
    *,
    fast_only: bool = False,
    metadata: ModelMetadata | None = None,
) -> LoadedModel:
    """One model folder, loaded: its metadata, heads and encoder (kept from `previous` when the same).

    Every file is hash-checked and validated first: a tampered or broken folder raises
    `UntrustedModelError` or `DataError` and nothing of it is used. With `fast_only`, a model whose
    encoder would first be exported (`starts_fast` false) raises `NotPreparedError` instead.
    `metadata`: the folder's metadata when the caller has just read it (else it is read here).
    """
    if metadata is None:
        metadata = read_metadata(folder)
    if fast_only and not starts_fast(metadata, runtime):
        raise NotPreparedError(f"{folder}: the encoder's ONNX export is not made yet (`router prepare` makes it)")
    delegate, criteria = load_model_heads(folder, metadata)
    enc = metadata.encoder
    if previous is not None and previous.metadata.encoder == enc:
        encoder = previous.encoder
    else:
        encoder = get_encoder(enc.name, runtime, enc.id, enc.runtime)
    return LoadedModel(encoder, delegate, criteria, metadata, folder)


def reloader(source: Path, runtime: str) -> Reloader:
    """Re-read `source` (a registry's `current`): the version to use now, or None when unchanged."""

    def reload(current: LoadedModel) -> LoadedModel | None:
        folder = resolve(source)
        metadata = read_metadata(folder)
        if folder == current.path and metadata == current.metadata:
            return None
        return load_model(folder, runtime, current, metadata=metadata)

    return reload


def starts_fast(metadata: ModelMetadata, runtime: str) -> bool:
    """Whether loading this model needs no torch import nor ONNX export (a cold start well under a second)."""
    from router.encoders.catalog import choose_runtime
    from router.encoders.onnx import export_exists

    enc = metadata.encoder
    chosen = choose_runtime(enc.name, runtime, enc.id, enc.runtime)
    return chosen == "registered" or (chosen == "onnx" and export_exists(enc.id, enc.runtime))


def load_router(
    path: str | Path | None = None,
    backend: str | None = None,
    log: str | Path | LogFromEnv | None = LogFromEnv.FROM_ENV,
    log_text: str | None = None,
    *,
    fast_only: bool = False,
) -> Router:
    """Load a model (default: the default model): a registry root's current version, or a model folder.

    `backend` picks the encoder runtime: "auto" (default, or `ROUTER_BACKEND`) uses the ONNX export,
    making it on first use; "onnx" the same; "torch" never uses ONNX. The heads come from `heads.npz`
    (numpy only) when present, else from the skops files. `log` is a decision log every decision is
    written to: by default the one `ROUTER_DECISION_LOG` names; None or "" (or an empty variable) for no
    log. `log_text` (default: `ROUTER_LOG_TEXT`, else "redacted") is what it keeps of each text: "full",
    "redacted" or "hash". `fast_only`: raise `NotPreparedError` rather than export the encoder first.
    """
    source = Path(path) if path is not None else default_model_path()
    runtime = backend or os.environ.get(ENV_BACKEND, "auto")
    if runtime not in RUNTIMES:
        raise DataError(f"unknown backend {runtime!r}; expected one of {', '.join(RUNTIMES)}")
    model = load_model(resolve(source), runtime, fast_only=fast_only)
    target = decision_log_address() if log is LogFromEnv.FROM_ENV else log
    text_mode = log_text or os.environ.get(ENV_LOG_TEXT) or DEFAULT_LOG_TEXT
    sink = open_log(target, text_mode) if target else None
    if sink is not None:
        sink.prepare()
    return Router(model, reloader=reloader(source, runtime), log=sink)


_LOCK = threading.Lock()
_DEFAULT: dict[Path, Router] = {}


def default_router() -> Router:
    """The default model, loaded once per process (thread-safe)."""
    path = default_model_path()
    router = _DEFAULT.get(path)
    if router is None:
        with _LOCK:
            router = _DEFAULT.get(path)
            if router is None:
                router = _DEFAULT[path] = load_router(path)
    return router


def route(text: str) -> Decision:
    """Decide for one text with the default model."""
    return default_router().route(text)


def route_batch(texts: Sequence[str]) -> list[Decision]:
    """Decide for many texts with the default model."""
    return default_router().route_batch(texts)
