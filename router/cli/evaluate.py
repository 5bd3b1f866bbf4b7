"""`router eval`: metrics of a model on labeled data, the full report, or two models compared."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from router.cli.options import DataDirOption, EncoderRuntimeOption, JsonOption, ModelOption, NoCacheOption
from router.cli.output import emit, fail, print_table, wants_json
from router.errors import RouterError
from router.settings import DATA_DIR, DEFAULT_ENCODER
from router.training.config import TrainConfig


def eval_(
    data: Annotated[str, typer.Option("--data", help="A split name (train/dev/test) or a JSONL file.")] = "test",
    data_dir: DataDirOption = DATA_DIR,
    model: ModelOption = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Write metrics.json, report.md, report.html and figures here.")
    ] = None,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="With --report-dir: score the baselines too.")
    ] = True,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option("--compare", help="Compare two model folders on the same data (deltas, McNemar)."),
    ] = None,
    no_cache: NoCacheOption = False,
    transfer: Annotated[
        bool, typer.Option("--transfer", help="The transfer proxy: hold out whole kinds, writing passes, the voice.")
    ] = False,
    classifier: Annotated[
        str,
        typer.Option(help="With --transfer: svm-knn, svm-rbf, logreg or svm-rbf-balanced (default: training's)."),
    ] = TrainConfig.classifier,
    encoder: Annotated[str, typer.Option(help="With --transfer: encoder name or path.")] = DEFAULT_ENCODER,
    encoder_runtime: EncoderRuntimeOption = "fp32",
    json_out: JsonOption = False,
) -> None:
    """Print metrics as JSON; or write the full report, compare two models, or score the transfer proxy."""
    if transfer:
        run_transfer(data_dir, classifier, encoder, encoder_runtime, no_cache, json_out)
        return
    from router.artifacts.loader import load_router
    from router.dataset.examples import load_examples, resolve_data
    from router.evaluation.scoring import evaluate
    from router.settings import embedding_cache_dir

    if compare is not None and model is not None:
        raise typer.BadParameter("give --model or --compare, not both")
    try:
        examples = load_examples(resolve_data(data, data_dir))
        # Models are loaded with no decision log: labeled examples are not production decisions.
        if compare is not None:
            from router.evaluation.compare import compare as compare_models
            from router.evaluation.compare import write_compare

            result = compare_models(
                load_router(compare[0], log=None), load_router(compare[1], log=None), examples, data
            )
            if report_dir is not None:
                write_compare(result, report_dir)
        elif report_dir is None:
            result = evaluate(load_router(model, log=None), examples)
        else:
            from router.evaluation.report import ReportConfig, collect, write_report

            cache = None if no_cache else str(embedding_cache_dir())
            config = ReportConfig(data_name=data, data_dir=data_dir, baselines=baselines, cache_dir=cache)
            result = write_report(collect(load_router(model, log=None), examples, config), report_dir)
            typer.echo(f"report written to {report_dir / 'report.html'}", err=True)
    except RouterError as err:
        fail(err)
    except OSError as err:
        fail(f"cannot write the report: {err}")
    emit(result)


def run_transfer(data_dir: Path, classifier: str, encoder: str, runtime: str, no_cache: bool, json_out: bool) -> None:
    """Score one classifier on the transfer proxy over every split of DATA_DIR."""
    from router.dataset.agent import agent_file, parse_agent
    from router.dataset.examples import SPLITS, load_examples, resolve_data
    from router.encoders.embedder import SentenceEmbedder
    from router.settings import embedding_cache_dir
    from router.training.selection import CANDIDATES, make_classifier
    from router.training.transfer import transfer_proxy

    if classifier not in CANDIDATES:
        raise typer.BadParameter(f"choose one of {', '.join(CANDIDATES)}", param_hint="--classifier")
    try:
        ids = parse_agent(agent_file(data_dir)).ids
        examples = [ex for name in SPLITS for ex in load_examples(resolve_data(name, data_dir), ids)]
        cache = None if no_cache else str(embedding_cache_dir())
        X = SentenceEmbedder(encoder, cache_dir=cache, runtime=runtime).transform([ex.text for ex in examples])
        result = transfer_proxy(examples, X, make_classifier(classifier))
    except RouterError as err:
        fail(err)
    result["candidate"] = {"classifier": classifier, "encoder": encoder, "encoder_runtime": runtime}
    if wants_json(json_out):
        emit(result)
        return
    rows = []
    for scheme in ("kinds", "passes", "voice"):
        r = result[scheme]
        rows.append([scheme, r["groups"], r["n"], auc_cell(r["roc_auc"]), r["pr_auc"], r["best_threshold"]["f1"]])
    worst = ", ".join(f"{g['group']} {g['accuracy']:.2f}" for g in result["kinds"]["worst_groups"][:5])
    mean = result["mean_roc_auc"]
    print_table(
        f"transfer proxy: {classifier} on {encoder} ({runtime})",
        ["held out", "groups", "n", "ROC-AUC [95% CI]", "PR-AUC", "best-threshold F1"],
        rows,
        [f"mean ROC-AUC {'n/a' if mean is None else f'{mean:.3f}'}; hardest held-out kinds: {worst}"],
    )


def auc_cell(ci: dict[str, float | None]) -> str:
    """A ROC-AUC and its interval, or "n/a" where it is undefined (the held-out rows have one class)."""
    value, low, high = ci["value"], ci["low"], ci["high"]
    if value is None:
        return "n/a"
    return f"{value:.3f}" if low is None or high is None else f"{value:.3f} [{low:.3f}, {high:.3f}]"
