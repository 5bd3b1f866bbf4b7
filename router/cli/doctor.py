"""`router doctor` and `router prepare`: which model and runtime will be used and why; make the fast path now."""

from __future__ import annotations

import os
import platform
from importlib import metadata as pkg
from typing import Any

from router.cli.options import JsonOption, ModelOption
from router.cli.output import emit, fail, print_table, wants_json
from router.errors import RouterError
from router.settings import (
    ENV_BACKEND,
    cache_root,
    checkout,
    decision_log_address,
    default_registry,
    embedding_cache_dir,
    user_home,
    version,
)

LIBRARIES = ("numpy", "onnxruntime", "tokenizers", "scikit-learn", "skops", "sentence-transformers", "torch")


def runtime_report(name: str, key: str, variant: str) -> dict[str, Any]:
    """The encoder runtime `route()` will use for this encoder, and why."""
    from router.encoders.catalog import explain_runtime, onnx_available, registered, torch_available
    from router.encoders.onnx import export_exists, onnx_folder

    wanted = os.environ.get(ENV_BACKEND, "auto")
    choice = explain_runtime(name, wanted, key, variant)
    return {
        "requested": wanted,
        "runtime": choice.runtime,
        "why": choice.why,
        "onnx_export": str(onnx_folder(key)),
        "onnx_export_exists": export_exists(key, variant),
        "onnxruntime": onnx_available(),
        "torch": torch_available() and not registered(name),
    }


def diagnose(model: Any = None) -> dict[str, Any]:
    """Everything `doctor` reports, JSON-ready."""
    from router.artifacts.locations import default_model
    from router.artifacts.model_folder import read_metadata
    from router.artifacts.registry import resolve

    location = default_model()
    repo = checkout()
    source, reason = (model, "--model") if model is not None else (location.path, location.reason)
    report: dict[str, Any] = {
        "router": version(),
        "python": platform.python_version(),
        "checkout": None if repo is None else str(repo),
        "model": {"path": str(source), "why": reason},
        "train_publishes_to": str(default_registry()),
        "user_home": str(user_home()),
        "cache": {"root": str(cache_root()), "embeddings": str(embedding_cache_dir())},
        "decision_log": decision_log_address(),
        "libraries": {},
    }
    for name in LIBRARIES:
        try:
            report["libraries"][name] = pkg.version(name)
        except pkg.PackageNotFoundError:
            report["libraries"][name] = None
    try:
        folder = resolve(source)
        meta = read_metadata(folder)
        report["model"].update(
            folder=str(folder), version=meta.version, model_version=meta.model_version, agent=meta.agent
        )
        enc = meta.encoder
        report["encoder"] = {"name": enc.name, "id": enc.id, "trained_on": enc.runtime}
        report["encoder"].update(runtime_report(enc.name, enc.id, enc.runtime))
    except RouterError as err:
        report["model"]["error"] = str(err)
    return report


def doctor(model: ModelOption = None, json_out: JsonOption = False) -> None:
    """Print which model and encoder runtime will be used and why, where the model and caches are, and versions."""
    report = diagnose(model)
    if wants_json(json_out):
        emit(report)
        return
    m, enc = report["model"], report.get("encoder", {})
    rows = [
        ["router", report["router"]],
        ["model", f"{m['path']} ({m['why']})"],
        ["model version", f"{m.get('version')} {m.get('model_version', '')}" if "error" not in m else m["error"]],
        ["encoder", f"{enc.get('name')} trained on {enc.get('trained_on')}" if enc else "-"],
        ["runtime", f"{enc.get('runtime')}: {enc.get('why')}" if enc else "-"],
        ["ONNX export", enc.get("onnx_export", "-")],
        ["train publishes to", report["train_publishes_to"]],
        ["cache", report["cache"]["root"]],
        ["decision log", report["decision_log"] or "off"],
        ["python", report["python"]],
        *[[name, v or "not installed"] for name, v in report["libraries"].items()],
    ]
    print_table("router doctor", ["what", "value"], rows)


def prepare(model: ModelOption = None) -> None:
    """Make the default (or --model) model's ONNX export now, so every later call routes torch-free."""
    from router.artifacts.locations import default_model_path
    from router.artifacts.model_folder import read_metadata
    from router.artifacts.registry import resolve
    from router.encoders.catalog import prepare_export

    try:
        meta = read_metadata(resolve(model or default_model_path()))
        folder = prepare_export(meta.encoder.name, meta.encoder.id, meta.encoder.runtime)
    except RouterError as err:
        fail(err)
    runtime = "registered" if folder is None else meta.encoder.runtime
    emit({"encoder": meta.encoder.name, "runtime": runtime, "onnx_export": None if folder is None else str(folder)})
