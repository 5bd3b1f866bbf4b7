"""`router feedback`, `router label import` and `router review`: new labels, appended to the data folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from router.cli.options import DataDirOption, LogOption, required_log
from router.cli.output import emit, fail
from router.errors import RouterError
from router.settings import DATA_DIR

if TYPE_CHECKING:
    from router.decision_log.base import LoggedDecision
    from router.loop.review import ReviewSession

label_app = typer.Typer(help="Add labels from elsewhere.", no_args_is_help=True)


def feedback(
    decision_id: Annotated[str, typer.Argument(help="A logged decision's id (or the text itself).")],
    label: Annotated[int, typer.Option("--label", min=0, max=1, help="1: delegate to the agent; 0: do not.")],
    criteria: Annotated[
        list[str] | None, typer.Option("--criteria", help="Criterion id (repeat); label 1 defaults to the model's.")
    ] = None,
    log: LogOption = None,
    data_dir: DataDirOption = DATA_DIR,
) -> None:
    """Label a logged decision; the label is appended to DATA_DIR/feedback/feedback.jsonl."""
    from router.loop.feedback import record_feedback

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
    data_dir: DataDirOption = DATA_DIR,
) -> None:
    """Append FILE's labels to DATA_DIR/feedback/imported.jsonl; exit 1 if any line failed or conflicted."""
    from router.loop.feedback import import_labels

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
    data_dir: DataDirOption = DATA_DIR,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N decisions.")] = None,
    export: Annotated[Path | None, typer.Option("--export", help="Write the queue as JSONL instead of asking.")] = None,
) -> None:
    """Label logged decisions most worth it (uncertain first, then near the threshold): y / n / s(kip) / q(uit)."""
    from router.loop.review import ReviewSession, export_queue

    log = required_log(log)
    try:
        session = ReviewSession(log, data_dir)  # the log opened and the data folder parsed once
        queue = session.queue(limit)
        if export is not None:
            export_queue(queue, export)
            emit({"exported": len(queue), "file": str(export)})
            return
    except RouterError as err:
        fail(err)
    counts = {"queued": len(queue), "labeled": 0, "skipped": 0, "conflicts": 0}
    for i, decision in enumerate(queue, 1):
        answer = _ask(decision, i, len(queue))
        if answer == "q":
            break
        if answer == "s":
            counts["skipped"] += 1
            continue
        counts[_label(session, decision, answer)] += 1
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


def _label(session: ReviewSession, decision: LoggedDecision, answer: str) -> str:
    known = list(session.criteria_ids or [])
    criteria: list[str] = []
    while answer == "y":
        default = ",".join(decision.criterion_ids)
        raw = str(typer.prompt(f"criteria ({', '.join(known) or 'ids'})", default=default, err=True))
        criteria = [c.strip() for c in raw.replace(" ", ",").split(",") if c.strip()]
        unknown = [c for c in criteria if known and c not in known]
        if criteria and not unknown:
            break
        typer.echo(f"unknown criteria {unknown}" if unknown else "label 1 needs at least one criterion", err=True)
    try:
        result = session.label(decision, int(answer == "y"), criteria)
    except RouterError as err:
        typer.echo(f"error: {err}", err=True)
        return "conflicts"
    return "labeled" if result.added else "skipped"
