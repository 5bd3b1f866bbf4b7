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


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"id": 1e400, "text": "Add an index"}', "a number too large for a double"),  # the stdlib reads inf
        (b'{"id": -1E999, "text": "Add an index"}', "a number too large for a double"),
        (b'{"id": ' + b"7" * 4301 + b', "text": "Add an index"}', "an integer with too many digits"),  # int() refuses
    ],
    ids=["1e400", "-1E999", "4301 digits"],
)
def test_a_number_json_cannot_carry_is_a_line_error(line, message):
    # Before: 1e400 was read as inf (and written back out as `Infinity`, which is no JSON), and a 4301-digit
    # integer raised a bare ValueError out of `route --input` and `router score`.
    row = rows.parse_line(line, 3)
    assert row.text is None and row.error == f"line 3: invalid JSON ({message})"


def test_numbers_a_double_holds_are_kept():
    row = rows.parse_line(b'{"id": [1e308, -1e-400, ' + b"7" * 4300 + b'], "text": "Add an index"}', 1)
    assert row.error is None and row.id == [1e308, -0.0, int("7" * 4300)]
