"""What consumers read, brought up to date after a publish: changelogs,
``datapackage.json``, ``catalog.json`` and (where kept) the static site.

:func:`after_publish` is the portal's side of the ``after_publish`` hook
(:mod:`gongkai_etl.portal.hooks`); ``etl catalog`` and ``etl site`` call
:func:`regenerate` directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import GongkaiError, PublishError
from gongkai_etl.files import atomic_write_json
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.portal.catalog_file import render_catalog, write_catalog
from gongkai_etl.portal.changelog import load_manifest, refresh_changelog, warn
from gongkai_etl.portal.datapackage import build_datapackage
from gongkai_etl.portal.output import OutputConfig, output_config, registry_datasets
from gongkai_etl.portal.site import is_generated_site, write_site


# the after-publish step ---------------------------------------------------------------
@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Serialize catalog/site regeneration of one output between processes."""
    home = Home(out_dir)
    home.state.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: regeneration is still atomic per file
        yield
        return
    with open(home.catalog_lock, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def refresh_all(out_dir: Path, ledger: Ledger, datasets: dict[str, Dataset], *, strict: bool = True,
                only: set[str] | None = None) -> list[str]:
    """Bring every published dataset's changelogs and datapackage.json up to
    date; return the datasets whose changelog changed. ``strict=False`` (after a
    publish): a dataset whose changelog cannot be computed is warned about and
    keeps its previous changelog, so it never blocks publishing another dataset.
    ``only``: just these datasets (after a publish, the one published: another
    dataset's changelog cannot have changed, and checking every one made each
    publish cost in proportion to everything the output holds)."""

    touched: list[str] = []
    home = Home(out_dir)
    published = sorted({p.dataset for p in ledger.current_all()} if only is None else only)
    for ds_id in published:
        ds = datasets.get(ds_id)
        if ds is None:
            continue
        dp = home.dataset_dir(ds_id) / "datapackage.json"
        try:
            changed = refresh_changelog(out_dir, ledger, ds)
        except Exception as exc:
            if strict:
                raise
            warn(f"变更记录未更新 (changelog not updated) {ds_id}: {exc}")
            changed = False
        if changed or not dp.exists():
            atomic_write_json(dp, build_datapackage(ledger, ds, load_manifest(out_dir, ds_id)))
            touched.append(ds_id)
        elif strict:  # etl catalog / site: a datapackage.json that disagrees with the ledger is rewritten
            doc = build_datapackage(ledger, ds, load_manifest(out_dir, ds_id))
            if _read_json(dp) != json.loads(json.dumps(doc, ensure_ascii=False)):
                atomic_write_json(dp, doc)
                touched.append(ds_id)
    return touched


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: differs from anything, so it is rewritten


def regenerate(
    out_dir: Path,
    ledger: Ledger,
    *,
    base_url: str | None = None,
    site: bool | None = None,
    datasets: dict[str, Dataset] | None = None,
    strict: bool = True,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """Changelogs, datapackages, catalog.json and (if ``site``) the HTML pages.

    ``base_url``/``site`` default to what the output's pipelines configure; the
    site is also kept fresh when a generated one is already there. ``only``: the
    changelogs and datapackages of just these datasets (see :func:`refresh_all`).
    catalog.json is written whole, from the kept nodes of the datasets that did not
    change (``strict``, as ``etl catalog``: every node built afresh); the site's
    index is rewritten, and of its dataset pages those of ``only`` (all without it).
    """
    datasets = datasets if datasets is not None else registry_datasets(ledger)
    cfg = output_config(ledger) if base_url is None or site is None else OutputConfig()
    base = cfg.base_url if base_url is None else base_url
    if site is None:
        site = cfg.site or is_generated_site(out_dir)
    with output_lock(out_dir):
        refresh_all(out_dir, ledger, datasets, strict=strict, only=only)
        result: dict[str, Any] = {"base_url": base, "site": site}
        if site:
            result["pages"], result["index"] = write_site(out_dir, ledger, datasets, base_url=base, only=only)
        text = render_catalog(out_dir, ledger, datasets, base_url=base, site=site or None, rebuild=strict)
        result["catalog"] = write_catalog(out_dir, text)
    return result


def after_publish(out_dir: Path, ledger: Ledger, dataset: str | None = None) -> None:
    """Regenerate after a publish (of ``dataset``: only its changelogs and
    datapackage are refreshed; None: every dataset's); an unexpected failure is
    reported as a PublishError that says the data itself is published."""
    try:
        regenerate(out_dir, ledger, strict=False, only=None if dataset is None else {dataset})
    except GongkaiError:
        raise
    except Exception as exc:  # a catalog bug must not look like a crash of the data publish
        raise PublishError(
            f"目录生成失败，数据已发布 (catalog regeneration failed; the data itself is published): {type(exc).__name__}: {exc}",
            file=out_dir / "catalog.json",
        ) from exc


def after_record_timeliness(out_dir: Path, ledger: Ledger, dataset: str) -> None:
    """After a per-record deadline check of ``dataset`` (it runs after the
    after_publish hook): only the site shows record timeliness, so without a site
    nothing is rewritten (catalog.json and datapackage.json do not carry it)."""
    cfg = output_config(ledger)
    if cfg.site or is_generated_site(out_dir):
        after_publish(out_dir, ledger, dataset)
