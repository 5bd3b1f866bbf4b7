"""CLI of the learning loop: `feedback`, `label import`, `review`, `retrain`, `models ...`.

Import-light: each command imports what it needs when it runs. `register(app)` adds them to `router`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from router.cli_io import emit, fail
from router.errors import RouterError

if TYPE_CHECKING:
    from router.decision_log import LoggedDecision

LogOption = Annotated[
    Path | None,
    typer.Option("--log", envvar="ROUTER_DECISION_LOG", help="Decision log (SQLite; default ROUTER_DECISION_LOG)."),
]
DataDir = Annotated[Path, typer.Option("--data-dir", help="Data folder; new labels go to its feedback/.")]
RootOption = Annotated[
    Path | None,
    typer.Option("--model", help="Model registry root (default: ROUTER_MODEL or the shipped model)."),
]

label_app = typer.Typer(help="Add labels from elsewhere.", no_args_is_help=True)
models_app = typer.Typer(help="Numbered model versions and the current one.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the loop's commands to the `router` app."""
    app.command()(feedback)
    app.add_typer(label_app, name="label")
    app.command()(review)
    app.command()(retrain)
    app.add_typer(models_app, name="models")


def _root(model: Path | None) -> Path:
    from router.inference import default_model_path

    return model if model is not None else default_model_path()


def feedback(
    decision_id: Annotated[str, typer.Argument(help="A logged decision's id (or the text itself).")],
    label: Annotated[int, typer.Option("--label", min=0, max=1, help="1: delegate to the agent; 0: do not.")],
    criteria: Annotated[
        list[str] | None, typer.Option("--criteria", help="Criterion id (repeat); label 1 defaults to the model's.")
    ] = None,
    log: LogOption = None,
    data_dir: DataDir = Path("data"),
) -> None:
    """Label a logged decision; the label is appended to DATA_DIR/feedback/feedback.jsonl."""
    from router.feedback import record_feedback

    try:
        result = record_feedback(decision_id, label, criteria or (), log=log, data_dir=data_dir)
    except RouterError as err:
        fail(err)
    for note in result.duplicates:
        typer.echo(f"note: {note}", err=True)
    status = "added" if result.added else "duplicate"
    emit({"status": status, "file": str(result.path), "label": label})


@label_app.command("import")
def label_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL in the data schema.")],
    data_dir: DataDir = Path("data"),
) -> None:
    """Append FILE's labels to DATA_DIR/feedback/imported.jsonl; exit 1 if any line failed or conflicted."""
    from router.feedback import import_labels

    try:
        result = import_labels(file, data_dir)
    except RouterError as err:
        fail(err)
    for note in result.duplicates:
        typer.echo(f"note: {note}", err=True)
    for where, problem in result.errors:
        typer.echo(f"error: {where}: {problem}", err=True)
    emit(result.summary())
    if result.errors:
        raise typer.Exit(1)


def review(
    log: LogOption = None,
    data_dir: DataDir = Path("data"),
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N decisions.")] = None,
    export: Annotated[Path | None, typer.Option("--export", help="Write the queue as JSONL instead of asking.")] = None,
) -> None:
    """Label logged decisions most worth it (uncertain first, then near the threshold): y / n / s(kip) / q(uit)."""
    from router.review import export_queue, review_queue

    if log is None:
        raise typer.BadParameter("give --log or set ROUTER_DECISION_LOG", param_hint="--log")
    try:
        queue = review_queue(log, data_dir, limit)
        if export is not None:
            export_queue(queue, export)
            emit({"exported": len(queue), "file": str(export)})
            return
    except RouterError as err:
        fail(err)
    except OSError as err:
        fail(RouterError(f"{export}: cannot write ({err.strerror})"))
    counts = {"queued": len(queue), "labeled": 0, "skipped": 0, "conflicts": 0}
    for i, decision in enumerate(queue, 1):
        answer = _ask(decision, i, len(queue))
        if answer == "q":
            break
        if answer == "s":
            counts["skipped"] += 1
            continue
        counts[_label(decision, answer, log, data_dir)] += 1
    emit(counts)


def _ask(decision: LoggedDecision, i: int, n: int) -> str:
    flags = "uncertain, " if decision.uncertain else ""
    said = "delegate" if decision.delegate else "not"
    typer.echo(
        f"\n[{i}/{n}] p={decision.probability:.3f} ({flags}threshold {decision.threshold}, model said {said}) "
        f"criteria: {', '.join(decision.criterion_ids) or '-'}",
        err=True,
    )
    typer.echo(decision.text, err=True)
    while True:
        answer = str(typer.prompt("delegate? y/n/s/q", err=True)).strip().lower()[:1]
        if answer in ("y", "n", "s", "q"):
            return answer


