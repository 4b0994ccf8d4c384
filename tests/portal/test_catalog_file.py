"""catalog.json spliced from kept dataset nodes: byte for byte the whole-catalog
encoding, and a kept node is used only while everything it was built from holds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.portal import catalog_file
from gongkai_etl.portal.catalog import build_catalog
from gongkai_etl.portal.output import registry_datasets


@pytest.fixture
def output(project: Path, etl) -> Path:
    result = etl("run", str(project / "pipelines/shantytown.yaml"), str(project / "pipelines/ppp.yaml"))
    assert result.returncode == 0, result.stderr + result.stdout
    return project / "output"


def _whole(out: Path, ledger: Ledger, datasets: dict, **kw) -> str:
    return json.dumps(build_catalog(out, ledger, datasets, **kw), ensure_ascii=False, indent=2) + "\n"


def test_published_catalog_is_the_whole_encoding(output: Path) -> None:
    ledger = Ledger(Home(output).ledger)
    try:
        datasets = registry_datasets(ledger)
        assert len({p.dataset for p in ledger.current_all()}) > 3
        # what the after-publish hook wrote, from nodes kept publish after publish
        assert (output / "catalog.json").read_text(encoding="utf-8") == _whole(output, ledger, datasets)
        for kw in ({"base_url": "https://data.example.cn/open", "site": True}, {"base_url": "", "site": False}):
            catalog_file._memo.clear()  # from the node files on disk, then from memory
            assert catalog_file.render_catalog(output, ledger, datasets, **kw) == _whole(output, ledger, datasets, **kw)
            assert catalog_file.render_catalog(output, ledger, datasets, **kw) == _whole(output, ledger, datasets, **kw)
    finally:
        ledger.close()


def test_a_kept_node_serves_only_under_its_key(output: Path) -> None:
    ledger = Ledger(Home(output).ledger)
    try:
        datasets = registry_datasets(ledger)
        catalog_file.render_catalog(output, ledger, datasets)
        ds_id = sorted({p.dataset for p in ledger.current_all()})[0]
        node_file = Home(output).state / "catalog" / f"{ds_id}.json"
        kept = json.loads(node_file.read_text(encoding="utf-8"))
        marked = kept["text"].replace(ds_id, ds_id + "-KEPT")
        node_file.write_text(json.dumps({**kept, "text": marked}), encoding="utf-8")
        catalog_file._memo.clear()
        assert ds_id + "-KEPT" in catalog_file.render_catalog(output, ledger, datasets)  # reused, not rebuilt

        # the declaration changes: its node is built again
        changed = {**datasets, ds_id: dataclasses.replace(datasets[ds_id], title_zh="改过的标题")}
        text = catalog_file.render_catalog(output, ledger, changed)
        assert "-KEPT" not in text and "改过的标题" in text
        assert text == _whole(output, ledger, changed)

        # a torn node file is built again, never trusted
        node_file.write_text('{"key": "', encoding="utf-8")
        catalog_file._memo.clear()
        assert catalog_file.render_catalog(output, ledger, datasets) == _whole(output, ledger, datasets)

        # etl catalog (rebuild) ignores kept nodes
        node_file.write_text(json.dumps({**kept, "text": marked}), encoding="utf-8")
        catalog_file._memo.clear()
        assert catalog_file.render_catalog(output, ledger, datasets, rebuild=True) == _whole(output, ledger, datasets)
    finally:
        ledger.close()
