"""The actor behind `router score`: loads the router once, then turns batches of input rows into output rows.

Rows are read, checked and written as `router route --input` does (`router.serving.rows`); a JSONL
output row is the very line it would write. With a second model, each text is routed by both and the
row carries the second decision under `compare`, and `flipped`. Beside the output, each row carries
`stat_*` columns the job counts errors and flips from; they are not written.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pyarrow as pa

from router.artifacts.loader import load_router
from router.core.decision import Decision
from router.core.router import Router
from router.serving.rows import CHUNK, InputRow, output_record, parse_line, parse_record, route_rows
from router.settings import ENV_THREADS

_CRITERIA = pa.list_(pa.struct([("id", pa.string()), ("title", pa.string()), ("score", pa.float64())]))
DECISION_FIELDS = [
    pa.field("agent", pa.string()),
    pa.field("delegate", pa.bool_()),
    pa.field("probability", pa.float64()),
    pa.field("threshold", pa.float64()),
    pa.field("uncertain", pa.bool_()),
    pa.field("criteria", _CRITERIA),
    pa.field("model_version", pa.string()),
]
STATS = pa.schema(
    [
        pa.field("stat_error", pa.int64()),  # 1 for an error row
        pa.field("stat_up", pa.int64()),  # 1 when the compared model delegates and the first does not
        pa.field("stat_down", pa.int64()),  # 1 when the first model delegates and the compared one does not
        pa.field("stat_kind", pa.string()),  # the input's `kind`
        pa.field("stat_criteria", pa.list_(pa.string())),  # the input's `criteria`
    ]
)


def output_schema(id_type: pa.DataType, compare: bool) -> pa.Schema:
    """Parquet output columns: the input's id, the text, the decision fields, the error; `compare`, `flipped`."""
    fields = [pa.field("id", id_type), pa.field("text", pa.string()), *DECISION_FIELDS, pa.field("error", pa.string())]
    if compare:
        fields += [pa.field("compare", pa.struct(DECISION_FIELDS)), pa.field("flipped", pa.bool_())]
    return pa.schema(fields)


def load_scoring_router(model: str | None) -> Router:
    """A router on the ONNX runtime that logs nothing (re-scoring is not traffic): no decision log is opened."""
    return load_router(model, backend="onnx", log=None)


class Scorer:
    """The `map_batches` callable: each actor builds one (or two) routers, then routes batch after batch."""

    def __init__(
        self,
        model: str | None,
        compare: str | None,
        output_format: str,
        id_type: pa.DataType,
        name_files: bool,
        cpus: int,
    ) -> None:
        os.environ[ENV_THREADS] = str(cpus)  # this actor's process: onnxruntime uses the CPUs it reserved
        self.router = load_scoring_router(model)
        self.other = load_scoring_router(compare) if compare is not None else None
        self.output_format = output_format
        self.schema = output_schema(id_type, compare is not None)
        self.name_files = name_files

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Route a batch of input (rows, or JSONL chunks of rows); one output row per input row, in order."""
        records: list[dict[str, Any]] = []
        stats: list[dict[str, Any]] = []
        for group in self._groups(batch):
            first = route_rows(self.router, group)
            second = route_rows(self.other, group) if self.other is not None else [None] * len(group)
            for row, a, b in zip(group, first, second):
                records.append(_record(row, a, b))
                stats.append(_stats(row, a, b))
        return pa.Table.from_arrays(
            [*self._output(records).columns, *pa.Table.from_pylist(stats, schema=STATS).columns],
            names=[*self._output_names(), *STATS.names],
        )

    def _groups(self, batch: pa.Table) -> list[list[InputRow]]:
        """The batch's rows, in the groups routed together: JSONL's chunks as read, else `CHUNK` rows."""
        if "lines" not in batch.column_names:  # Parquet: records of typed columns
            rows = [parse_record(obj) for obj in batch.to_pylist()]
            return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
        columns = (batch.column(c).to_pylist() for c in ("file", "numbers", "lines"))
        return [[self._line(file, n, raw) for n, raw in zip(numbers, lines)] for file, numbers, lines in zip(*columns)]

    def _line(self, file: str, number: int, raw: bytes) -> InputRow:
        row = parse_line(raw, number)
        if self.name_files and row.error is not None:
            return InputRow(row.id, None, f"{file}: {row.error}")
        return row

    def _output_names(self) -> list[str]:
        return ["line"] if self.output_format == "jsonl" else self.schema.names

    def _output(self, records: list[dict[str, Any]]) -> pa.Table:
        if self.output_format == "jsonl":
            lines = [json.dumps(r, ensure_ascii=False) for r in records]
            return pa.table({"line": pa.array(lines, pa.string())})
        if pa.types.is_string(self.schema.field("id").type):
            records = [{**r, "id": _text_id(r["id"])} for r in records]
        return pa.Table.from_pylist(records, schema=self.schema)


def _record(row: InputRow, a: Decision | None, b: Decision | None) -> dict[str, Any]:
    record = output_record(row, a)
    if a is not None and b is not None:
        record["compare"] = b.to_dict()
        record["flipped"] = a.delegate != b.delegate
    return record


def _stats(row: InputRow, a: Decision | None, b: Decision | None) -> dict[str, Any]:
    flip = a is not None and b is not None and a.delegate != b.delegate
    return {
        "stat_error": int(a is None),
        "stat_up": int(flip and b is not None and b.delegate),
        "stat_down": int(flip and a is not None and a.delegate),
        "stat_kind": row.kind,
        "stat_criteria": list(row.criteria),
    }


def _text_id(value: Any) -> str | None:
    """An id as text for a string column: strings as they are, other JSON values as their JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
