"""`router score`: re-score a file or folder of requests on Ray (local or a cluster), optionally against model B."""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.options import ModelOption
from router.cli.output import emit, fail
from router.errors import MissingExtraError, RouterError
from router.settings import SCORE_BATCH_SIZE


def score(
    input: Annotated[str, typer.Option("--input", help="JSONL or Parquet file or folder: a path or a URI (s3://...).")],
    output: Annotated[str, typer.Option("--output", help="New folder for the decision files (path or URI).")],
    model: ModelOption = None,
    compare: Annotated[
        str | None, typer.Option("--compare", help="Second model (MODEL_B): score with both, summarise the flips.")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Join this Ray cluster (e.g. ray://head:10001); default: local.")
    ] = None,
    num_actors: Annotated[
        int | None, typer.Option("--num-actors", min=1, help="Scoring actors (default: one per CPU, less one).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per actor call.")] = SCORE_BATCH_SIZE,
    input_format: Annotated[
        str | None, typer.Option("--input-format", help="jsonl or parquet (default: from the input's suffix).")
    ] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", help="jsonl or parquet (default: the output's suffix, else the input's).")
    ] = None,
) -> None:
    """Route every row of --input on Ray Data and write one decision per row (errors as `route --input` does)."""
    try:
        from router.serving.bulk import ScoreJob
        from router.serving.bulk import score as run
    except ImportError as err:
        fail(MissingExtraError(f"router score needs Ray ({err}): pip install 'router[ray]'"))
    job = ScoreJob(
        input=input,
        output=output,
        model=str(model) if model is not None else None,
        compare=compare,
        input_format=input_format,
        output_format=output_format,
        address=address,
        num_actors=num_actors,
        batch_size=batch_size,
    )
    try:
        result = run(job)
    except RouterError as err:
        fail(err)
    emit(result.to_dict())
    if result.errors:
        fail(f"{result.errors} input row(s) could not be routed")
