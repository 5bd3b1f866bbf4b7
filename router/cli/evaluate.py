"""`router eval`: metrics of a model on labeled data, the full report, or two models compared."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from router.cli.options import DataDirOption, ModelOption, NoCacheOption
from router.cli.output import emit, fail
from router.errors import RouterError
from router.settings import DATA_DIR


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
) -> None:
    """Print metrics as JSON; with --report-dir also write the full report, with --compare compare two models."""
    from router.artifacts.loader import load_router
    from router.dataset.examples import load_examples, resolve_data
    from router.evaluation.scoring import evaluate
    from router.settings import embedding_cache_dir

    if compare is not None and model is not None:
        raise typer.BadParameter("give --model or --compare, not both")
    try:
        examples = load_examples(resolve_data(data, data_dir))
        if compare is not None:
            from router.evaluation.compare import compare as compare_models
            from router.evaluation.compare import write_compare

            result = compare_models(load_router(compare[0]), load_router(compare[1]), examples, data)
            if report_dir is not None:
                write_compare(result, report_dir)
        elif report_dir is None:
            result = evaluate(load_router(model), examples)
        else:
            from router.evaluation.report import ReportConfig, collect, write_report

            cache = None if no_cache else str(embedding_cache_dir())
            config = ReportConfig(data_name=data, data_dir=data_dir, baselines=baselines, cache_dir=cache)
            result = write_report(collect(load_router(model), examples, config), report_dir)
            typer.echo(f"report written to {report_dir / 'report.html'}", err=True)
    except RouterError as err:
        fail(err)
    except OSError as err:
        fail(f"cannot write the report: {err}")
    emit(result)
