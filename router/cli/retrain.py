"""`router retrain`: a candidate trained on the data plus new labels, promoted only past the gate."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from router.cli.options import DataDirOption, JsonOption, NoCacheOption, NoOnnxOption, RootOption
from router.cli.output import emit, fail, print_table, wants_json
from router.errors import RouterError
from router.settings import DATA_DIR


def retrain(
    model: RootOption = None,
    data_dir: DataDirOption = DATA_DIR,
    gate: Annotated[
        list[str] | None, typer.Option("--gate", help="Gate metric (repeat): f1, roc_auc, pr_auc, precision, ...")
    ] = None,
    tolerance: Annotated[float, typer.Option(min=0.0, help="How much worse a gate metric may get.")] = 0.0,
    holdout: Annotated[
        float, typer.Option(min=0.0, max=0.95, help="Share of new labels held back to judge the candidate.")
    ] = 0.2,
    encoder: Annotated[str | None, typer.Option(help="Encoder name or path (default: the current one's).")] = None,
    no_cache: NoCacheOption = False,
    no_onnx: NoOnnxOption = False,
    json_out: JsonOption = False,
) -> None:
    """Train a candidate on base data plus new labels; make it current only if no gate metric gets worse."""
    from router.artifacts.locations import default_model_path
    from router.artifacts.model_folder import read_metadata
    from router.artifacts.registry import version_folder
    from router.encoders.catalog import prepare_export
    from router.loop.retrain import GATE_METRICS, RetrainConfig
    from router.loop.retrain import retrain as run
    from router.settings import embedding_cache_dir

    gates = tuple(gate or ("f1", "roc_auc"))
    unknown = [g for g in gates if g not in GATE_METRICS]
    if unknown:
        raise typer.BadParameter(f"unknown metric(s) {unknown}; choose from {', '.join(GATE_METRICS)}")
    config = RetrainConfig(
        model=model or default_model_path(),
        data_dir=data_dir,
        gates=gates,
        tolerance=tolerance,
        holdout=holdout,
        encoder=encoder,
        cache_dir=None if no_cache else str(embedding_cache_dir()),
    )
    try:
        summary = run(config)
        if not no_onnx:
            meta = read_metadata(version_folder(config.model, summary["candidate"]["version"]))
            prepare_export(meta.encoder.name, meta.encoder.id, meta.encoder.runtime)
    except RouterError as err:
        fail(err)
    verdict = "promoted" if summary["promoted"] else "kept the current version"
    typer.echo(f"{summary['candidate']['version']}: {verdict}; " + "; ".join(summary["reasons"]), err=True)
    if wants_json(json_out):
        emit(
            {k: summary[k] for k in ("candidate", "promoted", "current", "previous", "reasons", "new_labels", "report")}
        )
    else:
        print_retrain(summary)


def print_retrain(summary: dict[str, Any]) -> None:
    """The candidate against the current model on each slice, and the verdict."""
    rows = []
    for name, entry in summary.get("slices", {}).items():
        if not entry.get("used"):
            continue
        for metric in ("precision", "recall", "f1", "roc_auc"):
            rows.append([f"{name} {metric}", entry.get("current", {}).get(metric), entry["candidate"].get(metric)])
    verdict = "promoted" if summary["promoted"] else "not promoted"
    print_table(
        f"retrain: candidate {summary['candidate']['version']} {verdict} (current: {summary['current']})",
        ["metric", "current", "candidate"],
        rows,
        [*summary["reasons"], f"report: {summary['report']}; --json for the summary"],
    )
