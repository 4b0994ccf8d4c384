"""``etl review``: list, show, approve and reject staged versions waiting for
the confidentiality review (先审查后公开). Registered through the
``register_commands`` hook like any plugin's commands; the work is done by
:mod:`gongkai_etl.review`.

Every command takes where to look as optional trailing arguments: output
folders (holding ``.gongkai/``), pipeline files (their output and ledger), or
folders of pipelines; by default the current folder (an output, its pipeline
files, or its ``pipelines/`` folder).

Exit codes: 0 done; 1 approval refused because the staged content, the raw
inputs, the published period or the ``--hash`` no longer match what was
reviewed (re-run the pipeline and review again); 2 unknown review id, a review
already decided, a missing ``--by``/``--reason``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from gongkai_etl import hookimpl
from gongkai_etl.errors import ConfigError
from gongkai_etl.home import Home

review_app = typer.Typer(
    name="review",
    help="保密审查 Confidentiality review before publication (谁公开谁审查，先审查后公开): list, show, approve, reject.",
    no_args_is_help=True,
)

TargetsArg = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Output folders, pipeline files or folders of pipelines to look in (default: the current folder)."),
]


@hookimpl
def register_commands(app: typer.Typer) -> None:
    if not any(g.name == "review" for g in app.registered_groups):
        app.add_typer(review_app, name="review")


@dataclass
class _Output:
    """One output folder and its ledger; ``pipelines``: restrict to these ids."""

    out: Path
    ledger_path: Path
    pipelines: set[str] | None


def _outputs(targets: list[Path] | None) -> list[_Output]:
    from gongkai_etl.spec import load_pipeline, pipeline_files

    found: dict[Path, _Output] = {}

    def add_output(out: Path, ledger: Path | None = None, pipeline: str | None = None) -> None:
        ledger = Home(out, ledger).ledger.resolve()
        target_out = found.get(ledger)
        if target_out is None:
            found[ledger] = _Output(out.resolve(), ledger, {pipeline} if pipeline else None)
        elif target_out.pipelines is not None:
            if pipeline:
                target_out.pipelines.add(pipeline)
            else:
                target_out.pipelines = None

    def add_pipelines(files: list[Path]) -> None:
        for f in files:
            p = load_pipeline(f)
            add_output(p.output_dir, p.ledger_path, p.id)

    for t in targets or [Path(".")]:
        if t.is_file():
            add_pipelines([t])
        elif t.is_dir():
            if Home(t).is_output():
                add_output(t)
            elif any(t.glob("*.yaml")) or any(t.glob("*.yml")):
                add_pipelines(pipeline_files([t]))
            elif (t / "pipelines").is_dir():
                add_pipelines(pipeline_files([t / "pipelines"]))
            else:
                raise ConfigError("不是输出目录或流水线目录 (not an output folder with .gongkai/, nor a folder of pipelines)", file=t)
        else:
            raise ConfigError("找不到 (no such file or folder)", file=t)
    return list(found.values())


@contextmanager
def _ledger(target_out: _Output) -> Iterator[Any]:
    from gongkai_etl.ledger import Ledger

    ledger = Ledger(target_out.ledger_path)
    try:
        yield ledger
    finally:
        ledger.close()


@contextmanager
def _locate(review_id: str, targets: list[Path] | None) -> Iterator[tuple[Any, Any, Any]]:
    """(home, ledger, review) of a review id in the given places."""
    from gongkai_etl.review import find_review

    hits = []
    for target_out in _outputs(targets):
        if not target_out.ledger_path.exists():
            continue
        with _ledger(target_out) as ledger:
            rv = find_review(ledger, review_id)
            if rv is not None and (target_out.pipelines is None or rv.pipeline in target_out.pipelines):
                hits.append((target_out, rv.id))
    if not hits:
        where = ", ".join(str(t) for t in targets) if targets else "the current folder"
        raise ConfigError(f"未找到审查 {review_id!r} (no review with this id in {where}; see `etl review list`)")
    if len(hits) > 1:
        raise ConfigError(f"审查编号 {review_id!r} 不唯一 (matches reviews in {', '.join(str(h.out) for h, _ in hits)}); name the output folder")
    target_out, rid = hits[0]
    with _ledger(target_out) as ledger:
        yield Home(target_out.out), ledger, find_review(ledger, rid)


def _datasets(ledger: Any = None) -> dict[str, Any]:
    """The registered datasets and those the output's pipelines declare in YAML."""
    from gongkai_etl.portal.output import registry_datasets

    return registry_datasets(ledger)


