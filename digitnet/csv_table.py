"""An all-integer CSV held in memory -> uint8 [rows, columns], in time and memory bounded by its size, or one line
saying what is wrong, where, and what to do.

The bounds hold for any bytes, malformed ones included:

1. `inspect_head` looks at the file's first megabyte before the rest is even read. It refuses what is not CSV
   text (gzip, ZIP or .xlsx, an old .xls, UTF-16/32 text, anything with NUL bytes), a first line too long to be
   a row (rows joined onto one line), values separated by tabs or semicolons, and finds the header and the
   column count, which the caller checks before anything is allocated per column.
2. `parse_table` parses line-aligned pieces of at most `FAST_PIECE_BYTES` with pyarrow's multi-threaded parser
   straight into uint8, into one result allocated up front (at most half the file's size: every value takes a
   digit and a separator). pyarrow needs about five bytes a value while it parses, so it only ever sees a piece.
3. Only a piece that fails is parsed again in smaller pieces of at most `PIECE_BYTES`, as float64
   (so ``255.0`` and numpy's ``2.55e+02`` are accepted), each piece checked and turned into uint8 before the
   next. A piece pyarrow cannot parse is halved until it is a few lines, which are walked cell by cell for the
   exact line and column: the costly walk never sees more than `WALK_BYTES`.

Lines are physical lines (a row per line; quoted values may not span lines), numbered from 1 as an editor
shows them, columns from 1.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from digitnet.errors import DigitnetError, where

HEAD_BYTES = 1 << 20  # inspected before the rest of the file is read
MAX_LINE_BYTES = 256 << 10  # 785 values as numpy's "%.18e" take 20 KB; a longer line is not one row
FAST_PIECE_BYTES = 32 << 20  # pyarrow needs ~5 bytes a value while parsing: parsed in pieces, it stays bounded
PIECE_BYTES = 4 << 20  # the slow path's pieces: a float64 piece costs at most 16 MB
WALK_BYTES = 16 << 10  # a failing piece is halved down to this before walking it cell by cell
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII only: float() takes "١٢"
_BOM = b"\xef\xbb\xbf"  # Excel's "CSV UTF-8" starts with it
_FORMATS = (  # (magic bytes, what the file is, what to do)
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip)"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)", "save it as CSV (comma delimited) or unzip it"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook", "save it as CSV (comma delimited)"),
    (b"BZh", "bzip2-compressed", "decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (unzstd)"),
    (b"\xff\xfe\x00\x00", "UTF-32 text", "save it as 'CSV UTF-8 (comma delimited)'"),
    (b"\xff\xfe", "UTF-16 text (what Excel's 'Unicode Text' writes)", "save it as 'CSV UTF-8 (comma delimited)'"),
    (b"\xfe\xff", "UTF-16 text", "save it as 'CSV UTF-8 (comma delimited)'"),
)


@dataclass(frozen=True)
class Layout:
    """What `inspect_head` found.

    Attributes:
        header: the header's cells when the first line is one (every cell non-numeric), else None.
        columns: values in the first data line.
        start: byte offset of the first data line (after the BOM and header).
        first_line: that line's number (1, or 2 after a header).
    """

    header: list[str] | None
    columns: int
    start: int
    first_line: int


def quote(text: str, limit: int = 24) -> str:
    """`text` as repr() shows it, cut to `limit` characters: a message never carries a whole line."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _after_line(data: bytes | bytearray, position: int, limit: int) -> int:
    """Offset just after the first line end (\\n, \\r\\n or a lone \\r, as pyarrow and editors count them) in
    data[position:limit]; -1 if there is none."""
    ends = [found for found in (data.find(b"\n", position, limit), data.find(b"\r", position, limit)) if found >= 0]
    return _past(data, min(ends)) if ends else -1


def _after_last_line(data: bytes | bytearray, position: int, limit: int) -> int:
    """Offset just after the last line end in data[position:limit]; -1 if there is none."""
    found = max(data.rfind(b"\n", position, limit), data.rfind(b"\r", position, limit))
    return _past(data, found) if found >= 0 else -1


