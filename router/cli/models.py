"""`router models list|show|promote|rollback`: the registry's versions and which one is current."""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.options import RootOption
from router.cli.output import emit, fail
from router.errors import DataError, RouterError

models_app = typer.Typer(help="Numbered model versions and the current one.", no_args_is_help=True)


@models_app.command("list")
def models_list(model: RootOption = None) -> None:
    """The versions (oldest first), which one is current, and their test metrics."""
    from router.artifacts import registry
    from router.artifacts.locations import default_model_path
    from router.artifacts.model_folder import read_metadata_json

    root = model or default_model_path()
    try:
        if not registry.is_registry(root):
            raise RouterError(f"{root}: not a model registry")
        current = registry.current_or_none(root)
        rows = []
        for version in registry.versions(root):
            meta = read_metadata_json(registry.version_folder(root, version))
            test = meta.get("metrics", {}).get("test", {})
            rows.append(
                {
                    "version": version,
                    "current": version == current,
                    "model_version": meta.get("model_version"),
                    "created_at": meta.get("created_at"),
                    "train_n": meta.get("training_data", {}).get("counts", {}).get("train", {}).get("n"),
                    "test_f1": test.get("f1"),
                    "test_roc_auc": test.get("roc_auc"),
                }
            )
    except RouterError as err:
        fail(err)
    emit({"root": str(root), "current": current, "versions": rows})


@models_app.command("show")
def models_show(version: Annotated[str, typer.Argument(help="e.g. v0003")], model: RootOption = None) -> None:
    """A version's metadata (and its retrain report, if it has one)."""
    from router.artifacts import registry
    from router.artifacts.digests import read_regular
    from router.artifacts.locations import default_model_path
    from router.artifacts.model_folder import MAX_METADATA_BYTES, read_metadata_json
    from router.jsonl import decode_line, loads

    root = model or default_model_path()
    try:
        folder = registry.version_folder(root, version)
        meta = read_metadata_json(folder)
        report = folder / registry.REPORT_JSON
        if report.is_file():
            try:  # read as metadata.json is: a regular file, bounded, strict JSON
                meta["retrain_report"] = loads(decode_line(read_regular(report, MAX_METADATA_BYTES)))
            except DataError as err:
                raise DataError(f"{report}: unreadable retrain report ({err})") from None
        meta["current"] = registry.current_or_none(root) == version
    except RouterError as err:
        fail(err)
    emit(meta)


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="e.g. v0003")], model: RootOption = None) -> None:
    """Make VERSION the current one (a running router picks it up with Router.reload())."""
    from router.artifacts import registry
    from router.artifacts.locations import default_model_path

    try:
        previous, current = registry.promote(model or default_model_path(), version)
    except RouterError as err:
        fail(err)
    emit({"previous": previous, "current": current})


@models_app.command("rollback")
def models_rollback(model: RootOption = None) -> None:
    """Go back to the version that was current before the last switch."""
    from router.artifacts import registry
    from router.artifacts.locations import default_model_path

    try:
        previous, current = registry.rollback(model or default_model_path())
    except RouterError as err:
        fail(err)
    emit({"previous": previous, "current": current})
