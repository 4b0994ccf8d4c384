"""Protect stage: apply a dataset's privacy policy, then scan every output cell.

The policy is the dataset's declared default adjusted by the pipeline's
``privacy.<dataset>`` section. Any finding blocks publication (exit 1); the
report shows masked values only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

import pyarrow as pa

from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import DataError
from gongkai_etl.periods import Period
from gongkai_etl.protect.privacy import PrivacyPolicy, apply_policy
from gongkai_etl.protect.scan import Finding, format_findings, scan_table
from gongkai_etl.spec import Pipeline


def policy_for(dataset: Dataset, pipeline: Pipeline, code_checks: Collection[str] = ()) -> PrivacyPolicy:
    """The dataset's privacy policy with the pipeline's overrides, ignoring the
    fields that cannot carry personal data: a bounded pattern, a named check in
    ``code_checks`` (a credit code), a salted key."""
    policy = PrivacyPolicy.from_dict(dataset.privacy, where=f"dataset {dataset.id} privacy")
    overrides = pipeline.privacy.get(dataset.id)
    if overrides:
        policy = policy.merge(overrides, where=f"privacy.{dataset.id}")
    # Fields whose shape is fixed by a validated pattern (codes, ids) and salted
    # keys (hex digests) cannot carry personal data but can look like digits.
    # A pattern of unbounded length (a URL: https?://\S+) fixes no shape: its
    # field is scanned like free text (a query string may hold a phone number).
    structural = tuple(
        f.name for f in dataset.fields
        if (f.pattern and f.type == "string" and _bounded(f.pattern)) or (f.check and f.check in code_checks)
    )
    ignore = tuple(dict.fromkeys((*policy.ignore, *structural, *policy.salted_keys)))
    return dataclasses.replace(policy, ignore=ignore)


def _bounded(pattern: str, limit: int = 64) -> bool:
    """Whether every value the pattern accepts is at most ``limit`` characters."""
    try:
        import re._parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        return sre_parse.parse(pattern).getwidth()[1] <= limit
    except Exception:  # an odd pattern: treat it as free text and scan it
        return False


def protect(
    table: pa.Table, dataset: Dataset, pipeline: Pipeline, period: Period, *, salt: str | None, row_offset: int = 0,
    code_checks: Collection[str] = (),
) -> tuple[pa.Table, list[Finding]]:
    """Return the protected table (schema fields only) and what the scan found."""
    policy = policy_for(dataset, pipeline, code_checks)
    table = apply_policy(table, policy, salt=salt, salt_env=pipeline.salt_env)
    keep = [n for n in table.column_names if n in dataset.field_names]
    out = table.select(keep)
    findings = scan_table(out, policy, dataset=dataset.id, period=period.key, row_offset=row_offset)
    if findings:
        findings = _with_source(findings, table, row_offset)
    return out, findings


def _with_source(findings: list[Finding], table: pa.Table, row_offset: int) -> list[Finding]:
    """Name the raw file and row of each finding (the ``_row``/``_file`` columns
    the reader added), so the department can fix the cell at its source."""
    from pathlib import PurePath


    if ROW_COLUMN not in table.column_names:
        return findings
    rows = table.column(ROW_COLUMN)
    files = table.column(FILE_COLUMN) if FILE_COLUMN in table.column_names else None
    out = []
    for f in findings:
        i = f.row - row_offset - 1
        src_row = rows[i].as_py() if 0 <= i < len(rows) else None
        src_file = files[i].as_py() if files is not None and 0 <= i < len(files) else None
        out.append(dataclasses.replace(
            f,
            source_row=int(src_row) if isinstance(src_row, int) else None,
            source_file=PurePath(str(src_file).split("?")[0]).name if src_file else None,
        ))
    return out


def findings_error(findings: list[Finding]) -> DataError:
    first = findings[0]
    return DataError(format_findings(findings), stage="protect", dataset=first.dataset, period=first.period)