@review_app.command("list")
def list_cmd(
    targets: TargetsArg = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Also decided and superseded reviews.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """列出待审查 List what waits for review (--all: every review and its decision)."""
    from gongkai_etl.review import STATUS_ZH, list_reviews, review_summary

    rows = []
    for target_out in _outputs(targets):
        if not target_out.ledger_path.exists():
            continue
        with _ledger(target_out) as ledger:
            for rv in list_reviews(ledger, status=None if all_ else "waiting"):
                if target_out.pipelines is None or rv.pipeline in target_out.pipelines:
                    rows.append((target_out, rv))
    if as_json:
        doc = [{**review_summary(rv), "output": str(target_out.out)} for target_out, rv in rows]
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    if not rows:
        print("没有待审查的版本 (nothing waits for review)" if not all_ else "没有审查记录 (no reviews)")
        return
    for target_out, rv in rows:
        rows_out = sum(int(r.get("rows_out") or 0) for r in rv.rows.values())
        decided = ""
        if rv.status in ("approved", "rejected"):
            decided = f"  {rv.decided_by} {rv.decided_at}" + (f"  {rv.note}" if rv.note else "")
        elif rv.status == "superseded":
            decided = f"  -> {rv.superseded_by or '-'}"
        print(
            f"{rv.id}  {STATUS_ZH.get(rv.status, rv.status)}  {rv.pipeline} {rv.period}  "
            f"{', '.join(rv.datasets)}  rows {rows_out:,}  hash {rv.content_hash[:12]}  created {rv.created}{decided}"
        )
    if len({h.out for h, _ in rows}) > 1 or targets:
        for out in dict.fromkeys(str(h.out) for h, _ in rows):
            print(f"  (output {out})")


@review_app.command("show")
def show_cmd(
    review_id: Annotated[str, typer.Argument(help="Review id (or a unique prefix), from `etl review list`.")],
    targets: TargetsArg = None,
    rows: Annotated[int, typer.Option("--rows", "-n", help="Sample rows per dataset.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """查看审查内容 Show a review: row counts, diff against the published period, sample rows, content hash."""
    from gongkai_etl.review import review_details

    with _locate(review_id, targets) as (home, ledger, rv):
        doc = review_details(home, ledger, rv, _datasets(ledger), sample=max(rows, 0))
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
        return
    _print_details(doc)


def _print_details(doc: dict[str, Any]) -> None:
    from gongkai_etl.review import STATUS_ZH

    p = print
    p(f"审查 review {doc['id']}: {STATUS_ZH.get(doc['status'], doc['status'])}")
    p(f"  流水线 pipeline   {doc['pipeline']} ({doc['pipeline_file']})")
    p(f"  期间 period       {doc['period']}")
    p(f"  运行 run          {doc['run_id']}  created {doc['created']}")
    p(f"  内容哈希 content hash  {doc['content_hash']}")
    if doc["status"] in ("approved", "rejected"):
        p(f"  决定 decision     {doc['status']} by {doc['decided_by']} at {doc['decided_at']}" + (f": {doc['note']}" if doc["note"] else ""))
    if doc["status"] == "superseded":
        p(f"  已被取代 superseded by {doc['superseded_by'] or 'a newer run'}")
    if doc["inputs"]:
        p("  原始输入 inputs:")
        for item in doc["inputs"]:
            p(f"    {item['sha256'][:12]}  {item['path']}")
    if doc.get("changed_inputs"):
        p("  警告 WARNING: 输入已改变，不能批准，请重新运行 (inputs changed since the run; approval will be refused; re-run):")
        for path in doc["changed_inputs"]:
            p(f"    {path}")
    for d in doc["datasets"]:
        p("")
        p(f"  数据集 dataset {d['dataset']}")
        p(f"    行 rows  in {d.get('rows_in', 0):,}  out {d.get('rows_out', 0):,}  rejected {d.get('rejected', 0):,}")
        if d.get("rejects_file"):
            p(f"    拒绝行 rejects (private)  {d['rejects_file']}")
        for jump in d.get("unit_jumps", []):
            p(f"    单位跳变 unit jump  {jump}")
        p(f"    内容哈希 content hash  {d['content_hash']}")
        if d.get("version") is not None:
            p(f"    发布版本 published version  v{d['version']}")
        diff = d.get("diff")
        if diff is not None:
            if diff.get("against"):
                p(f"    对比 diff against  {diff['against']}: rows {diff.get('rows_before', '?')} -> {diff.get('rows_after', '?')}")
            if "added" in diff:
                p(f"      新增 added {diff['added']}  减少 removed {diff['removed']}  变更 changed {diff['changed']}")
                for kind, items in diff.get("examples", {}).items():
                    for item in items:
                        key = ", ".join(f"{k}={v}" for k, v in item["key"].items())
                        fields = f" ({', '.join(item['fields'])})" if item["fields"] else ""
                        p(f"        {kind:<8} {key}{fields}")
            if diff.get("note"):
                p(f"      {diff['note']}")
        if d.get("sample") is not None:
            p(f"    样例 sample ({len(d['sample'])} rows, as published):")
            _print_table(d["columns"], d["sample"], indent="      ")
    if doc["status"] == "waiting":
        p("")
        p(f"  批准 approve:  etl review approve {doc['id']} --by NAME --hash {doc['content_hash'][:12]} [--note TEXT]")
        p(f"  驳回 reject:   etl review reject {doc['id']} --by NAME --reason TEXT")


def _print_table(columns: list[str], rows: list[list[Any]], indent: str = "") -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print(indent + "  ".join(_pad(c, w) for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        print(indent + "  ".join(_pad(v, w) for v, w in zip(r, widths)).rstrip())


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@review_app.command("approve")
def approve_cmd(
    review_id: Annotated[str, typer.Argument(help="Review id (or a unique prefix).")],
    targets: TargetsArg = None,
    by: Annotated[str, typer.Option("--by", help="Reviewer's name (recorded in the ledger and datapackage.json).")] = "",
    note: Annotated[Optional[str], typer.Option("--note", help="Review note.")] = None,
    hash_prefix: Annotated[
        Optional[str], typer.Option("--hash", help="Approve only if the content hash starts with this (from `etl review show`).")
    ] = None,
) -> None:
    """批准并发布 Approve a review: check it is still what was reviewed, then publish it atomically."""
    from gongkai_etl.review import approve

    with _locate(review_id, targets) as (home, ledger, rv):
        done = approve(home, ledger, rv.id, by=by, note=note, hash_prefix=hash_prefix, datasets=_datasets(ledger))
    for ds in done.datasets:
        v = done.versions.get(ds)
        print(f"已批准并发布 approved and published: {ds} {done.period}" + (f" v{v}" if v else " (unchanged)") + f" by {done.decided_by}")


@review_app.command("reject")
def reject_cmd(
    review_id: Annotated[str, typer.Argument(help="Review id (or a unique prefix).")],
    targets: TargetsArg = None,
    by: Annotated[str, typer.Option("--by", help="Reviewer's name.")] = "",
    reason: Annotated[str, typer.Option("--reason", help="Why it must not be published (recorded).")] = "",
) -> None:
    """驳回 Reject a review: record the decision and discard the staged version; nothing is published."""
    from gongkai_etl.review import reject

    with _locate(review_id, targets) as (home, ledger, rv):
        done = reject(home, ledger, rv.id, by=by, reason=reason)
    print(f"已驳回 rejected: {done.id} {done.pipeline} {done.period} by {done.decided_by}: {done.note}", file=sys.stdout)
