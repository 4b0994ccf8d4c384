"""Pipeline YAML -> a validated :class:`Pipeline`.

Everything is checked before anything runs. An error names the file, the key
path, what was expected and, for a misspelt key, the nearest valid one.
Relative paths are relative to the pipeline file, so ``etl run`` works from
any directory.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai_etl.errors import ConfigError, did_you_mean
from gongkai_etl.home import Home, register_target
from gongkai_etl.intake_spec import DEFAULT_UNIT_JUMPS, parse_not_provided, parse_unit_jumps
from gongkai_etl.periods import Period, parse_periods
from gongkai_etl.reshape_spec import ReshapeStep, parse_steps
from gongkai_etl.yamlfile import load_yaml
from gongkai_etl.yamlfile import show_value as _show

TOP_KEYS = {
    "pipeline": "pipeline id (default: the file name)",
    "title": "human title",
    "source": "the source plugin and its options",
    "inputs": "raw inputs by name",
    "datasets": "dataset ids to publish (default: all of the source)",
    "dataset_files": "YAML files declaring datasets for the declared source, e.g. [../datasets/*.yaml]",
    "define": "datasets declared inline (a list of dataset mappings, as in a dataset file)",
    "periods": "default periods when --period is not given, e.g. 2016-08..2016-10",
    "first_period": "first period `etl status` expects per cadence (older name of since)",
    "since": "first period the pipeline owes, per cadence, e.g. 2016-08 or [2016-07, 2016Q3]",
    "until": "last period the pipeline owes, per cadence (default: none, it owes every closed period)",
    "output": "output directory and formats",
    "max_reject_ratio": "share of each dataset's rows that may be rejected (0..1, default 0)",
    "reject_ratios": "max_reject_ratio for single datasets, e.g. {dibao_public_list: 0.1}",
    "review": "auto or required",
    "deadlines": "deadline rule per dataset id",
    "privacy": "privacy policy overrides per dataset id",
    "salt_env": "environment variable holding the salt for hashed keys",
    "ledger": "path of the SQLite ledger (default <output>/.gongkai/state.db)",
    "batch_rows": "rows per batch on the streaming path",
    "unit_jumps": "a column about 10/100/1000/10000 times last period's: warn (hold for review, default), reject, off",
}
SOURCE_KEYS = {"plugin": "source plugin name", "options": "plugin options"}
INPUT_KEYS = {
    "path": "file path, may contain {period}, {year}, {month}, {quarter}, {half}, {yyyymm}",
    "url": "http(s) URL, may contain the same placeholders",
    "format": "reader name (csv, xlsx, xls, json, http) when the ending does not tell",
    "encoding": "text encoding of a CSV (default: detected)",
    "sheet": "sheet name or 0-based index of a workbook",
    "header_rows": "number of header rows (default: detected)",
    "columns": "mapping of the plugin's column names to the department's headers",
    "units": "unit of a raw column when it differs from the plugin's, e.g. 元",
    "fixed": "fixed values for columns the file lacks, e.g. station: 农展馆",
    "not_provided": "optional fields the department does not keep: published as null, marked not provided",
    "records_path": "dotted path to the records inside a JSON document",
    "options": "reader options (http: headers, token_env, timeout, retries, ...)",
    "reshape": "steps applied before the columns are mapped: fill_down, unpivot, combine, split, "
    "map_values, drop_rows, select_period",
}
OUTPUT_KEYS = {
    "dir": "output root folder",
    "formats": "list of output formats (parquet, csv; xlsx for people, opt-in)",
    "base_url": "base URL for download links in the catalog",
    "site": "regenerate the static catalog page after each publish (true/false)",
    "s3": "object store settings when dir is s3://bucket/prefix: endpoint_url, region",
    "state_dir": "local folder for ledger, staging and versions of an s3:// output "
    "(default .gongkai-state/<bucket>/<prefix> beside the pipeline)",
}
S3_KEYS = {"endpoint_url": "S3-compatible endpoint, e.g. http://127.0.0.1:9000", "region": "region, e.g. cn-north-1"}


@dataclass
class InputSpec:
    name: str
    path: str | None = None
    url: str | None = None
    format: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    header_rows: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    #: ``not_provided:`` optional fields the file lacks, published as null (gongkai_etl.intake_spec)
    not_provided: list[str] = field(default_factory=list)
    records_path: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: ``reshape:`` steps (gongkai_etl.reshape_spec), applied by gongkai_etl.reshape
    reshape: list[ReshapeStep] = field(default_factory=list)

    @property
    def templated(self) -> bool:
        return "{" in (self.path or self.url or "")

    def location(self, period: Period, base_dir: Path) -> str:
        template = self.path if self.path is not None else self.url or ""
        try:
            text = template.format(**period.template_values())
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"inputs.{self.name}: bad placeholder in {template!r}: {exc}") from None
        if self.url is not None:
            return text
        path = Path(os.path.expanduser(text))
        return os.path.normpath(path if path.is_absolute() else (base_dir / path))

    def locations(self, period: Period, base_dir: Path) -> list[str]:
        """The files this input names for ``period``: a glob (one file per department,
        say) expands to the files that exist, sorted; a plain path is listed when it
        exists; a URL is listed as it is (not fetched)."""
        location = self.location(period, base_dir)
        if self.url is not None:
            return [location]
        if glob.has_magic(location):
            return sorted(glob.glob(location))
        return [location] if Path(location).exists() else []

    def reader_options(self) -> dict[str, Any]:
        opts: dict[str, Any] = dict(self.options)
        for key in ("format", "encoding", "sheet", "header_rows", "records_path"):
            value = getattr(self, key)
            if value is not None:
                opts[key] = value
        if self.url is not None and "format" not in opts and not self.url.startswith("file:"):
            opts.setdefault("transport", "http")
        return opts


@dataclass
class Pipeline:
    """A validated pipeline file."""

    file: Path
    id: str
    title: str
    source: str
    source_options: dict[str, Any]
    inputs: dict[str, InputSpec]
    datasets: list[str]
    output_dir: Path
    formats: list[str]
    base_url: str = ""
    site: bool = False
    periods: list[Period] = field(default_factory=list)
    first_period: dict[str, Period] = field(default_factory=dict)
    #: ``until:``: the last period owed, per cadence value (the obligations window's end)
    until: dict[str, Period] = field(default_factory=dict)
    max_reject_ratio: float = 0.0
    reject_ratios: dict[str, float] = field(default_factory=dict)  # dataset id -> its own limit
    review: str = "auto"
    deadlines: dict[str, Any] = field(default_factory=dict)  # dataset id -> rule text or mapping
    privacy: dict[str, dict[str, Any]] = field(default_factory=dict)
    salt_env: str = "GONGKAI_SALT"
    ledger_path: Path | None = None
    batch_rows: int = 131072
    #: ``unit_jumps:`` warn | reject | off (gongkai_etl.intake_spec)
    unit_jumps: str = DEFAULT_UNIT_JUMPS
    #: Globs of dataset YAML files (relative to the pipeline) and inline
    #: declarations, read by gongkai_etl.declare.pipeline_declared.
    dataset_files: list[str] = field(default_factory=list)
    define: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    #: ``s3://bucket/prefix`` when the output is an object store; output_dir is then
    #: the local state folder (output.state_dir) mirrored to the store after each publish.
    output_uri: str | None = None
    s3: dict[str, Any] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.file.parent

    @property
    def home(self) -> Home:
        """The output folder's paths (gongkai_etl.home), with this pipeline's ledger."""
        return Home(self.output_dir, self.ledger_path)


def _err(file: Path, path: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: {message}", file=file)


def _check_keys(file: Path, path: str, data: Any, allowed: dict[str, str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _err(file, path or "(top level)", f"expected a mapping, got {_kind(data)}")
    for key in data:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed, or_list=True)
            where = f"{path}.{key}" if path else str(key)
            raise _err(file, where, f"未知的键 (unknown key){hint}")
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _expect(file: Path, path: str, value: Any, types: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise _err(file, path, f"expected {what}, got {_kind(value)} {_show(value)}")
    if not isinstance(value, types):
        raise _err(file, path, f"expected {what}, got {_kind(value)} {_show(value)}")
    return value


def _str_map(file: Path, path: str, value: Any) -> dict[str, Any]:
    value = _expect(file, path, value, dict, "a mapping")
    for k in value:
        _expect(file, f"{path}.{k}", k, str, "a text key")
    return dict(value)


def load_pipeline(file: str | Path) -> Pipeline:
    """Read and validate one pipeline file (syntax and shape; plugin-specific
    checks are in :func:`gongkai_etl.run.runner.check_pipeline`)."""
    file = Path(file).resolve()
    data = load_yaml(file)
    if data is None:
        raise ConfigError("流水线文件为空 (pipeline file is empty)", file=file)
    data = _check_keys(file, "", data, TOP_KEYS)
    if "source" not in data:
        raise _err(file, "source", "缺少必需的键 (missing required key): expected `source: {plugin: NAME}`")
    source = _check_keys(file, "source", data["source"], SOURCE_KEYS)
    plugin = _expect(file, "source.plugin", source.get("plugin"), str, "the name of a source plugin")
    options = _str_map(file, "source.options", source.get("options") or {})

    inputs: dict[str, InputSpec] = {}
    for name, raw in _str_map(file, "inputs", data.get("inputs") or {}).items():
        if isinstance(raw, str):
            raw = {"path": raw}
        raw = _check_keys(file, f"inputs.{name}", raw, INPUT_KEYS)
        if ("path" in raw) == ("url" in raw):
            raise _err(file, f"inputs.{name}", "expected exactly one of `path` or `url`")
        spec = InputSpec(name=name)
        for key in ("path", "url", "format", "encoding", "records_path"):
            if key in raw:
                setattr(spec, key, _expect(file, f"inputs.{name}.{key}", raw[key], str, "text"))
        if "sheet" in raw:
            spec.sheet = _expect(file, f"inputs.{name}.sheet", raw["sheet"], (str, int), "a sheet name or index")
        if "header_rows" in raw:
            spec.header_rows = _expect(file, f"inputs.{name}.header_rows", raw["header_rows"], int, "a whole number")
        for key in ("columns", "units"):
            mapping = _str_map(file, f"inputs.{name}.{key}", raw.get(key) or {})
            for k, v in mapping.items():
                _expect(file, f"inputs.{name}.{key}.{k}", v, str, "text")
            setattr(spec, key, mapping)
        spec.fixed = _str_map(file, f"inputs.{name}.fixed", raw.get("fixed") or {})
        spec.not_provided = parse_not_provided(file, f"inputs.{name}.not_provided", raw.get("not_provided"))
        spec.options = _str_map(file, f"inputs.{name}.options", raw.get("options") or {})
        if "reshape" in raw:
            spec.reshape = parse_steps(file, f"inputs.{name}.reshape", raw["reshape"])
        inputs[name] = spec

    datasets = data.get("datasets") or []
    _expect(file, "datasets", datasets, list, "a list of dataset ids")
    for i, d in enumerate(datasets):
        _expect(file, f"datasets[{i}]", d, str, "a dataset id")

    output = _check_keys(file, "output", data.get("output") or {}, OUTPUT_KEYS)
    out_dir_text = _expect(file, "output.dir", output.get("dir", "output"), str, "a folder path")
    output_uri = None
    s3: dict[str, Any] = {}
    if out_dir_text.startswith("s3://"):
        output_uri, s3, out_dir_text = _s3_output(file, out_dir_text, output)
    elif "s3" in output or "state_dir" in output:
        raise _err(file, "output.s3" if "s3" in output else "output.state_dir", "only for an s3:// output.dir")
    out_dir = Path(os.path.expanduser(out_dir_text))
    out_dir = out_dir if out_dir.is_absolute() else (file.parent / out_dir)
    _check_output_dir(file, out_dir)
    formats = output.get("formats", ["parquet", "csv"])
    _expect(file, "output.formats", formats, list, "a list such as [parquet, csv]")
    for i, f in enumerate(formats):
        _expect(file, f"output.formats[{i}]", f, str, "a format name")
    if not formats:
        raise _err(file, "output.formats", "expected at least one format")

    ratio = data.get("max_reject_ratio", 0)
    _expect(file, "max_reject_ratio", ratio, (int, float), "a number between 0 and 1")
    if not 0 <= ratio <= 1:
        raise _err(file, "max_reject_ratio", f"expected a number between 0 and 1, got {_show(ratio)}")
    ratios = _str_map(file, "reject_ratios", data.get("reject_ratios") or {})
    for k, v in ratios.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise _err(file, f"reject_ratios.{k}", f"expected a number between 0 and 1, got {_show(v)}")
    review = data.get("review", "auto")
    if review not in ("auto", "required"):
        raise _err(file, "review", f"expected `auto` or `required`, got {_show(review)}")

    periods: list[Period] = []
    if "periods" in data:
        text = data["periods"]
        if isinstance(text, list):
            text = ",".join(str(x) for x in text)
        text = _expect(file, "periods", str(text) if isinstance(text, int) else text, str, "periods like 2016-08..2016-10")
        try:
            periods = parse_periods(text)
        except ConfigError as exc:
            raise _err(file, "periods", exc.message) from None
    first = {**_per_cadence(file, "first_period", data.get("first_period")), **_per_cadence(file, "since", data.get("since"))}
    until = _per_cadence(file, "until", data.get("until"))
    for cadence, last in until.items():
        if cadence in first and first[cadence] > last:
            raise _err(file, "until", f"{last.key} is before since {first[cadence].key}; expected since <= until")

    deadlines = _str_map(file, "deadlines", data.get("deadlines") or {})
    for k, v in deadlines.items():
        # text or the structured mapping; parsed against the dataset by deadlines.deadline_plan
        _expect(file, f"deadlines.{k}", v, (str, dict), "a rule like 期末后10个工作日内 or {days: 7, after: decision_date}")
    privacy = _str_map(file, "privacy", data.get("privacy") or {})
    for k, v in privacy.items():
        _expect(file, f"privacy.{k}", v, dict, "a mapping of policy overrides")
    salt_env = _expect(file, "salt_env", data.get("salt_env", "GONGKAI_SALT"), str, "an environment variable name")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", salt_env):
        raise _err(file, "salt_env", f"expected an environment variable name, got {_show(salt_env)}")
    ledger = data.get("ledger")
    ledger_path = None
    if ledger is not None:
        ledger_path = Path(_expect(file, "ledger", ledger, str, "a file path"))
        ledger_path = ledger_path if ledger_path.is_absolute() else file.parent / ledger_path
    batch_rows = _expect(file, "batch_rows", data.get("batch_rows", 131072), int, "a whole number of rows")
    if batch_rows < 1:
        raise _err(file, "batch_rows", "expected a positive number of rows")
    site = _expect(file, "output.site", output.get("site", False), bool, "true or false")
    base_url = _expect(file, "output.base_url", output.get("base_url", ""), str, "a URL")
    dataset_files = data.get("dataset_files") or []
    if isinstance(dataset_files, str):
        dataset_files = [dataset_files]
    _expect(file, "dataset_files", dataset_files, list, "a list of file globs such as ../datasets/*.yaml")
    for i, pattern in enumerate(dataset_files):
        _expect(file, f"dataset_files[{i}]", pattern, str, "a file glob")
    define = data.get("define") or []
    _expect(file, "define", define, list, "a list of dataset declarations")
    for i, item in enumerate(define):
        _expect(file, f"define[{i}]", item, dict, "a dataset declaration (a mapping)")
    pid = _expect(file, "pipeline", data.get("pipeline", file.stem), str, "a pipeline id")
    if not _NAME_RE.fullmatch(pid) or ".." in pid:
        # the id names files (its lock, its log): never a path
        raise _err(file, "pipeline", f"expected a name of letters, digits, _, - and . (no / and no ..), got {_show(pid)}")
    title = _expect(file, "title", data.get("title", pid), str, "text")

    pipeline = Pipeline(
        file=file,
        id=pid,
        title=title,
        source=plugin,
        source_options=options,
        inputs=inputs,
        datasets=list(datasets),
        output_dir=out_dir.resolve(),
        formats=list(formats),
        base_url=base_url,
        site=site,
        periods=periods,
        first_period=first,
        until=until,
        max_reject_ratio=float(ratio),
        reject_ratios={k: float(v) for k, v in ratios.items()},
        review=review,
        deadlines=deadlines,
        privacy=privacy,
        salt_env=salt_env,
        ledger_path=ledger_path,
        batch_rows=batch_rows,
        unit_jumps=parse_unit_jumps(file, data.get("unit_jumps")),
        dataset_files=list(dataset_files),
        define=list(define),
        raw=data,
        output_uri=output_uri,
        s3=s3,
    )
    if output_uri:
        register_target(pipeline.output_dir, output_uri, s3)
    return pipeline


_NAME_RE = re.compile(r"\w[\w.\-]*")


def _check_output_dir(file: Path, out_dir: Path) -> None:
    """The output folder holds one folder per dataset and a private state folder:
    never the file system's root, the home folder, or a folder that contains the
    pipeline's own folder (``../../..``)."""
    resolved = out_dir.resolve()
    home = Path.home().resolve()
    pipeline_dir = file.resolve().parent
    if resolved == Path(resolved.anchor) or resolved == home or pipeline_dir.is_relative_to(resolved) and resolved != pipeline_dir:
        raise _err(
            file, "output.dir",
            f"输出目录不能是根目录、主目录或流水线所在目录的上级 (expected a folder of its own for the published "
            f"datasets, not the root, the home folder or a parent of the pipeline's folder), got {str(out_dir)!r} -> {resolved}",
        )


