"""Files for `router score` on Ray Data: any filesystem, JSONL read as numbered lines, JSONL lines written as is.

Paths are local or URIs: pyarrow's filesystems first (`s3://`, `gs://`, `hdfs://`, `file://`, ...),
then fsspec's (`abfs://`, `memory://`, ...), wrapped for pyarrow. JSONL is read as raw lines with their
numbers, so each row is checked by the same code, with the same messages, as `router route --input`;
it is written as the lines the actors produced. Parquet goes through Ray's own reader and writer.
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

#: Input and output formats, by file suffix.
FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
#: Lines per block read from a JSONL file (a block is what a read task hands on at once).
BLOCK_LINES = 4096
#: Bytes read from a JSONL file at a time.
CHUNK_BYTES = 1 << 22


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


def file_format(location: str, given: str | None) -> str:
    """`given`, else the format its suffix names; `DataError` when neither says."""
    if given is not None:
        if given not in set(FORMATS.values()):
            raise DataError(f"unknown format {given!r}; expected jsonl or parquet")
        return given
    found = FORMATS.get(Path(location.rstrip("/")).suffix.lower())
    if found is None:
        raise DataError(f"{location}: cannot tell the format from the name; give it (jsonl or parquet)")
    return found


def exists(fs: pafs.FileSystem, path: str) -> bool:
    """Whether anything (a file or a folder) is at `path`."""
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def split_lines(stream: pa.NativeFile) -> Iterator[bytes]:
    """The lines of a byte stream, split where Python's text files split them (LF, CRLF or CR), without ends."""
    rest = b""
    while chunk := stream.read(CHUNK_BYTES):
        parts = (rest + chunk).splitlines(keepends=True)
        # The last part may continue in the next chunk (a "\r" may be half of "\r\n").
        rest = parts.pop() if parts and not parts[-1].endswith(b"\n") else b""
        for part in parts:
            yield part.rstrip(b"\r\n")
    if rest:
        yield rest.rstrip(b"\r\n")


class JsonLinesSource(FileBasedDatasource):
    """JSONL files as rows of (file, line number, raw line); a line that is not UTF-8 reads as null."""

    def _read_stream(self, f: pa.NativeFile, path: str) -> Iterator[pa.Table]:
        numbers: list[int] = []
        lines: list[str | None] = []
        for number, raw in enumerate(split_lines(f), 1):
            try:
                line: str | None = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = None
            if line is not None and not line.strip():
                continue  # blank lines are skipped, and counted, as `router route --input` does
            numbers.append(number)
            lines.append(line)
            if len(lines) >= BLOCK_LINES:
                yield _lines_block(path, numbers, lines)
                numbers, lines = [], []
        if lines:
            yield _lines_block(path, numbers, lines)


def _lines_block(path: str, numbers: list[int], lines: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "file": pa.array([path] * len(lines), pa.string()),
            "line": pa.array(numbers, pa.int64()),
            "raw": pa.array(lines, pa.string()),
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
