"""Types the hooks in :mod:`gongkai_etl.hookspecs` return and receive.

* :class:`Source`: a domain source; reads a department's raw inputs for one
  period through a :class:`SourceContext` and yields :class:`Batch` es of rows
  for its datasets. Sources fetch and yield; they never write output.
* :class:`Reader`: turns one input location (file or URL) into a
  :class:`RawTable`.
* :class:`Writer`: writes the typed record batches of one dataset-period in
  one output format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Period

if TYPE_CHECKING:
    from gongkai_etl.declare import Declared

#: Name of the column every batch carries: the 1-based row number in the raw file.
ROW_COLUMN = "_row"
#: Name of the column every batch carries: the raw file the row came from.
FILE_COLUMN = "_file"


@dataclass(frozen=True)
class Option:
    """One option a source accepts under ``source.options`` in pipeline YAML.

    Local conventions of a department (ID patterns, file-name patterns, station
    lists) belong here rather than in code, so a pipeline can change them and
    ``etl plugins --options SOURCE`` documents them. ``check`` returns an error
    text for a value of the right type that is still unusable (a regex that
    does not compile), so ``etl validate`` refuses it before any run.
    """

    type: type
    default: Any = None
    help: str = ""
    check: Callable[[Any], str | None] | None = None

    def describe(self, name: str) -> str:
        """``name (type, default ...): help`` on one line, for listings and errors."""
        # A string default is shown as typed in YAML (a regex's backslashes single).
        shown = self.default if isinstance(self.default, str) and self.default else repr(self.default)
        return f"{name} ({self.type.__name__}, default {shown}): {self.help}"


def regex_error(value: Any) -> str | None:
    """Why ``value`` is not a usable regular expression, or None (an ``Option.check``)."""
    try:
        re.compile(value)
    except re.error as exc:
        return f"不是有效的正则表达式 (not a valid regular expression: {exc})"
    return None


@dataclass(frozen=True)
class InputDecl:
    """An input a source reads: its name in the pipeline and the columns it expects.

    ``columns`` maps the plugin's column names to accepted raw header aliases
    (the name itself is always accepted). ``optional_columns`` may be absent.
    ``per_period`` inputs must have a ``{period}``-style template in their path
    (or one file per period); others are read as they are for every period.
    ``datasets`` names the datasets the input feeds (empty: all of the
    source's), so ``etl run --due`` expects a monthly input only for monthly
    periods of a pipeline that also has quarterly datasets.
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    optional_columns: tuple[str, ...] = ()
    required: bool = True
    per_period: bool = True
    description: str = ""
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True)
class InputSettings:
    """What the pipeline says about one of a source's inputs (``inputs.<name>``),
    as :meth:`SourceContext.input_settings` hands it to the source, read-only."""

    name: str
    #: Where the input is for the period asked: an absolute path (perhaps a glob), or the URL.
    location: str
    #: declared column -> the raw header the pipeline maps to it (``columns:``)
    columns: Mapping[str, str]
    #: declared column -> the unit the raw column is in (``units:``)
    units: Mapping[str, str]
    #: declared column -> the value the pipeline gives every row (``fixed:``)
    fixed: Mapping[str, Any]
    #: reader options (``sheet``, ``encoding``, ``records_path``, ``options:`` ...)
    options: Mapping[str, Any]
    #: the input is a URL, not a file
    is_url: bool = False


@dataclass
class Batch:
    """Rows for one dataset. Columns are dataset field names (raw or typed
    values) plus ``_row`` (int, raw row number) and ``_file`` (str)."""

    dataset: str
    data: pa.RecordBatch | pa.Table


@dataclass(frozen=True)
class Reject:
    """One failing value or row: kept with its reason, never dropped silently.

    ``index`` is the position of the row in the checked table (to remove it);
    ``row`` the raw source row number shown to the user.
    """

    index: int
    row: int | None
    field: str
    value: str
    reason: str
    file: str = ""


