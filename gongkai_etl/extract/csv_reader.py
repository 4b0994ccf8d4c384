"""CSV reader: encoding detection and streaming Arrow record batches.

Every column is read as text; normalizing to the declared types happens later,
column by column. Rows are numbered from the raw file (header row = its line
number; assumes no line breaks inside quoted cells, which departments' exports
do not produce).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gongkai_etl.arrowtext import payload_holds, string_payload
from gongkai_etl.contracts import ROW_COLUMN, RawTable, Reader
from gongkai_etl.errors import InputError
from gongkai_etl.extract.headers import (
    TOTAL_ROW,
    choose_names,
    combine_header_rows,
    find_header,
)
from gongkai_etl.extract.totals import TotalsCheck, totals_mode

# Python's csv module refuses a field over 128 KiB (``_csv.Error: field larger
# than field limit``); a department's 备注 can be longer. It reads only the head
# and the error-finding pass here (pyarrow parses the data), so lift the limit
# for the process. 2**31 - 1: the largest value every platform's C long holds.
csv.field_size_limit(2**31 - 1)

SNIFF_BYTES = 1 << 20
# About the text of one batch (batch_rows x 64 bytes when that is less). Each
# batch costs a fixed few ms of kernel calls whatever its size: 8 MiB (~46k rows
# of the 低保 list) ran 5M rows in 7.5 s against 7.8 s at 6 MiB, for ~10 MiB more
# peak memory; 12 MiB added ~40 MiB more.
BLOCK_SIZE = 8 << 20
# pyarrow's streaming reader keeps dozens of blocks in flight (~40 measured), so
# its memory is a multiple of the block size: small blocks joined up into batches
# keep the batches as large for a fraction of the memory (150 MiB -> 20 MiB).
READ_BLOCK = 512 << 10


def detect_encoding(path: str | Path, explicit: str | None = None) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312).

    An explicit encoding always wins. The decision is made on the first 1 MiB
    that holds non-ASCII bytes (a long ASCII head says nothing). Bytes that fit
    no candidate raise an error naming the byte offset and the line.
    """
    if explicit:
        try:
            codecs.lookup(explicit)
        except LookupError:
            raise InputError(f"未知的编码 {explicit!r} (unknown encoding)", file=path) from None
        return explicit
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        sample = head
        while sample.isascii():
            more = fh.read(SNIFF_BYTES)
            if not more:
                return "utf-8"  # pure ASCII
            # keep a few bytes of the previous chunk: a character may straddle the cut
            sample = sample[-4:] + more if not sample.isascii() else more
            if not more.isascii():
                break
    sample = _from_first_non_ascii(sample)
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb18030"):
        return "gb18030"
    # Neither fits: report the bad byte of the encoding the file follows longest
    # (a GBK file with one stray byte is reported at that byte, not at its first 汉字).
    best = max(("utf-8", "gb18030"), key=lambda enc: _good_prefix(path, enc))
    check_decodable(path, best)  # raises with the offset and line of the first bad byte
    return best


def _good_prefix(path: str | Path, encoding: str) -> int:
    """How many bytes of the file decode in ``encoding`` before the first error."""
    bad = _first_undecodable(path, encoding)
    return Path(path).stat().st_size if bad is None else bad[0]


def _from_first_non_ascii(data: bytes) -> bytes:
    """``data`` from the line holding its first non-ASCII byte (a clean start for decoding)."""
    for i, b in enumerate(data):
        if b >= 0x80:
            return data[data.rfind(b"\n", 0, i) + 1 :]
    return data


