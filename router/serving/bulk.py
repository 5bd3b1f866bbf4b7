"""`router score`: route a whole file or folder of requests on Ray Data, for re-scoring history at scale.

Ray Data reads JSONL or Parquet (local, or any URI pyarrow or fsspec opens), runs `map_batches` on a
fixed pool of actors that each load the router once (ONNX runtime, one thread per reserved CPU), and
writes JSONL or Parquet files into a new output folder, in input order (file names sort in input
order). Each row is checked, routed and written as `router route --input` does it. With `compare`,
every row is routed by two models in the same pass and the flips are summarised. A local Ray is
started (small: no dashboard, a bounded object store) unless `address` names a cluster to join.
Needs the `router[ray]` extra.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import ray
import ray.data
from ray.data.aggregate import Count, Sum

from router.errors import DataError, ScoringError
from router.serving.flips import FlipSummary, summarise
from router.serving.ray_io import JsonLinesSink, JsonLinesSource, exists, file_format, resolve
from router.serving.rows import CHUNK
from router.serving.scorer import STATS, Scorer, load_scoring_router
from router.settings import (
    ENV_CACHE,
    ENV_PLUGINS,
    SCORE_BATCH_SIZE,
    SCORE_CPUS_PER_ACTOR,
    SCORE_OBJECT_STORE_BYTES,
)

#: Input columns a Parquet file may have that scoring reads (others are not read at all).
PARQUET_COLUMNS = ("id", "text", "kind", "criteria")


@dataclass(frozen=True)
class ScoreJob:
    """What to score, with which models, where to write, and on which Ray."""

    input: str
    output: str
    model: str | None = None
    compare: str | None = None
    input_format: str | None = None  # None: from the input's suffix
    output_format: str | None = None  # None: from the output's suffix, else the input's format
    address: str | None = None  # None: start a local Ray
    num_actors: int | None = None  # None: one per CPU Ray has, less one for reading and writing
    batch_size: int = SCORE_BATCH_SIZE


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring job did: rows in and out, where, how fast, and the flips when comparing."""

    rows: int
    errors: int
    output: str
    output_format: str
    actors: int
    seconds: float  # reading, routing and writing, after Ray is up
    model_version: str
    compare: FlipSummary | None

    @property
    def rows_per_second(self) -> float:
        """Throughput of the whole pass."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        summary: dict[str, Any] = {
            "rows": self.rows,
            "routed": self.rows - self.errors,
            "errors": self.errors,
            "output": self.output,
            "format": self.output_format,
            "actors": self.actors,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "model_version": self.model_version,
        }
        if self.compare is not None:
            summary["compare"] = self.compare.to_dict()
        return summary


def score(job: ScoreJob) -> ScoreResult:
    """Score `job.input` into the new folder `job.output`; `DataError` for bad paths, `ScoringError` if Ray fails."""
    in_format = file_format(job.input, job.input_format)
    out_format = file_format(job.output, job.output_format, fallback=in_format)
    in_fs, in_path = resolve(job.input)
    out_fs, out_path = resolve(job.output)
    if not exists(in_fs, in_path):
        raise DataError(f"{job.input}: no such file or folder")
    if exists(out_fs, out_path):
        raise DataError(f"{job.output}: already exists; give a new output folder")
    # Load each model here first: a bad model fails now, before Ray starts, and its ONNX export exists.
    model_version = load_scoring_router(job.model).metadata.model_version
    compare_version = load_scoring_router(job.compare).metadata.model_version if job.compare else ""
    with ray_session(job.address, job.num_actors):
        ray.data.DataContext.get_current().execution_options.preserve_order = True  # output in input order
        actors = job.num_actors or max(1, int(ray.cluster_resources().get("CPU", 2)) // SCORE_CPUS_PER_ACTOR - 1)
        start = time.perf_counter()
        try:
            scored = _scored(job, in_format, in_fs, in_path, out_format, actors).materialize()
            _write(scored.drop_columns(STATS.names), out_format, out_fs, out_path)
            counts = scored.aggregate(Count(), Sum("stat_error", alias_name="errors"))
            flips = summarise(scored, model_version, compare_version) if job.compare else None
        except ray.exceptions.RayError as err:
            raise ScoringError(f"the Ray job failed: {_last_line(err)}") from None
        seconds = time.perf_counter() - start
    return ScoreResult(
        rows=int(counts["count()"]),
        errors=int(counts["errors"] or 0),
        output=job.output,
        output_format=out_format,
        actors=actors,
        seconds=seconds,
        model_version=model_version,
        compare=flips,
    )


def _scored(job: ScoreJob, in_format: str, fs: Any, path: str, out_format: str, actors: int) -> ray.data.Dataset:
    """The input routed by the actor pool: output columns and `stat_*` columns, one row per input row."""
    source, id_type, many_files = _read(in_format, fs, path)
    # Rows per call (a JSONL row is a chunk of lines): small blocks of one call each let the pool balance
    # the work, so no actor is left with a long tail.
    per_call = max(1, job.batch_size // CHUNK) if in_format == "jsonl" else job.batch_size
    return source.repartition(target_num_rows_per_block=per_call).map_batches(
        Scorer,
        fn_constructor_kwargs={
            "model": job.model,
            "compare": job.compare,
            "output_format": out_format,
            "id_type": id_type,
            "name_files": many_files,
            "cpus": SCORE_CPUS_PER_ACTOR,
        },
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=per_call,
        batch_format="pyarrow",
        num_cpus=SCORE_CPUS_PER_ACTOR,
    )


@contextmanager
def ray_session(address: str | None, num_actors: int | None) -> Iterator[None]:
    """Ray for the job: joined when already up or at `address`, else a small local one, shut down after."""
    if ray.is_initialized():
        yield
        return
    forwarded = {k: os.environ[k] for k in (ENV_PLUGINS, ENV_CACHE) if k in os.environ}
    options: dict[str, Any] = {
        "logging_level": logging.WARNING if address is not None else logging.ERROR,
        "log_to_driver": False,
        "runtime_env": {"env_vars": forwarded} if forwarded else None,
    }
    try:
        if address is not None:
            ray.init(address=address, **options)
        else:
            cpus = max(os.cpu_count() or 1, (num_actors or 0) * SCORE_CPUS_PER_ACTOR) + 1  # +1: reads and writes
            ray.init(num_cpus=cpus, object_store_memory=SCORE_OBJECT_STORE_BYTES, include_dashboard=False, **options)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ScoringError(f"cannot start or join Ray ({err})") from None
    _quiet_ray_data()
    try:
        yield
    finally:
        ray.shutdown()


def _quiet_ray_data() -> None:
    """Progress bars and Ray Data's warnings on a terminal; only its errors elsewhere (CI logs, pipes)."""
    terminal = sys.stderr.isatty()
    ray.data.DataContext.get_current().enable_progress_bars = terminal
    logging.getLogger("ray.data").setLevel(logging.WARNING if terminal else logging.ERROR)


def _read(fmt: str, fs: Any, path: str) -> tuple[ray.data.Dataset, pa.DataType, bool]:
    """The input, the type of its ids in Parquet output, and whether it is several files."""
    if fmt == "jsonl":
        source = ray.data.read_datasource(JsonLinesSource(path, filesystem=fs))
        return source, pa.string(), len(source.input_files()) > 1
    source = ray.data.read_parquet(path, filesystem=fs)
    schema = source.schema()
    names = list(schema.names) if schema is not None else []
    source = source.select_columns([c for c in PARQUET_COLUMNS if c in names])
    id_type = schema.base_schema.field("id").type if schema is not None and "id" in names else pa.string()
    return source, id_type, len(source.input_files()) > 1


def _write(rows: ray.data.Dataset, fmt: str, fs: Any, path: str) -> None:
    if fmt == "jsonl":
        rows.write_datasink(JsonLinesSink(path, fs))
    else:
        from ray.data import SaveMode

        rows.write_parquet(path, filesystem=fs, mode=SaveMode.ERROR)


def _last_line(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__
