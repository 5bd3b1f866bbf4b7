"""Files for `router score` on Ray Data: any filesystem, JSONL read in numbered chunks, JSONL written as is.

Paths are local or URIs: pyarrow's filesystems first (`s3://`, `gs://`, `hdfs://`, `file://`, ...),
then fsspec's (`abfs://`, `memory://`, ...), wrapped for pyarrow. JSONL is read as raw lines with their
numbers, in the chunks `router route --input` routes together, so each row is checked by the same
code, with the same messages, and routed with the same neighbours; it is written as the lines the
actors produced. Parquet goes through Ray's own reader and writer.
Needs the `router[ray]` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
from ray.data.block import BlockAccessor
from ray.data.datasource import BlockBasedFileDatasink, FileBasedDatasource

from router.errors import DataError
from router.serving.rows import CHUNK, numbered_lines

#: Input and output formats, by file suffix.
FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def resolve(location: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path of a local path or URI (pyarrow's filesystems, else fsspec's)."""
    if "://" not in location:
        return pafs.LocalFileSystem(), str(Path(location).expanduser().resolve())
    try:
        return pafs.FileSystem.from_uri(location)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(location)
    except (ValueError, ImportError) as err:
        raise DataError(f"{location}: no filesystem for this address ({err})") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def file_format(location: str, given: str | None, fallback: str | None = None) -> str:
    """`given`, else the format the suffix names, else `fallback`; `DataError` when none says."""
    if given is not None:
        if given not in set(FORMATS.values()):
            raise DataError(f"unknown format {given!r}; expected jsonl or parquet")
        return given
    found = FORMATS.get(Path(location.rstrip("/")).suffix.lower()) or fallback
    if found is None:
        raise DataError(f"{location}: cannot tell the format from the name; give it (jsonl or parquet)")
    return found


def exists(fs: pafs.FileSystem, path: str) -> bool:
    """Whether anything (a file or a folder) is at `path`."""
    return fs.get_file_info(path).type != pafs.FileType.NotFound


class JsonLinesSource(FileBasedDatasource):
    """JSONL files as chunks: one row per `CHUNK` consecutive non-blank lines of a file (file, numbers, lines).

    A chunk is what `router route --input` routes in one call; as one row, Ray can never split it, so
    each chunk is routed whole, with the same neighbours. Lines are read by `route --input`'s own
    `numbered_lines` (blank ones skipped and counted) and kept as bytes for `parse_line` to decode.
    """

    _CHUNKS_PER_BLOCK = 64

    def _read_stream(self, f: pa.NativeFile, path: str) -> Iterator[pa.Table]:
        chunks: list[tuple[list[int], list[bytes]]] = []
        numbers: list[int] = []
        lines: list[bytes] = []
        for number, line in numbered_lines(f):
            numbers.append(number)
            lines.append(line)
            if len(lines) == CHUNK:
                chunks.append((numbers, lines))
                numbers, lines = [], []
                if len(chunks) == self._CHUNKS_PER_BLOCK:
                    yield _chunks_block(path, chunks)
                    chunks = []
        if lines:
            chunks.append((numbers, lines))
        if chunks:
            yield _chunks_block(path, chunks)


def _chunks_block(path: str, chunks: list[tuple[list[int], list[bytes]]]) -> pa.Table:
    return pa.table(
        {
            "file": pa.array([path] * len(chunks), pa.string()),
            "numbers": pa.array([n for n, _ in chunks], pa.list_(pa.int64())),
            "lines": pa.array([lines for _, lines in chunks], pa.list_(pa.binary())),
        }
    )


class JsonLinesSink(BlockBasedFileDatasink):
    """Writes the `line` column of each block, one JSON object per line, as UTF-8."""

    def __init__(self, path: str, filesystem: pafs.FileSystem) -> None:
        from ray.data import SaveMode

        super().__init__(path, filesystem=filesystem, file_format="jsonl", mode=SaveMode.ERROR)

    def write_block_to_file(self, block: BlockAccessor, file: pa.NativeFile) -> None:
        """Write one block's lines."""
        lines = block.to_arrow().column("line").to_pylist()
        file.write("".join(f"{line}\n" for line in lines).encode("utf-8"))
