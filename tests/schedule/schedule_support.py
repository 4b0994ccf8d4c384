"""Helpers for the scheduling tests: a small third-party source plugin with a
quarterly, a half-yearly and an event-driven monthly dataset, installed into a
temporary site folder (entry point group ``gongkai_etl``) for subprocess runs."""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
from pathlib import Path

PLUGIN = textwrap.dedent(
    '''
    import pyarrow as pa

    from gongkai_etl import hookimpl
    from gongkai_etl.contracts import Batch, InputDecl, Source
    from gongkai_etl.datasets import Dataset, Field
    from gongkai_etl.periods import Cadence


    def _fields(*extra):
        return (
            Field("period", "期间", required=True),
            Field("item", "事项", required=True),
            Field("value", "数值", type="integer"),
            *extra,
        )


    QUARTERLY = Dataset("qt_quarterly", "季度测试", "quarterly test", _fields(), Cadence.QUARTERLY, primary_key=("period", "item"))
    HALF = Dataset(
        "qt_half", "半年测试", "half-yearly test", _fields(), Cadence.HALF_YEARLY,
        primary_key=("period", "item"), deadline="30 days after period end",
    )
    CASES = Dataset(
        "qt_cases", "处罚决定测试", "decisions test", _fields(Field("decision_date", "决定日期", type="date")),
        Cadence.MONTHLY, primary_key=("period", "item"),
    )


    class QSource(Source):
        name = "qtest"
        title_zh = "测试"
        title_en = "test"
        datasets = (QUARTERLY, HALF, CASES)
        inputs = (
            InputDecl(
                "rows",
                columns={"item": ("事项",), "value": ("数值",), "decision_date": ("决定日期",)},
                optional_columns=("decision_date",),
            ),
        )

        def extract(self, ctx):
            table = ctx.read("rows").to_table()
            for ds in self.datasets:
                if ds.id not in ctx.dataset_ids:
                    continue
                names = [n for n in table.column_names if n in ds.field_names or n.startswith("_")]
                out = table.select(names)
                out = out.append_column("period", pa.array([ctx.period.key] * out.num_rows, pa.string()))
                yield Batch(ds.id, out)


    @hookimpl
    def register_sources():
        return [QSource()]
    '''
)


def install_qtest(root: Path) -> dict[str, str]:
    """Write the plugin into ``root/site``; return the env for ``run_etl``."""
    site = root / "site"
    (site / "qtest_plugin").mkdir(parents=True, exist_ok=True)
    (site / "qtest_plugin" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    dist = site / "qtest_plugin-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: qtest-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[gongkai_etl]\nqtest = qtest_plugin\n")
    return {"PYTHONPATH": str(site) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def qtest_pipeline(folder: Path, body: str, name: str = "qtest.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    head = "source: {plugin: qtest}\ninputs:\n  rows: data/{period}.csv\noutput: {dir: out}\n"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def status_json(etl, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, dict]:
    result = etl("status", *args, "--json", env=env, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def by_key(doc: dict) -> dict[tuple[str, str], dict]:
    return {(i["dataset"], i["period"]): i for i in doc["items"]}


def publications(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute("SELECT dataset, period, version, current FROM publications ORDER BY dataset, period, version"))
    finally:
        conn.close()
