"""Protect stage: apply a dataset's privacy policy, then scan every output cell.

The policy is the dataset's declared default adjusted by the pipeline's
``privacy.<dataset>`` section. Any finding blocks publication (exit 1); the
report shows masked values only.
"""

from __future__ import annotations

import dataclasses

import pyarrow as pa

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import DataError
from gongkai_etl.periods import Period
from gongkai_etl.spec import Pipeline
from gongkai_etl.transform.privacy import Finding, PrivacyPolicy, apply_policy, format_findings, scan_table


def policy_for(dataset: Dataset, pipeline: Pipeline) -> PrivacyPolicy:
    policy = PrivacyPolicy.from_dict(dataset.privacy, where=f"dataset {dataset.id} privacy")
    overrides = pipeline.privacy.get(dataset.id)
    if overrides:
        policy = policy.merge(overrides, where=f"privacy.{dataset.id}")
    # Fields whose shape is fixed by a validated pattern (codes, ids) and salted
    # keys (hex digests) cannot carry personal data but can look like digits.
    structural = tuple(f.name for f in dataset.fields if f.pattern and f.type == "string")
    ignore = tuple(dict.fromkeys((*policy.ignore, *structural, *policy.salted_keys)))
    return dataclasses.replace(policy, ignore=ignore)


def protect(
    table: pa.Table, dataset: Dataset, pipeline: Pipeline, period: Period, *, salt: str | None, row_offset: int = 0
) -> tuple[pa.Table, list[Finding]]:
    """Return the protected table (schema fields only) and what the scan found."""
    policy = policy_for(dataset, pipeline)
    table = apply_policy(table, policy, salt=salt, salt_env=pipeline.salt_env)
    keep = [n for n in table.column_names if n in dataset.field_names]
    out = table.select(keep)
    findings = scan_table(out, policy, dataset=dataset.id, period=period.key, row_offset=row_offset)
    return out, findings


def findings_error(findings: list[Finding]) -> DataError:
    first = findings[0]
    return DataError(format_findings(findings), stage="protect", dataset=first.dataset, period=first.period)