def _past(data: bytes | bytearray, index: int) -> int:
    return index + 2 if data[index] == 13 and data[index + 1 : index + 2] == b"\n" else index + 1


def count_lines(data: bytes | bytearray, start: int, end: int) -> int:
    """Line ends in data[start:end] (which must not cut a \\r\\n in two)."""
    newlines = data.count(b"\n", start, end)
    if data.find(b"\r", start, end) < 0:  # the usual case, and a fast one: no carriage return at all
        return newlines
    return newlines + data.count(b"\r", start, end) - data.count(b"\r\n", start, end)


def _line(path, head: bytes, start: int, complete: bool, number: int, expected: str) -> int:
    """The end of line `number`, which starts at `start` in `head`; refuses a line too long to be a row."""
    end = _after_line(head, start, start + MAX_LINE_BYTES + 2)
    if end < 0:
        if not (complete and len(head) - start <= MAX_LINE_BYTES):
            raise _refuse_long_line(path, number, head[start : start + MAX_LINE_BYTES], expected)
        end = len(head)
    return end


def _refuse_long_line(path, line: int, sample: bytes, expected: str) -> DigitnetError:
    values = max(sample.count(b","), sample.count(b";"), sample.count(b"\t")) + 1
    return DigitnetError(
        f"{where(path, line)}: longer than {MAX_LINE_BYTES >> 10} KB without a line break (at least {values} "
        f"values; expected {expected}): were the rows joined onto one line? Write one row per line")


def _check_text(path, head: bytes) -> None:
    for magic, kind, advice in _FORMATS:
        if head.startswith(magic):
            raise DigitnetError(f"{path}: is {kind}, not a CSV text file: {advice}")
    if b"\x00" in head:
        even, odd = head[0:4096:2].count(0), head[1:4096:2].count(0)
        if min(even, odd) * 4 < max(even, odd) and max(even, odd) > len(head[:4096]) // 4:
            raise DigitnetError(f"{path}: is UTF-16 text without a byte-order mark, not UTF-8: save it as "
                                "'CSV UTF-8 (comma delimited)'")
        raise DigitnetError(f"{path}: is a binary file (it contains NUL bytes), not a CSV text file")


def _check_separator(path, line: int, text: str) -> None:
    counts = {",": text.count(","), ";": text.count(";"), "\t": text.count("\t")}
    found = max(counts, key=counts.get)
    if found != "," and counts[found] > counts[","]:
        name = {"\t": "tabs", ";": "semicolons"}[found]
        why = " (a spreadsheet set to a language that writes decimal commas does this)" if found == ";" else ""
        raise DigitnetError(f"{where(path, line)}: values are separated by {name}, not commas{why}: save the file "
                            "as comma-separated CSV")


def _cells(path, line: int, raw: bytes) -> list[str]:
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    try:
        return [cell.strip() for cell in next(csv.reader([text]))] if text else []
    except csv.Error as error:
        raise DigitnetError(f"{where(path, line)}: cannot split the line into values ({error})") from None


def inspect_head(path: str | os.PathLike, head: bytes, complete: bool, expected: str) -> Layout:
    """Check the start of a CSV file and find its layout (see the module's docstring).

    Args:
        head: the file's first `HEAD_BYTES` bytes (or all of it when shorter).
        complete: whether `head` is the whole file.
        expected: what a line should hold, for messages (e.g. "784 pixel values a line").

    Raises:
        DigitnetError: empty, not CSV text, other separators, a line longer than `MAX_LINE_BYTES`.
    """
    if not head.strip():
        raise DigitnetError(f"{path}: file is empty" if complete else f"{path}: over 1 MB of blank space, no data")
    _check_text(path, head)
    start = len(_BOM) if head.startswith(_BOM) else 0
    first_end = _line(path, head, start, complete, 1, expected)
    first = head[start:first_end]
    if not first.strip():
        raise DigitnetError(f"{where(path, 1)}: empty line before the data: remove the blank lines at the top")
    _check_separator(path, 1, first.decode("utf-8", errors="replace"))
    cells = _cells(path, 1, first)
    if not all(cell and not _is_number(cell) for cell in cells):
        return Layout(None, len(cells), start, 1)
    if complete and not head[first_end:].strip():
        raise DigitnetError(f"{path}: no data rows after the header")
    second = head[first_end : _line(path, head, first_end, complete, 2, expected)]
    if not second.strip():
        raise DigitnetError(f"{where(path, 2)}: empty line inside the data")
    _check_separator(path, 2, second.decode("utf-8", errors="replace"))
    return Layout(cells, len(_cells(path, 2, second)), first_end, 2)