def _check_head(path: Path, encoding: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not _decodes(head, encoding):
        check_decodable(path, encoding)


def _decodes(data: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)()
    try:
        dec.decode(data, final=False)  # a character cut at the sniff end is fine
        return True
    except UnicodeDecodeError:
        return False


def _first_undecodable(path: str | Path, encoding: str) -> tuple[int, int, bool] | None:
    """(byte offset, line, cut inside a character at the end) of the first byte of
    the file that does not decode in ``encoding``; None when all of it does."""
    dec = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(SNIFF_BYTES):
            try:
                dec.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                # exc.start counts in the decoder's input: its buffered bytes plus this chunk
                buffered = len(exc.object) - len(chunk)
                bad = max(offset + exc.start - buffered, offset - buffered)
                return bad, line + chunk[: max(exc.start - buffered, 0)].count(b"\n"), False
            line += chunk.count(b"\n")
            offset += len(chunk)
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset, line, True
    return None


def check_decodable(path: str | Path, encoding: str) -> None:
    """Decode the whole file; on failure name the byte offset and line."""
    found = _first_undecodable(path, encoding)
    if found is None:
        return
    bad, line, truncated = found
    if truncated:
        raise InputError(
            f"文件在字符中间截断，可能不完整 (file ends inside a character at byte offset {bad}, line {line}; truncated?)",
            file=path,
            row=line,
        )
    raise InputError(
        f"第 {line} 行字节偏移 {bad} 处无法按 {encoding} 解码 (undecodable bytes at byte offset {bad}, line {line}; "
        f"save the file as UTF-8 or GBK, or set `encoding:` for this input)",
        file=path,
        row=line,
    )


class CsvReader(Reader):
    name = "csv"
    extensions = (".csv", ".txt", ".tsv")

    def read(self, location: str, options: Mapping[str, Any], *, expected: Iterable[str] = ()) -> RawTable:
        path = Path(location)
        if not path.exists():
            raise InputError("输入文件不存在 (input file not found)", file=path)
        if path.stat().st_size == 0:
            raise InputError("输入文件为空 (input file is empty)", file=path)
        encoding = detect_encoding(path, options.get("encoding"))
        if options.get("encoding"):
            _check_head(path, encoding)  # an explicit encoding that does not fit: say where, not garbled headers
        delimiter = options.get("delimiter") or ("\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(path, encoding))
        head_rows = _head_rows(path, encoding, delimiter)
        if not head_rows:
            raise InputError("输入文件没有表头 (no header row found)", file=path)
        start, depth = find_header(head_rows, expected, header_rows=options.get("header_rows"))
        names = choose_names(combine_header_rows(head_rows[start : start + depth]), expected)
        first_data_line = start + depth + 1  # 1-based line of the first data row
        batch_rows = int(options.get("batch_rows") or 0)
        block = BLOCK_SIZE if not batch_rows else max(64 << 10, min(BLOCK_SIZE, batch_rows * 64))
        read_block = int(options.get("block_size") or min(block, READ_BLOCK))
        per_batch = 1 if options.get("block_size") else max(1, block // read_block)
        read_opts = pacsv.ReadOptions(
            column_names=names,
            skip_rows=start + depth,
            encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
            block_size=read_block,
        )
        # Empty lines come through as all-empty rows, which _drop_blank leaves out
        # after numbering: skipped by the parser, they would shift every later row
        # number by one, and a reject would point at the wrong line.
        parse_opts = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False)
        convert_opts = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        )
        meta = {"encoding": encoding, "warnings": [], "header_row": start + 1, "header_depth": depth, "delimiter": delimiter}
        table = RawTable(location=str(path), columns=names, batches=[], meta=meta)
        totals = TotalsCheck(names, location=str(path), mode=totals_mode(options))
        table.batches = _batches(path, read_opts, parse_opts, convert_opts, first_data_line, encoding, table, totals,
                                 per_batch)
        return table


def _sniff_delimiter(path: Path, encoding: str) -> str:
    """``,`` unless the first lines hold none and consistently another of ``;``, tab, ``|``."""
    limit = 64 << 10
    with open(path, "rb") as fh:
        head = fh.read(limit)
    lines = head.decode(encoding, errors="replace").splitlines()
    if len(head) == limit:
        lines = lines[:-1]  # cut short
    lines = [ln for ln in lines if ln.strip()][:5]
    if not lines or any("," in ln for ln in lines):
        return ","
    for candidate in (";", "\t", "|"):
        counts = {ln.count(candidate) for ln in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return candidate
    return ","


def _head_rows(path: Path, encoding: str, delimiter: str, limit: int = 30) -> list[list[str]]:
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    text = head.decode(encoding, errors="replace")
    if encoding.startswith("utf-8") and text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()[:limit]
    return [row for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]


def _batches(
    path: Path,
    read_opts: pacsv.ReadOptions,
    parse_opts: pacsv.ParseOptions,
    convert_opts: pacsv.ConvertOptions,
    first_line: int,
    encoding: str,
    table: RawTable,
    totals: TotalsCheck,
    per_batch: int = 1,
) -> Iterator[pa.RecordBatch]:
    line = first_line
    found: dict[int, list[str | None]] = {}  # 合计/小计 rows: row number -> cells
    try:
        for batch in _numbered(path, read_opts, parse_opts, convert_opts, first_line, per_batch, table.meta):
            line = batch.column(ROW_COLUMN)[-1].as_py() + 1
            batch = _drop_totals(batch, table, found)
            if batch.num_rows:
                yield batch
        if found and totals.mode != "off":
            # Second pass, only for files that have total rows: the sums above each
            # (the common file without one pays nothing for the check).
            for batch in _numbered(path, read_opts, parse_opts, convert_opts, first_line, per_batch):
                _check_totals(batch, found, totals)
    except UnicodeDecodeError:  # raised as is by pyarrow's transcoding of non-UTF-8 input
        check_decodable(path, encoding)
        raise InputError(f"无法按 {encoding} 解码 (cannot decode as {encoding})", file=path) from None
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "utf8" in msg.lower():
            check_decodable(path, "utf-8")
        bad = _find_bad_row(path, encoding, read_opts, parse_opts)
        if bad is not None:
            number, got, want = bad
            raise InputError(
                f"第 {number} 行有 {got} 列，表头有 {want} 列；文件可能被截断 (row has {got} fields, the header {want}; "
                "file truncated or a delimiter inside an unquoted cell?)",
                file=path,
                row=number,
            ) from None
        raise InputError(f"CSV 格式错误 (malformed CSV after line {line - 1}): {msg.splitlines()[0]}", file=path) from None
    table.meta["warnings"].extend(totals.warnings)


def _find_bad_row(
    path: Path, encoding: str, read_opts: pacsv.ReadOptions, parse_opts: pacsv.ParseOptions
) -> tuple[int, int, int] | None:
    """(line, fields, expected fields) of the first row whose field count is off (error path only)."""
    want = len(read_opts.column_names)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            for number, raw in enumerate(fh, start=1):
                if number <= read_opts.skip_rows or not raw.strip():
                    continue
                fields = next(csv.reader([raw], delimiter=parse_opts.delimiter), [])
                if len(fields) != want:
                    return number, len(fields), want
    except (UnicodeDecodeError, csv.Error, OSError):
        return None
    return None


def _maybe_blank(column: pa.Array) -> np.ndarray:
    """Rows whose cell may be blank: a superset, from each cell's first byte.

    A cell starting with printable ASCII or a character of U+4000..U+9FFF (lead
    byte E4..E9, the common 汉字) starts with something that is not whitespace.
    """
    if not pa.types.is_string(column.type) or not len(column):
        return np.ones(len(column), bool)
    data, offsets = string_payload(column)
    filled = offsets[1:] > offsets[:-1]
    first = np.zeros(len(column), np.uint8)  # 0 for an empty cell: not sure
    first[filled] = data[offsets[:-1][filled]]
    sure = ((first >= 0x21) & (first <= 0x7E)) | ((first >= 0xE4) & (first <= 0xE9))
    if column.null_count:
        sure &= pc.is_valid(column).to_numpy(zero_copy_only=False)
    return ~sure


def _drop_blank(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Leave out rows whose cells are all empty (``,,,,`` lines Excel exports)."""
    data_columns = [i for i in range(batch.num_columns) if batch.schema.field(i).name != ROW_COLUMN]
    if not data_columns:
        return batch
    # Trimming every cell is the exact test but costs a copy of the batch; one
    # column's first bytes usually clear every row, and only the rest are trimmed.
    candidates = np.ones(batch.num_rows, bool)
    for i in data_columns:
        candidates &= _maybe_blank(batch.column(i))
        if not candidates.any():
            return batch
    rows = np.flatnonzero(candidates)
    maybe = batch.take(pa.array(rows))
    blank = np.ones(len(rows), bool)
    for i in data_columns:
        blank &= pc.fill_null(pc.equal(pc.utf8_trim_whitespace(maybe.column(i)), ""), True).to_numpy(zero_copy_only=False)
    if not blank.any():
        return batch
    keep = np.ones(batch.num_rows, bool)
    keep[rows[blank]] = False
    return batch.filter(pa.array(keep))


def _numbered(
    path: Path,
    read_opts: pacsv.ReadOptions,
    parse_opts: pacsv.ParseOptions,
    convert_opts: pacsv.ConvertOptions,
    first_line: int,
    per_batch: int = 1,
    meta: dict[str, Any] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Batches of ``per_batch`` blocks with their raw line numbers in ``_row``,
    all-empty rows left out. With ``meta``, ``meta["bytes_read"]`` tells how far
    into the file the parser has read (for the live progress display)."""
    line = first_line
    with pa.OSFile(str(path)) as source:
        if meta is not None:
            size = path.stat().st_size
            meta["bytes_read"] = lambda: _position(source, size)
        reader = pacsv.open_csv(source, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
        for batch in _joined(reader, per_batch):
            n = batch.num_rows
            if n == 0:
                continue
            batch = batch.append_column(ROW_COLUMN, pa.array(np.arange(line, line + n, dtype=np.int64)))
            line += n
            batch = _drop_blank(batch)
            if batch.num_rows:
                yield batch


def _joined(batches: Iterable[pa.RecordBatch], count: int) -> Iterator[pa.RecordBatch]:
    """Every ``count`` non-empty batches as one."""
    pending: list[pa.RecordBatch] = []
    for batch in batches:
        if batch.num_rows:
            pending.append(batch)
        if len(pending) == count:
            yield _concat(pending)
            pending = []
    if pending:
        yield _concat(pending)


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _may_hold_total(column: pa.Array) -> bool:
    """Whether a cell of ``column`` might match TOTAL_ROW, from its bytes.

    Every label TOTAL_ROW matches holds 计 (合计, 小计, 总计) or both 总 and 和 (总和);
    a search of the column's bytes is far cheaper than the regex on each cell.
    """
    if not pa.types.is_string(column.type):
        return True
    data = string_payload(column)[0]
    return payload_holds(data, "计") or (payload_holds(data, "总") and payload_holds(data, "和"))


def _drop_totals(batch: pa.RecordBatch, table: RawTable, found: dict[int, list[str | None]]) -> pa.RecordBatch:
    """Leave out 合计/小计 rows, remembering them in ``table.excluded`` and ``found``."""
    data_columns = batch.num_columns - 1  # without _row
    if data_columns < 2:
        return batch
    if not any(_may_hold_total(batch.column(i)) for i in range(min(4, data_columns))):
        return batch
    # as is_total_row: the first non-empty of the first four cells is the label
    mask = pa.array([False] * batch.num_rows)
    seen = mask
    for i in range(min(4, data_columns)):
        col = batch.column(i)
        filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(col), ""), False)
        hit = pc.and_(pc.and_(filled, pc.invert(seen)), pc.fill_null(pc.match_substring_regex(col, TOTAL_ROW.pattern), False))
        mask = pc.or_(mask, hit)
        seen = pc.or_(seen, filled)
    if not pc.any(mask).as_py():
        return batch
    for row in batch.filter(mask).to_pylist():
        found[row[ROW_COLUMN]] = [row[name] for name in batch.schema.names if name != ROW_COLUMN]
        table.excluded.append((row[ROW_COLUMN], "合计/小计行 (total row)"))
    return batch.filter(pc.invert(mask))


def _check_totals(batch: pa.RecordBatch, found: dict[int, list[str | None]], totals: TotalsCheck) -> None:
    """Feed one batch to the check: data rows summed, each total row compared in its place."""
    numbers = batch.column(ROW_COLUMN)
    mask = pc.is_in(numbers, value_set=pa.array(list(found), pa.int64()))
    start = 0
    for pos in pc.indices_nonzero(mask).to_pylist():
        if pos > start:
            totals.add_batch(batch.slice(start, pos - start))
        number = numbers[pos].as_py()
        totals.total_row(number, found[number])
        start = pos + 1
    if start < batch.num_rows:
        totals.add_batch(batch.slice(start))


def _position(source: pa.OSFile, size: int) -> int:
    """How far the parser has read; the file may close between the check and
    the tell (the progress display asks from another thread), which is then the end."""
    try:
        return size if source.closed else source.tell()
    except (pa.ArrowInvalid, ValueError, OSError):
        return size