def _label(decision: LoggedDecision, answer: str, log: Path, data_dir: Path) -> str:
    from router.feedback import record_feedback
    from router.spec import CRITERIA

    criteria: list[str] = []
    while answer == "y":
        default = ",".join(decision.criterion_ids)
        raw = str(typer.prompt(f"criteria ({', '.join(CRITERIA)})", default=default, err=True))
        criteria = [c.strip() for c in raw.replace(" ", ",").split(",") if c.strip()]
        unknown = [c for c in criteria if c not in CRITERIA]
        if criteria and not unknown:
            break
        typer.echo(f"unknown criteria {unknown}" if unknown else "label 1 needs at least one criterion", err=True)
    try:
        result = record_feedback(decision.decision_id, int(answer == "y"), criteria, log=log, data_dir=data_dir)
    except RouterError as err:
        typer.echo(f"error: {err}", err=True)
        return "conflicts"
    return "labeled" if result.added else "skipped"


def retrain(
    model: RootOption = None,
    data_dir: DataDir = Path("data"),
    gate: Annotated[
        list[str] | None, typer.Option("--gate", help="Gate metric (repeat): f1, roc_auc, pr_auc, precision, ...")
    ] = None,
    tolerance: Annotated[float, typer.Option(min=0.0, help="How much worse a gate metric may get.")] = 0.0,
    holdout: Annotated[
        float, typer.Option(min=0.0, max=0.95, help="Share of new labels held back to judge the candidate.")
    ] = 0.2,
    encoder: Annotated[str | None, typer.Option(help="Encoder name or path (default: the current one's).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache embeddings.")] = False,
    no_onnx: Annotated[bool, typer.Option("--no-onnx", help="Skip the ONNX export of the encoder.")] = False,
) -> None:
    """Train a candidate on base data plus new labels; make it current only if no gate metric gets worse."""
    from router.embedding import default_cache_dir
    from router.retrain import GATE_METRICS, RetrainConfig
    from router.retrain import retrain as run

    gates = tuple(gate or ("f1", "roc_auc"))
    unknown = [g for g in gates if g not in GATE_METRICS]
    if unknown:
        raise typer.BadParameter(f"unknown metric(s) {unknown}; choose from {', '.join(GATE_METRICS)}")
    config = RetrainConfig(
        model=_root(model),
        data_dir=data_dir,
        gates=gates,
        tolerance=tolerance,
        holdout=holdout,
        encoder=encoder,
        cache_dir=None if no_cache else str(default_cache_dir()),
        onnx=not no_onnx,
    )
    try:
        summary = run(config)
    except RouterError as err:
        fail(err)
    verdict = "promoted" if summary["promoted"] else "kept the current version"
    typer.echo(f"{summary['candidate']['version']}: {verdict}; " + "; ".join(summary["reasons"]), err=True)
    emit({k: summary[k] for k in ("candidate", "promoted", "current", "previous", "reasons", "new_labels", "report")})


@models_app.command("list")
def models_list(model: RootOption = None) -> None:
    """The versions (oldest first), which one is current, and their test metrics."""
    from router import registry
    from router.persistence import read_metadata

    root = _root(model)
    try:
        if not registry.is_registry(root):
            raise RouterError(f"{root}: not a model registry")
        current = registry.current_or_none(root)
        rows = []
        for version in registry.versions(root):
            meta = read_metadata(registry.version_folder(root, version))
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
    import json

    from router import registry
    from router.persistence import read_metadata

    root = _root(model)
    try:
        folder = registry.version_folder(root, version)
        meta = read_metadata(folder)
        report = folder / registry.REPORT_JSON
        if report.is_file():
            meta["retrain_report"] = json.loads(report.read_text(encoding="utf-8"))
        meta["current"] = registry.current_or_none(root) == version
    except RouterError as err:
        fail(err)
    emit(meta)


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="e.g. v0003")], model: RootOption = None) -> None:
    """Make VERSION the current one (a running router picks it up with Router.reload())."""
    from router import registry

    try:
        previous, current = registry.promote(_root(model), version)
    except RouterError as err:
        fail(err)
    emit({"previous": previous, "current": current})


@models_app.command("rollback")
def models_rollback(model: RootOption = None) -> None:
    """Go back to the version that was current before the last switch."""
    from router import registry

    try:
        previous, current = registry.rollback(_root(model))
    except RouterError as err:
        fail(err)
    emit({"previous": previous, "current": current})
