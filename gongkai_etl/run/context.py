"""RunContext: what a source sees of the engine while it extracts one period."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gongkai_etl import values as nz
from gongkai_etl.contracts import (
    FILE_COLUMN,
    ROW_COLUMN,
    InputSettings,
    RawTable,
    Source,
)
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import InputError
from gongkai_etl.extract.archive import archive_input
from gongkai_etl.extract.mapping import InputMapping, column_units, map_input, render
from gongkai_etl.extract.http_options import OUTPUT_DIR_OPTION
from gongkai_etl.files import failpoint
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.periods import Period
from gongkai_etl.plugins import Registry
from gongkai_etl.reshape import reshape_input
from gongkai_etl.run.mapping_report import expected_headers, input_mappings, optional_fields
from gongkai_etl.spec import Pipeline

_ARCHIVER: ThreadPoolExecutor | None = None


def _archiver() -> ThreadPoolExecutor:
    global _ARCHIVER
    if _ARCHIVER is None:
        _ARCHIVER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gongkai-archive")
    return _ARCHIVER


@dataclass
class RunContext:
    """One source, one period. Implements :class:`gongkai_etl.contracts.SourceContext`."""

    pipeline: Pipeline
    source: Source
    registry: Registry
    period: Period
    datasets: list[Dataset]
    home: Home
    ledger: Ledger
    input_hashes: dict[str, str] = field(default_factory=dict)
    excluded: list[tuple[str, int, str]] = field(default_factory=list)
    extract_seconds: float = 0.0
    cache: dict[str, Any] = field(default_factory=dict)
    _warnings_from: list[list[str]] = field(default_factory=list)
    _archiving: dict[str, Future[tuple[str, Path]]] = field(default_factory=dict)
    _raw_read: list[RawTable] = field(default_factory=list)
    #: (input, declared column) -> the unit its header carried (in the file read last)
    _header_units: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the mapping report of every input read so far (run report, datapackage.json)
    mappings: list[InputMapping] = field(default_factory=list)

    def settle_inputs(self) -> None:
        """Wait for the raw inputs being archived; their sha256 into ``input_hashes``.

        Raises what archiving raised (an unreadable input, a full disk)."""
        while self._archiving:
            location, job = next(iter(self._archiving.items()))
            try:
                digest, _ = job.result()
            finally:
                del self._archiving[location]
            self.input_hashes[location] = digest

    @property
    def options(self) -> Mapping[str, Any]:
        out = {k: opt.default for k, opt in self.source.options.items()}
        out.update(self.pipeline.source_options)
        return out

    @property
    def pipeline_dir(self) -> Path:
        return self.pipeline.base_dir

    @property
    def salt(self) -> str | None:
        """The salt for hashed keys: the pipeline's environment variable, else a
        random salt kept private in the output's state folder (made on first use,
        so keys stay stable across runs and the salt is never in the repository)."""
        value = os.environ.get(self.pipeline.salt_env)
        if value:
            return value
        return local_salt(self.home)

    @property
    def dataset_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.datasets)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.pipeline.inputs)

    @property
    def salt_env(self) -> str:
        return self.pipeline.salt_env

    def input_settings(self, input_name: str, *, period: Period | None = None) -> InputSettings | None:
        spec = self.pipeline.inputs.get(input_name)
        if spec is None:
            return None
        return InputSettings(
            input_name, spec.location(period or self.period, self.pipeline.base_dir), MappingProxyType(dict(spec.columns)), MappingProxyType(dict(spec.units)),
            MappingProxyType(dict(spec.fixed)), MappingProxyType(spec.reader_options()), spec.url is not None,
        )

    def locations(self, input_name: str, *, period: Period | None = None) -> list[str]:
        spec = self.pipeline.inputs.get(input_name)
        return spec.locations(period or self.period, self.pipeline.base_dir) if spec else []

    def has_input(self, input_name: str, *, period: Period | None = None) -> bool:
        return bool(self.locations(input_name, period=period))

    def source_unit(self, input_name: str, column: str) -> str | None:
        """The pipeline's ``units:`` for the column, else a convertible unit its
        header carried in the file read last (金额（元） -> 元)."""
        spec = self.pipeline.inputs.get(input_name)
        if spec is None:
            return None
        if column in spec.units:
            return spec.units[column]
        unit = self._header_units.get((input_name, column))
        return unit if unit is not None and nz.is_convertible_unit(unit) else None

    def published(self, dataset: str, period: Period) -> pa.Table | None:
        return read_published(self.home, self.ledger, dataset, period)

    def read(self, input_name: str, *, period: Period | None = None, location: str | None = None) -> RawTable:
        """Read an input with the pipeline's column mapping and fixed values applied."""
        started = time.perf_counter()
        spec = self.pipeline.inputs.get(input_name)
        decl = next((d for d in self.source.inputs if d.name == input_name), None)
        if spec is None:
            raise InputError(f"流水线未配置输入 {input_name!r} (input not configured under `inputs:`)", file=self.pipeline.file)
        if location is not None and spec.url is not None:
            raise InputError(f"inputs.{input_name}: 只有本地文件输入可以按文件读取 (only a file input can be read file by file)")
        location = location if location is not None else spec.location(period or self.period, self.pipeline.base_dir)
        options = dict(spec.reader_options())
        options.setdefault("batch_rows", self.pipeline.batch_rows)
        reader = next((r for r in self.registry.readers if r.can_read(location, options)), None)
        if reader is None:
            raise InputError("没有能读取此输入的读取器 (no reader for this input; set `format:`)", file=location)
        if spec.url is None:
            if not Path(location).exists():
                raise InputError("输入文件不存在 (input file not found)", file=location)
            if Path(location).is_dir():
                raise InputError("输入路径是文件夹，不是文件 (input path is a folder, not a file)", file=location)
            # Hashing and copying a large raw file (a 5M-row list is 0.9 GB) runs
            # in a thread while the file is read; settle_inputs() collects the
            # digest, or the archiving error, before anything is staged.
            if location not in self._archiving and location not in self.input_hashes:
                self._archiving[location] = _archiver().submit(archive_input, location, self.home.archive)
        else:
            # The HTTP reader archives each response body itself and keeps its
            # conditional-request cache (ETag / Last-Modified) beside the archive.
            options[OUTPUT_DIR_OPTION] = str(self.home.out)
        failpoint("extract:after-archive")
        expected = expected_headers(decl, spec.columns) if decl else []
        raw = reader.read(location, options, expected=expected)
        if spec.url is not None and raw.sha256:
            self.input_hashes[raw.location] = raw.sha256
        # Reshape steps run before the mapping, so the mapping sees one row per record.
        allow_empty = bool(options.get("allow_empty", False))
        raw = reshape_input(raw, spec.reshape, period or self.period, input_name, allow_empty=allow_empty)
        self._warnings_from.append(raw.meta.setdefault("warnings", []))
        self._raw_read.append(raw)
        self.extract_seconds += time.perf_counter() - started
        if decl is None:
            self._finished_reading(raw, -1)  # (a streaming reader's later exclusions are not counted)
            return raw
        # not_provided: fields the department does not keep, published as null
        # (gongkai_etl.pipeline_check allowed them only where a dataset marks the field optional).
        fixed = {**{k: None for k in spec.not_provided if k in decl.columns}, **spec.fixed}
        report = map_input(input_name, raw.location, list(raw.columns), decl, spec, optional_fields(self.datasets))
        mapping, missing = report.mapped, report.missing
        if missing and not report.found:  # an empty JSON list: no records, so no columns either
            if not allow_empty:
                raise InputError(_NO_ROWS, file=raw.location)
            declared = [k for k in decl.columns if k not in fixed]
            raw = RawTable(location=raw.location, columns=declared, batches=[], sha256=raw.sha256, meta=raw.meta)
            mapping, missing = {name: name for name in declared}, []
        if missing:
            others = [m for m in input_mappings(self.pipeline, self.source, self.registry, period or self.period, self.datasets)
                      if (m.input, m.location) != (input_name, raw.location)]
            raise InputError(
                "缺少必需的列 (missing required columns): " + ", ".join(missing)
                + "\n映射报告，全部输入 (mapping report, every input):\n" + render([report, *others]),
                file=raw.location,
            )
        units, labels = column_units(report, spec)
        # Each file of a glob input says its own units: none may outlive the file that said it.
        for key in [k for k in self._header_units if k[0] == input_name]:
            del self._header_units[key]
        for name, unit in report.header_units.items():
            self._header_units[(input_name, name)] = unit
        self.mappings.append(report)
        return _renamed(
            raw, mapping, fixed, self.period, on_done=self._finished_reading, allow_empty=allow_empty, units=units,
            labels=labels,
        )

    def _finished_reading(self, raw: RawTable, rows: int) -> None:
        """Called once all batches of an input were read: readers that stream
        (CSV) only know their excluded 合计/小计 rows at the end."""
        for row, why in raw.excluded:
            self.excluded.append((raw.location, row, why))

    def bytes_read(self) -> tuple[int, int]:
        """(bytes read so far, total bytes) of the local inputs this period opened:
        a streaming reader says how far it is; any other input counts whole."""
        done = total = 0
        for raw in self._raw_read:
            try:
                size = Path(raw.location).stat().st_size
            except OSError:
                continue  # a URL: its body is archived, not here
            position = raw.meta.get("bytes_read")
            done += min(size, position()) if callable(position) else size
            total += size
        return done, total

    @property
    def warnings(self) -> list[str]:
        """Warnings the readers and the source raised so far (e.g. a 合计 row that does not
        add up, with ``totals: warn``; a concentration above the AQI table)."""
        return [w for ws in self._warnings_from for w in ws]

    def warn(self, message: str) -> None:
        """A line for the run report from the source (see ``SourceContext.warn``)."""
        self._warnings_from.append([message])


