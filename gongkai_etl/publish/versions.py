"""``etl history`` and ``etl restore``: the versions of a dataset-period, and
putting an earlier one back.

Every published version stays in ``<out>/.gongkai/versions/<dataset>/<period>/v<N>/``
(see :mod:`gongkai_etl.publish.publish`). Restoring checks the stored files
against the hashes in the ledger, then installs them with the same journaled,
file-by-file atomic step as a publish (hard links of the stored files, so the
published bytes are those of the version), marks the version current in the
ledger, rewrites ``datapackage.json`` and the catalog, and logs the restore as
a run with outcome ``restored``.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, PublishError, unknown_name
from gongkai_etl.files import sha256_file
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication
from gongkai_etl.periods import Period
from gongkai_etl.pipeline_check import check_pipeline
from gongkai_etl.plugins import load_plugins
from gongkai_etl.publish.publish import install_version
from gongkai_etl.publish.recovery import recover
from gongkai_etl.schedule.locks import DEFAULT_WAIT, pipeline_lock
from gongkai_etl.spec import Pipeline, load_pipeline, pipeline_files


def default_pipeline_paths() -> list[Path]:
    here = Path.cwd()
    return [here / "pipelines"] if (here / "pipelines").is_dir() else [here]


def find_home(dataset_id: str, paths: list[Path] | None) -> tuple[Pipeline, Dataset]:
    """The pipeline publishing ``dataset_id`` among ``paths`` (default ./pipelines)."""
    registry = load_plugins()
    found: list[Pipeline] = []
    problems: list[str] = []
    for file in pipeline_files(list(paths or default_pipeline_paths())):
        try:
            p = load_pipeline(file)
            ids = [d.id for d in check_pipeline(p, registry)[1]]  # also registers what p declares
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if dataset_id in ids:
            found.append(p)
    known = registry.datasets()
    if dataset_id not in known:
        raise ConfigError(unknown_name("数据集 dataset", dataset_id, known))
    dataset = known[dataset_id][1]
    if not found:
        extra = f"; pipelines that did not load: {' | '.join(problems)}" if problems else ""
        where = ", ".join(str(p) for p in (paths or default_pipeline_paths()))
        raise ConfigError(
            f"没有流水线发布数据集 {dataset_id} (no pipeline in {where} publishes {dataset_id}; "
            f"name one with --pipeline){extra}"
        )
    outs = {p.home.ledger for p in found}
    if len(outs) > 1:
        names = ", ".join(str(p.file) for p in found)
        raise ConfigError(f"数据集 {dataset_id} 由多个流水线发布到不同输出 (published by several pipelines with different outputs: {names}); choose one with --pipeline")
    return found[0], dataset


def _ledger(pipeline: Pipeline) -> Ledger:
    path = pipeline.home.ledger
    if not path.exists():
        raise ConfigError(f"尚未发布任何内容 (nothing was published yet: no ledger at {path})", file=pipeline.file)
    return Ledger(path)


def history(pipeline: Pipeline, dataset: Dataset, period: str | None) -> list[Publication]:
    if period:
        period = Period.parse(period).key
    ledger = _ledger(pipeline)
    try:
        return ledger.versions(dataset.id, period)
    finally:
        ledger.close()


def history_json(pubs: list[Publication]) -> list[dict[str, Any]]:
    return [
        {
            "dataset": p.dataset,
            "period": p.period,
            "version": p.version,
            "published_at": p.published_at,
            "published_on": p.effective_date.isoformat(),
            "rows": p.rows,
            "content_hash": p.content_hash,
            "input_hash": p.input_hash,
            "current": p.current,
            "run_id": p.run_id,
            "files": {rel: {k: v for k, v in info.items() if k in ("sha256", "bytes")} for rel, info in p.files.items()},
        }
        for p in pubs
    ]


def render_history(dataset: str, pubs: list[Publication], stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    if not pubs:
        print(f"{dataset}: 没有已发布的版本 (no published versions)", file=out)
        return
    print(f"{dataset}: {len(pubs)} versions (* = current 当前版本; counts as = publication day for timeliness)", file=out)
    print(
        f"  {'period':<8} {'version':<8} {'published at':<26} {'counts as':<10} {'rows':>8}  {'content hash':<16} current",
        file=out,
    )
    for p in pubs:
        mark = "*" if p.current else ""
        print(
            f"  {p.period:<8} {'v' + str(p.version):<8} {p.published_at:<26} {p.effective_date.isoformat():<10} "
            f"{p.rows:>8,}  {p.content_hash[:16]:<16} {mark}",
            file=out,
        )


def restore(
    pipeline: Pipeline, dataset: Dataset, period_text: str, version: int, *, wait: float = DEFAULT_WAIT
) -> tuple[Publication, bool]:
    """Make ``version`` the published version again. Returns (publication, changed)."""
    period = Period.parse(period_text).key
    home = Home(pipeline.output_dir)
    with pipeline_lock(pipeline, wait):
        ledger = _ledger(pipeline)
        try:
            recover(home, ledger, {dataset.id: dataset}, held={pipeline.id})
            versions = {p.version: p for p in ledger.versions(dataset.id, period)}
            if version not in versions:
                have = ", ".join(f"v{v}" for v in sorted(versions)) or "none"
                raise ConfigError(
                    f"{dataset.id} {period} 没有版本 v{version} (no version v{version}; versions: {have})"
                )
            pub = versions[version]
            if pub.current:
                return pub, False
            vdir = home.version_dir(dataset.id, period, version)
            _verify(vdir, pub)
            run_id = "restore-" + datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
            ledger.start_run(run_id, pipeline.id, str(pipeline.file), [period])
            install_version(home, ledger, dataset, replace(pub, current=True), vdir)
            _verify(home.dataset_dir(dataset.id), pub, after=True)
            ledger.finish_run(run_id, f"restored v{version}", rows_out=pub.rows)
            return replace(pub, current=True), True
        finally:
            ledger.close()


def _verify(folder: Path, pub: Publication, *, after: bool = False) -> None:
    """Every file of ``pub`` under ``folder`` with the sha256 the ledger recorded."""
    what = "恢复后的文件与版本不符 (a restored file differs from the version)" if after else (
        f"版本文件缺失或已损坏, 无法恢复 (a stored file of v{pub.version} is missing or does not match its "
        "recorded sha256; nothing was changed)"
    )
    for rel, info in sorted(pub.files.items()):
        path = folder / rel
        if not path.is_file() or sha256_file(path) != info.get("sha256"):
            raise PublishError(what, dataset=pub.dataset, period=pub.period, file=path)