def _per_cadence(file: Path, key: str, raw: Any) -> dict[str, Period]:
    """``2016-08`` or ``[2016-07, 2016Q3]``: one period per cadence."""
    out: dict[str, Period] = {}
    if raw is None:
        return out
    items = raw if isinstance(raw, list) else [raw]
    for i, item in enumerate(items):
        try:
            p = Period.parse(str(item))
        except ConfigError as exc:
            raise _err(file, f"{key}[{i}]" if isinstance(raw, list) else key, exc.message) from None
        out[p.cadence.value] = p
    return out


def _s3_output(file: Path, uri: str, output: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """``s3://bucket/prefix`` -> (uri, s3 settings, local state folder text)."""
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    prefix = prefix.strip("/")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
        raise _err(file, "output.dir", f"expected s3://bucket/prefix with a valid bucket name, got {uri!r}")
    s3 = _check_keys(file, "output.s3", output.get("s3") or {}, S3_KEYS)
    for k, v in s3.items():
        _expect(file, f"output.s3.{k}", v, str, "text")
    default = str(Path(".gongkai-state") / bucket / prefix) if prefix else str(Path(".gongkai-state") / bucket)
    state = _expect(file, "output.state_dir", output.get("state_dir", default), str, "a folder path")
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}", dict(s3), state


def pipeline_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders into their ``*.yaml``/``*.yml`` files, sorted."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise ConfigError("文件夹中没有流水线 (no *.yaml pipeline files in folder)", file=path)
            out.extend(found)
        elif path.exists():
            out.append(path)
        else:
            raise ConfigError("流水线文件不存在 (pipeline file not found)", file=path)
    return out