@dataclass
class RawTable:
    """A raw input after reading: header names and record batches of values.

    Every batch carries a ``_row`` column with the 1-based row number in the
    source file (for spreadsheets, the sheet row), so rejects can point at it.
    ``excluded`` lists rows the reader recognised and left out (合计/小计 rows),
    as (row number, reason).
    """

    location: str
    columns: list[str]
    batches: Iterable[pa.RecordBatch]
    sha256: str | None = None
    excluded: list[tuple[int, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_table(self) -> pa.Table:
        batches = list(self.batches)
        self.batches = batches  # keep it re-iterable after the first pull
        if not batches:
            return pa.table({c: pa.array([], pa.string()) for c in [*self.columns, ROW_COLUMN]})
        return pa.Table.from_batches(batches)


class SourceContext(Protocol):
    """What the engine gives a source for one period: everything a source may
    use of the run. A source reads nothing else of the engine (the suite checks
    that the built-in sources use only these members)."""

    period: Period
    #: ``source.options`` of the pipeline, over the source's declared defaults.
    options: Mapping[str, Any]
    #: The folder of the pipeline file (relative paths in options start here).
    pipeline_dir: Path
    #: Scratch space for the source during one period (e.g. a lookup built in
    #: extract and used again in check).
    cache: dict[str, Any]

    @property
    def dataset_ids(self) -> tuple[str, ...]:
        """The datasets this run publishes for the period (the pipeline's
        ``datasets:``, else all of the source's of the period's cadence): a
        source need not extract the others."""
        ...

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs the pipeline configures under ``inputs:`` (declared
        optional inputs may be left out)."""
        ...

    @property
    def salt_env(self) -> str:
        """The environment variable the salt for hashed keys comes from (for messages)."""
        ...

    def read(self, input_name: str, *, period: Period | None = None, location: str | None = None) -> RawTable:
        """Read an input for ``period`` (default: the run's period), with the
        pipeline's column mapping, units and fixed values applied, so the
        batches' columns are the names the source declared in its InputDecl.

        ``location``: one file of an input that names several (a glob, see
        :meth:`locations`), read and archived like any input."""
        ...

    def locations(self, input_name: str, *, period: Period | None = None) -> list[str]:
        """The files (or URL) an input names for ``period``: a glob expanded and
        sorted, a plain path as it is if it exists; ``[]`` when nothing is
        there or the input is not configured."""
        ...

    def input_settings(self, input_name: str, *, period: Period | None = None) -> InputSettings | None:
        """What the pipeline configures for an input (its location for ``period``,
        default the run's), or None if it does not configure it."""
        ...

    def has_input(self, input_name: str, *, period: Period | None = None) -> bool:
        """Whether the input is configured and exists for ``period``."""
        ...

    def source_unit(self, input_name: str, column: str) -> str | None:
        """The unit a raw column is in, if anything says it: the pipeline's
        ``units:``, else a convertible unit its header carries (``金额（元）``) in
        the input's file read last (a header and a ``units:`` that disagree fail
        the read)."""
        ...

    def published(self, dataset: str, period: Period) -> pa.Table | None:
        """The currently published table of a dataset-period, or None."""
        ...

    @property
    def salt(self) -> str | None:
        """Salt for hashed keys, from configuration (never committed)."""
        ...

    def warn(self, message: str) -> None:
        """Say something in the run report (console, log, report) that is not a reject: a
        value published as the rules say but worth a reader's attention (an AQI capped at
        the table's top). The row is still published; say which row and why."""
        ...


class Source:
    """Base class of domain sources. Subclass it and return an instance from
    the ``register_sources`` hook.

    Override :meth:`extract`; optionally :meth:`check` for cross-field and
    cross-period checks on the normalized, typed rows.
    """

    name: str = ""
    title_zh: str = ""
    title_en: str = ""
    datasets: tuple[Dataset, ...] = ()
    inputs: tuple[InputDecl, ...] = ()
    options: Mapping[str, Option] = {}
    #: Datasets whose rows are checked and written batch by batch (bounded
    #: memory) instead of as one table per period. A source with streaming
    #: datasets has its ``extract`` run in a thread of the run, one batch ahead
    #: of ``check``/``derive`` in the calling thread: keep state that both touch
    #: to what ``extract`` has finished yielding.
    streaming: tuple[str, ...] = ()

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        """Yield batches of rows for the period ``ctx.period``."""
        raise NotImplementedError

    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        """Cross-field / cross-period checks on typed rows; return rejects.

        ``table`` holds the dataset's fields plus ``_row`` and ``_file``. For a
        streaming dataset this is called per batch."""
        return ()

    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        """Compute derived fields after validation (e.g. change %). Default: none."""
        return table

    def default_datasets(self, input_names: Iterable[str]) -> tuple[str, ...]:
        """The datasets a pipeline publishes when it lists none, given the inputs
        it configures. Default: every dataset of the source."""
        return tuple(ds.id for ds in self.datasets)

    def reference(self, ctx: SourceContext, dataset_id: str) -> pa.Table | None:
        """This period's typed rows of another dataset of this source, for an
        ``in_dataset`` rule (a progress row's project must be in the project
        list). Default: None (the rule then rejects with a clear reason)."""
        return None

    def with_datasets(self, declared: tuple[Declared, ...]) -> Source:
        """This source feeding also ``datasets``, declared by a pipeline
        (``dataset_files:``, ``define:``). Only a source that feeds datasets from
        their declaration can; the ``declared`` source does."""
        raise ConfigError(
            f"数据源 {self.name!r} 不接受流水线声明的数据集 (source {self.name!r} cannot feed datasets "
            f"declared in a pipeline; use `source: {{plugin: declared}}`)"
        )


@dataclass(frozen=True)
class NamedCheck:
    """A check a field names (``check: uscc``), registered by a plugin's
    ``register_checks`` hook.

    ``valid`` takes the field's typed values as one Arrow array and returns a
    boolean array of the same length: true where the value passes, null or true
    where it is null (a missing value is ``required``'s business).

    ``code``: every valid value is a code of a fixed shape that names no person
    (a credit code, a division code). The privacy scan then leaves the field
    alone, as it does a field with a bounded ``pattern``: an all-digit credit
    code can look like a bank card number. Never set it for a check of personal
    numbers (``id18``): those fields must be dropped or masked, and scanned.
    """

    name: str
    title_zh: str
    title_en: str
    valid: Callable[[pa.Array], pa.Array]
    code: bool = False

    @property
    def reason(self) -> str:
        return f"{self.title_zh}校验不通过 ({self.title_en} check failed)"


class Reader:
    """Base class of input readers."""

    name: str = ""
    #: File name endings this reader handles (lower case, with dot).
    extensions: tuple[str, ...] = ()

    def can_read(self, location: str, options: Mapping[str, Any]) -> bool:
        fmt = options.get("format")
        if fmt:
            return fmt == self.name
        return location.lower().endswith(self.extensions)

    def read(self, location: str, options: Mapping[str, Any], *, expected: Iterable[str] = ()) -> RawTable:
        """Read ``location``. ``expected`` are header names the caller looks
        for, which lets spreadsheet readers find the header row below titles."""
        raise NotImplementedError


class WriterSession(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


class Writer:
    """Base class of output writers: one per format."""

    format: str = ""
    media_type: str = ""

    def filename(self, dataset: Dataset, period: Period) -> str:
        """File name inside the published layout, relative to ``<out>/<dataset>/``."""
        raise NotImplementedError

    def open(self, path: Path, dataset: Dataset, schema: pa.Schema) -> WriterSession:
        raise NotImplementedError
