"""After a publish, only the published dataset's changelogs and datapackage are
refreshed (issue 19 item 5: a publish must not cost in proportion to everything
the output holds); `etl catalog`/`etl site` and an approved review still refresh all."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gongkai_etl.home import Home
from gongkai_etl.portal import hooks, regenerate


class FakeLedger:
    def current_all(self) -> list[Any]:
        return [SimpleNamespace(dataset=d) for d in ("ds_a", "ds_b", "ds_c")]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake_refresh(out_dir: Path, ledger: Any, ds: Any) -> bool:
        calls.append(ds.id)
        return True

    monkeypatch.setattr(regenerate, "refresh_changelog", fake_refresh)
    monkeypatch.setattr(regenerate, "build_datapackage", lambda ledger, ds, manifest: {"name": ds.id})
    monkeypatch.setattr(regenerate, "load_manifest", lambda out_dir, ds_id: {})
    return calls


DATASETS = {d: SimpleNamespace(id=d) for d in ("ds_a", "ds_b", "ds_c")}


def test_refresh_all_checks_every_dataset_by_default(tmp_path: Path, seen: list[str]) -> None:
    assert regenerate.refresh_all(tmp_path, FakeLedger(), DATASETS) == ["ds_a", "ds_b", "ds_c"]  # type: ignore[arg-type]
    assert seen == ["ds_a", "ds_b", "ds_c"]


def test_refresh_all_only_the_published_dataset(tmp_path: Path, seen: list[str]) -> None:
    touched = regenerate.refresh_all(tmp_path, FakeLedger(), DATASETS, only={"ds_b"})  # type: ignore[arg-type]
    assert touched == ["ds_b"] and seen == ["ds_b"]
    assert (Home(tmp_path).dataset_dir("ds_b") / "datapackage.json").exists()
    assert not (Home(tmp_path).dataset_dir("ds_a") / "datapackage.json").exists()


def test_the_portal_hook_names_the_published_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got: dict[str, Any] = {}
    monkeypatch.setattr(regenerate, "regenerate", lambda out_dir, ledger, **kw: got.update(kw))
    hooks.after_publish(Home(tmp_path), FakeLedger(), SimpleNamespace(dataset="ds_c"))  # type: ignore[arg-type]
    assert got["only"] == {"ds_c"} and got["strict"] is False
    got.clear()
    regenerate.after_publish(tmp_path, FakeLedger())  # type: ignore[arg-type]  (review approval: all)
    assert got["only"] is None
