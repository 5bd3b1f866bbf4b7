"""`numbered_lines`: how `route --input` and `router score` split, number and skip the lines of a file."""

import io

import pytest

from router.serving import rows
from router.serving.rows import numbered_lines

RAW = b'{"a": 1}\r\n\r\n  \t\n{"b": 2}\n\xc2\xa0\n{"c":\r3}\r\n{"d": 4}'
EXPECTED = [(1, b'{"a": 1}'), (4, b'{"b": 2}'), (5, b"\xc2\xa0"), (6, b'{"c":\r3}'), (7, b'{"d": 4}')]


@pytest.mark.parametrize("read_bytes", [1, 2, 3, 7, 1 << 22])
def test_lines_are_split_on_lf_numbered_from_one_and_blank_ones_skipped(monkeypatch, read_bytes):
    monkeypatch.setattr(rows, "READ_BYTES", read_bytes)  # chunk edges anywhere, a CRLF split between two
    assert list(numbered_lines(io.BytesIO(RAW))) == EXPECTED


def test_an_empty_or_blank_file_has_no_lines():
    assert list(numbered_lines(io.BytesIO(b""))) == []
    assert list(numbered_lines(io.BytesIO(b"\n \r\n\t"))) == []
