"""Which encoder a name means, in which runtime: each is built once per process, whoever asks for it.

Names are sentence-transformers models (the packaged default, a local path, or a name cached on the
machine), or encoders registered with `register_encoder`. Modules listed in `ROUTER_PLUGINS`
(comma-separated) are imported on first lookup so they can register theirs; a model file can only name
an encoder, never import one.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from router.core.encoder import Encoder
from router.errors import DataError
from router.settings import ENV_PLUGINS

#: Encoder runtimes: "auto" takes the ONNX export when it exists or can be made, else torch.
RUNTIMES = ("auto", "onnx", "torch")

_LOCK = threading.Lock()
_LOADED: dict[str, Encoder] = {}
_REGISTERED: dict[str, Callable[[], Encoder]] = {}


def register_encoder(name: str, factory: Callable[[], Encoder]) -> None:
    """Make `name` mean the encoder `factory()` builds (no ONNX runtime: it is used as it is)."""
    with _LOCK:
        _REGISTERED[name] = factory
        _LOADED.pop(name, None)


def registered(name: str) -> bool:
    """Whether `name` is a registered (non sentence-transformers) encoder."""
    _load_plugins()
    return name in _REGISTERED


def prepare_export(name: str, key: str, runtime: str = "fp32") -> Path | None:
    """Make an encoder's ONNX export now (needs torch once), so routing is torch-free from the first call.

    None for a registered encoder, which has no export.
    """
    if registered(name):
        return None
    from router.encoders.onnx import ensure_export

    return ensure_export(name, key, runtime)


def _load_plugins() -> None:
    _import_plugins(os.environ.get(ENV_PLUGINS, ""))


@functools.cache
def _import_plugins(modules: str) -> None:
    """Import the plugin modules once; a failed import is not cached, so every lookup reports it alike."""
    for module in filter(None, (m.strip() for m in modules.split(","))):
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise DataError(f"{ENV_PLUGINS}: cannot import {module!r} ({err})") from None


def encoder_key(name: str) -> str:
    """The id an encoder's embeddings and exports are stored under (name plus version where known)."""
    if registered(name):
        return name
    from router.encoders.sentence_transformer import encoder_id

    return encoder_id(name)


def onnx_available() -> bool:
    """Whether onnxruntime and tokenizers are installed."""
    return find_spec("onnxruntime") is not None and find_spec("tokenizers") is not None


def torch_available() -> bool:
    """Whether sentence-transformers (and so torch) is installed."""
    return find_spec("sentence_transformers") is not None


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime that will run an encoder, and why (as `router doctor` prints it)."""

    runtime: str  # "torch", "onnx" or "registered"
    why: str


#: Why ONNX runs although its export is not made yet.
_EXPORT_FIRST = (
    "no ONNX export yet: the first call makes it (needs torch once, one line on stderr), later calls are fast"
)


def explain_runtime(name: str, runtime: str, key: str | None = None, variant: str = "fp32") -> RuntimeChoice:
    """The runtime that will run ("auto" resolved) and the reason; the one place that decides it."""
    if runtime not in RUNTIMES:
        raise DataError(f"unknown backend {runtime!r}; expected one of {', '.join(RUNTIMES)}")
    if registered(name):
        return RuntimeChoice("registered", f"{name!r} is an encoder registered by a plugin")
    from router.encoders.onnx import export_exists

    exported = export_exists(key or encoder_key(name), variant)
    if variant != "fp32" or runtime == "onnx" or (runtime == "auto" and onnx_available() and exported):
        if exported:
            return RuntimeChoice("onnx", f"the ONNX export ({variant}) is cached: torch-free routing")
        return RuntimeChoice("onnx", _EXPORT_FIRST)
    if runtime == "torch":
        return RuntimeChoice("torch", "the torch backend was asked for")
    if onnx_available() and torch_available():
        return RuntimeChoice("onnx", _EXPORT_FIRST)
    missing = "onnxruntime or tokenizers is missing" if not onnx_available() else "no export and no torch to make one"
    return RuntimeChoice("torch", missing)


def choose_runtime(name: str, runtime: str, key: str | None = None, variant: str = "fp32") -> str:
    """The runtime that will run: "torch" or "onnx" ("auto" resolved), or "registered"."""
    return explain_runtime(name, runtime, key, variant).runtime


def get_encoder(name: str, runtime: str = "torch", key: str | None = None, variant: str = "fp32") -> Encoder:
    """The encoder for `name` in `runtime`, loaded once per process (thread-safe).

    `runtime` "torch" is sentence-transformers; "onnx" is the ONNX export (made on first use, which
    needs torch once); "auto" takes ONNX when the export exists or can be made. A model trained on the
    int8 ONNX encoder (`variant` "onnx-int8") always runs it, whatever `runtime` says.
    """
    chosen = choose_runtime(name, runtime, key, variant)
    cache_key = f"{chosen}:{variant}:{name}:{key or ''}"
    encoder = _LOADED.get(cache_key)
    if encoder is None:
        with _LOCK:
            encoder = _LOADED.get(cache_key)
            if encoder is None:
                encoder = _LOADED[cache_key] = _build(name, chosen, key, variant)
    return encoder


def _build(name: str, runtime: str, key: str | None, variant: str) -> Encoder:
    if runtime == "registered":
        return _REGISTERED[name]()
    if runtime == "torch":
        from router.encoders.sentence_transformer import load_sentence_transformer

        return load_sentence_transformer(name)
    from router.encoders.onnx import load_onnx

    return load_onnx(name, key or encoder_key(name), variant)
