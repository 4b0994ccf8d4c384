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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gongkai_etl.contracts import ROW_COLUMN, RawTable, Reader
from gongkai_etl.errors import InputError
from gongkai_etl.extract.headers import TOTAL_ROW, choose_names, combine_header_rows, find_header

SNIFF_BYTES = 1 << 20
BLOCK_SIZE = 4 << 20


def detect_encoding(path: str | Path, explicit: str | None = None) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK).

    An explicit encoding always wins. Bytes that fit neither raise an error
    naming the byte offset and the line.
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
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    check_decodable(path, "utf-8")  # raises with the offset of the first bad byte
    return "utf-8"


def _decodes(data: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)()
    try:
        dec.decode(data, final=False)  # a character cut at the sniff end is fine
        return True
    except UnicodeDecodeError:
        return False


def check_decodable(path: str | Path, encoding: str) -> None:
    """Decode the whole file; on failure name the byte offset and line."""
    dec = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(SNIFF_BYTES):
            try:
                dec.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                line += chunk[: exc.start].count(b"\n")
                raise InputError(
                    f"第 {line} 行字节偏移 {bad} 处无法按 {encoding} 解码 (undecodable bytes at byte offset {bad}, line {line}; "
                    f"save the file as UTF-8 or GBK, or set `encoding:` for this input)",
                    file=path,
                    row=line,
                ) from None
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(f"文件在字符中间截断 (file ends inside a character, byte offset {offset})", file=path) from None


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
        delimiter = options.get("delimiter") or ("\t" if path.suffix.lower() == ".tsv" else ",")
        head_rows = _head_rows(path, encoding, delimiter)
        if not head_rows:
            raise InputError("输入文件没有表头 (no header row found)", file=path)
        start, depth = find_header(head_rows, expected, header_rows=options.get("header_rows"))
        names = choose_names(combine_header_rows(head_rows[start : start + depth]), expected)
        first_data_line = start + depth + 1  # 1-based line of the first data row
        batch_rows = int(options.get("batch_rows") or 0)
        block = BLOCK_SIZE if not batch_rows else max(64 << 10, min(BLOCK_SIZE, batch_rows * 64))
        read_opts = pacsv.ReadOptions(
            column_names=names,
            skip_rows=start + depth,
            encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
            block_size=int(options.get("block_size") or block),
        )
        parse_opts = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
        convert_opts = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        )
        table = RawTable(location=str(path), columns=names, batches=[], meta={"encoding": encoding})
        table.batches = _batches(path, read_opts, parse_opts, convert_opts, first_data_line, encoding, table)
        return table


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
) -> Iterator[pa.RecordBatch]:
    line = first_line
    try:
        reader = pacsv.open_csv(path, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
        for batch in reader:
            n = batch.num_rows
            if n == 0:
                continue
            rows = pa.array(range(line, line + n), pa.int64())
            line += n
            batch = batch.append_column(ROW_COLUMN, rows)
            batch = _drop_totals(batch, table)
            if batch.num_rows:
                yield batch
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "utf8" in msg.lower():
            check_decodable(path, "utf-8")
        raise InputError(f"CSV 格式错误 (malformed CSV near line {line}): {msg.splitlines()[0]}", file=path) from None


def _drop_totals(batch: pa.RecordBatch, table: RawTable) -> pa.RecordBatch:
    """Leave out 合计/小计 rows, remembering them in ``table.excluded``."""
    if batch.num_columns < 2:
        return batch
    first = batch.column(0)
    mask = pc.match_substring_regex(first, TOTAL_ROW.pattern)
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return batch
    rows = batch.column(ROW_COLUMN).filter(mask).to_pylist()
    table.excluded.extend((r, "合计/小计行 (total row)") for r in rows)
    return batch.filter(pc.invert(mask))