def local_salt(home: Home) -> str:
    import secrets

    path, state_dir = home.salt, home.state
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = state_dir / f".salt.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # first writer wins; never a half-written salt
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


_NO_ROWS = (
    "输入没有数据行 (the input has no data rows; if that is right for this period, "
    "set `allow_empty: true` under the input's `options`)"
)


def _renamed(
    raw: RawTable,
    mapping: dict[str, str],
    fixed: dict[str, Any],
    period: Period,
    *,
    on_done: Callable[[RawTable, int], None] | None = None,
    allow_empty: bool = True,
    units: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> RawTable:
    """Select and rename the mapped columns; add fixed values and ``_file``.

    An input without a single data row is an error unless ``allow_empty``: a
    header-only export would otherwise replace a published period with nothing.
    A column the pipeline gives a unit for (``inputs.<name>.units``) carries it
    as Arrow field metadata ``source_unit``, so the conversion follows that
    column of that input only, through whatever tables the source builds.
    ``labels``: units a header carries that are labels, not scales (户, %), as
    metadata ``header_unit``: checked against the field's unit, never converted.
    """
    names = list(mapping) + [k for k in fixed if k not in mapping]
    location = raw.location
    units = units or {}
    labels = labels or {}

    def meta(n: str) -> dict[str, str] | None:
        out = ({"source_unit": units[n]} if n in units else {}) | ({"header_unit": labels[n]} if n in labels else {})
        return out or None

    fields = [pa.field(n, pa.string(), metadata=meta(n)) for n in names]

    def batches() -> Iterator[pa.RecordBatch]:
        rows = 0
        for batch in raw.batches:
            n = batch.num_rows
            rows += n
            arrays = [batch.column(mapping[name]) for name in mapping]
            for k in fixed:
                if k not in mapping:
                    value = fixed[k]
                    text = None if value is None else str(value).format(**period.template_values())
                    arrays.append(pa.repeat(pa.scalar(text, pa.string()), n))
            arrays = [a if a.type == pa.string() else a.cast(pa.string()) for a in arrays]
            arrays.append(batch.column(ROW_COLUMN))
            arrays.append(pa.repeat(pa.scalar(location, pa.string()), n))  # a Python list of n costs 100 µs a 1k rows
            schema = pa.schema([*fields, pa.field(ROW_COLUMN, pa.int64()), pa.field(FILE_COLUMN, pa.string())])
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        if on_done is not None:
            on_done(raw, rows)
        if rows == 0 and not allow_empty:
            raise InputError(_NO_ROWS, file=location)

    out = RawTable(location=location, columns=names, batches=batches(), sha256=raw.sha256, excluded=raw.excluded, meta=raw.meta)
    return out


def read_published(home: Home, ledger: Ledger, dataset: str, period: Period) -> pa.Table | None:
    """The currently published Parquet of a dataset-period, if any."""
    pub = ledger.current(dataset, period.key)
    if pub is None:
        return None
    for rel in pub.files:
        if rel.endswith(".parquet"):
            path = home.dataset_dir(dataset) / rel
            if path.exists():
                return pq.read_table(path)
    return None