# ---------------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class _Job:
    path: str | os.PathLike
    data: bytes | bytearray
    buffer: pa.Buffer
    columns: int
    high: int
    what: str


def _body_end(data: bytes | bytearray, start: int) -> int:
    """Offset after the last non-blank byte: trailing blank lines are tolerated, so they are left out."""
    end = len(data)
    while end > start:
        block = bytes(data[max(start, end - 65536) : end])
        kept = len(block.rstrip())  # ASCII whitespace, as bytes.strip() (the walk's "blank line") sees it
        if kept:
            return end - len(block) + kept
        end -= len(block)
    return start


def _arrow(job: _Job, start: int, end: int, kind) -> list[np.ndarray] | None:
    """pyarrow's parse of data[start:end]: its rows as a few C-ordered [rows, job.columns] arrays of `kind`
    (one per parsed block, in order); None on any error."""
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(job.buffer.slice(start, end - start)),
            # 8 MB blocks: a piece of `FAST_PIECE_BYTES` is four, parsed in parallel; measured as fast as larger ones
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=8 << 20),
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),  # a blank line would shift the labels
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": kind for i in range(job.columns)}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, ValueError, OSError):
        pa.default_memory_pool().release_unused()  # what the failed parse held goes back to the system now
        return None
    if table.num_columns != job.columns or any(c.null_count for c in table.columns):
        return None
    # One row per line, or the line numbers in messages would be wrong (a quoted value may hold a line break).
    if table.num_rows != count_lines(job.data, start, end) + (job.data[end - 1] not in b"\r\n"):
        return None
    # Arrow transposes each block to rows itself (to_tensor): about twice as fast as copying 784 columns out.
    return [np.asarray(batch.to_tensor(row_major=True)) for batch in table.to_batches() if batch.num_rows]


def _pieces(job: _Job, start: int, end: int, line: int, size: int):
    """(start, end, first line number) of consecutive line-aligned pieces of data[start:end], each at most
    `size` bytes (a line longer than that cannot be a row: it is refused)."""
    while start < end:
        stop = end if end - start <= size else _after_last_line(job.data, start, start + size)
        if stop < 0:  # no line end in `size` bytes (more than MAX_LINE_BYTES)
            raise _refuse_long_line(job.path, line, bytes(job.data[start : start + MAX_LINE_BYTES]),
                                    f"{job.columns} values a line")
        yield start, stop, line
        line += count_lines(job.data, start, stop)
        start = stop


