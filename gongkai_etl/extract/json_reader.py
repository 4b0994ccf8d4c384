"""JSON reader: a document as internal systems export it, or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from gongkai_etl.contracts import ROW_COLUMN, RawTable, Reader
from gongkai_etl.errors import InputError

RECORD_KEYS = ("data", "records", "rows", "items", "list", "result", "results")


def find_records(doc: Any, records_path: str | None, location: str) -> list[Any]:
    """The list of records: at ``records_path`` (dotted), else the document
    itself or the first list under a usual key (data, records, rows, ...)."""
    if records_path:
        node = doc
        for part in records_path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise InputError(f"JSON 中找不到记录路径 {records_path!r} (records_path not found at {part!r})", file=location)
        doc = node
    elif isinstance(doc, dict):
        for key in RECORD_KEYS:
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
            if isinstance(doc.get(key), dict):
                inner = doc[key]
                for k2 in RECORD_KEYS:
                    if isinstance(inner.get(k2), list):
                        return inner[k2]
    if not isinstance(doc, list):
        raise InputError("JSON 中没有记录列表 (no list of records found; set `records_path`)", file=location)
    return doc


def records_to_table(records: list[Any], location: str, first_row: int = 1) -> RawTable:
    columns: list[str] = []
    seen: set[str] = set()
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise InputError(f"第 {first_row + i} 条记录不是对象 (record is not an object)", file=location, row=first_row + i)
        for k in rec:
            if k not in seen:
                seen.add(k)
                columns.append(k)
    data = {c: pa.array([_text(r.get(c)) for r in records], pa.string()) for c in columns}
    data[ROW_COLUMN] = pa.array(range(first_row, first_row + len(records)), pa.int64())
    batch = pa.RecordBatch.from_pydict(data)
    return RawTable(location=location, columns=columns, batches=[batch] if records else [])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class JsonReader(Reader):
    name = "json"
    extensions = (".json", ".jsonl", ".ndjson")

    def read(self, location: str, options: Mapping[str, Any], *, expected: Iterable[str] = ()) -> RawTable:
        path = Path(location)
        if not path.exists():
            raise InputError("输入文件不存在 (input file not found)", file=path)
        raw = path.read_bytes()
        if not raw.strip():
            raise InputError("输入文件为空 (input file is empty)", file=path)
        return parse_json_bytes(raw, str(path), options, lines=path.suffix.lower() in (".jsonl", ".ndjson"))


def decode_text(raw: bytes, explicit: str | None, location: str) -> str:
    """UTF-8 (BOM allowed) as JSON should be; GB18030 (GBK) as some internal systems
    still write it; an explicit ``encoding`` wins. Undecodable bytes are reported
    with their byte offset and line."""
    candidates = [explicit] if explicit else ["utf-8-sig", "gb18030"]
    failures: list[UnicodeDecodeError] = []
    for encoding in candidates:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            failures.append(exc)
        except LookupError:
            raise InputError(f"未知的编码 {explicit!r} (unknown encoding)", file=location) from None
    exc = max(failures, key=lambda e: e.start)  # the encoding the bytes follow longest
    line = raw[: exc.start].count(b"\n") + 1
    raise InputError(
        f"第 {line} 行字节偏移 {exc.start} 处无法按 {exc.encoding} 解码 (undecodable bytes at byte offset {exc.start}, "
        f"line {line}; expected UTF-8)",
        file=location,
        row=line,
    )


def parse_json_bytes(raw: bytes, location: str, options: Mapping[str, Any], *, lines: bool = False) -> RawTable:
    text = decode_text(raw, options.get("encoding"), location)
    if lines:
        records = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"JSON 行解析失败 (invalid JSON line): {exc.msg}", file=location, row=n) from None
        return records_to_table(records, location)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"JSON 解析失败，文件可能被截断 (invalid JSON, truncated?): {exc.msg} at line {exc.lineno} column {exc.colno}",
            file=location,
            row=exc.lineno,
        ) from None
    return records_to_table(find_records(doc, options.get("records_path"), location), location)