def parse_table(path: str | os.PathLike, data: bytes | bytearray, layout: Layout, high: int,
                what: str) -> np.ndarray:
    """Parse the CSV `data` (the whole file) laid out as `layout` into uint8 [rows, layout.columns].

    Values must be whole numbers in [0, high]; `what` names them in messages ("pixel", "label").

    Raises:
        DigitnetError: one line naming the file, line and column of the first problem.
    """
    job = _Job(path, data, pa.py_buffer(data), layout.columns, high, what)
    end = _body_end(data, layout.start)
    if end <= layout.start:
        raise DigitnetError(f"{path}: no data rows")
    # Every line of the body is a row (a blank one is refused), so the result's size is known and it is filled
    # in place. A good row takes at least 2 bytes a value (digit and separator): a file of many short lines
    # cannot make this larger than half its size.
    rows = min(count_lines(data, layout.start, end) + 1, (end - layout.start + 1) // (2 * job.columns) + 1)
    out = _Output(np.empty((rows, job.columns), np.uint8))
    for start, stop, line in _pieces(job, layout.start, end, layout.first_line, FAST_PIECE_BYTES):
        blocks = _arrow(job, start, stop, pa.uint8())
        if blocks is not None and max(int(block.max()) for block in blocks) <= high:
            for block in blocks:
                out.add(block)
            continue
        del blocks
        for piece in _pieces(job, start, stop, line, PIECE_BYTES):
            _parse_range(job, *piece, out)
    return out.values if out.rows == len(out.values) else out.values[: out.rows]


class _Output:
    """The result, filled piece by piece: uint8 [rows, columns], the first `rows` of them so far."""

    def __init__(self, values: np.ndarray) -> None:
        self.values, self.rows = values, 0

    def add(self, rows: np.ndarray) -> None:
        assert self.rows + len(rows) <= len(self.values), "more good rows than the bytes can hold"
        self.values[self.rows : self.rows + len(rows)] = rows
        self.rows += len(rows)

    def all_within_unit(self) -> bool:
        """Whether every value so far is 0 or 1."""
        return self.rows == 0 or int(self.values[: self.rows].max()) <= 1


def _parse_range(job: _Job, start: int, end: int, line: int, out: _Output) -> None:
    """Add data[start:end]'s rows (line `line` onwards) to `out` as uint8, or raise at the first problem."""
    blocks = _arrow(job, start, end, pa.float64())
    if blocks is None:
        middle = _after_line(job.data, start + (end - start) // 2, end - 1)
        if end - start <= WALK_BYTES or middle < 0:
            out.add(_walk(job, start, end, line, out.all_within_unit()))
            return
        _parse_range(job, start, middle, line, out)
        _parse_range(job, middle, end, line + count_lines(job.data, start, middle), out)
        return
    values = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    bad = (values != np.round(values)) | (values < 0) | (values > job.high)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise _out_of_range(job, line + row, column + 1, f"{values[row, column]:g}",
                            scaled=bool(values.min() >= 0 and values.max() <= 1) and out.all_within_unit())
    out.add(values.astype(np.uint8))


def _out_of_range(job: _Job, line: int, column: int, text: str, scaled: bool) -> DigitnetError:
    place = where(job.path, line, column)
    if scaled and job.what == "pixel":
        return DigitnetError(f"{place}: pixel {text} is not a whole number 0-{job.high}: the pixels look scaled to "
                             f"0-1 (every value so far is between 0 and 1); multiply them by 255 and round")
    return DigitnetError(f"{place}: {job.what} {text} is outside 0-{job.high} (expected a whole number)")


def _walk(job: _Job, start: int, end: int, line: int, scaled: bool) -> np.ndarray:
    """Check data[start:end] line by line and cell by cell (a few KB: this is the slow, exact part).
    `scaled`: whether every value before this range was 0 or 1 (for the "scaled to 0-1" hint)."""
    rows = []
    for number, raw in enumerate(bytes(job.data[start:end]).splitlines(), start=line):
        if not raw.strip():
            raise DigitnetError(f"{where(job.path, number)}: empty line inside the data")
        if len(raw) > MAX_LINE_BYTES:
            raise _refuse_long_line(job.path, number, raw[:MAX_LINE_BYTES], f"{job.columns} values a line")
        cells = _cells(job.path, number, raw)
        if len(cells) != job.columns:
            raise DigitnetError(f"{where(job.path, number)}: {len(cells)} value{'s' * (len(cells) != 1)} where "
                                f"earlier rows have {job.columns} (ragged row)")
        row = []
        for column, text in enumerate(cells, start=1):
            if not _NUMBER.fullmatch(text):
                raise DigitnetError(f"{where(job.path, number, column)}: {quote(text)} is not a number")
            value = float(text)
            if not value.is_integer() or not 0 <= value <= job.high:
                raise _out_of_range(job, number, column, text, scaled and 0 <= value <= 1)
            scaled = scaled and value <= 1
            row.append(int(value))
        rows.append(row)
    return np.asarray(rows, dtype=np.uint8).reshape(len(rows), job.columns)
