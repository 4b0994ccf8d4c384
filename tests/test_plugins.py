"""The plugin system: built-ins come through the entry point, a third-party
package installed from tests/example_plugin is listed and runs, and a broken
plugin gives an error naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, run_etl

EXAMPLE = REPO / "tests" / "example_plugin"


@pytest.fixture(scope="module")
def third_party(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the example plugin package into a private folder, as pip would."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    # pip builds in a copy, so the repo stays clean of build/ and egg-info
    import shutil

    shutil.copytree(EXAMPLE, build / "pkg")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target), str(build / "pkg")],
        check=True,
        capture_output=True,
    )
    return target


def test_builtin_plugins_are_listed_with_their_datasets(etl) -> None:
    result = etl("plugins")
    assert result.returncode == 0, result.stderr
    assert "readers  (gongkai-etl" in result.stdout
    assert "writers  (gongkai-etl" in result.stdout
    assert "source declared" in result.stdout  # shantytown is declared in YAML
    assert "shantytown_progress" in result.stdout


def test_no_top_level_plugins_package_installed() -> None:
    import importlib.util

    spec = importlib.util.find_spec("plugins")
    assert spec is None or "site-packages" not in str(spec.origin or "")
    import gongkai_etl_plugins

    assert Path(gongkai_etl_plugins.__file__).parent.name == "plugins"


def test_third_party_plugin_is_listed_and_runs(third_party: Path, tmp_path: Path) -> None:
    """The example package (written from the README only) reads a glob input file by
    file through the engine, skips a dataset the run does not publish, and hears
    every publication through the after_publish hook."""
    feed = tmp_path / "feed.jsonl"
    env = {"PYTHONPATH": str(third_party) + os.pathsep + os.environ.get("PYTHONPATH", ""), "LIBRARY_FEED": str(feed)}
    listed = run_etl("plugins", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "library  (gongkai-example-plugin 1.0.0, gongkai_example.library)" in listed.stdout
    assert "hooks: after_publish, register_sources" in listed.stdout
    assert "library_visits" in listed.stdout and "library_totals" in listed.stdout

    month = tmp_path / "data" / "2016-09"
    month.mkdir(parents=True)
    header = "图书馆,街道,到馆人次,借阅册次\n"
    (month / "chaoyang.csv").write_text(header + "朝阳区图书馆,团结湖街道,\"12,345\",4567\n", encoding="utf-8-sig")
    (month / "jinsong.csv").write_text(header + "劲松分馆,劲松街道,2345,１２３\n", encoding="utf-8-sig")
    (month / "notes.txt").write_text("not a csv: the glob leaves it out\n", encoding="utf-8")
    pipeline = tmp_path / "library.yaml"
    pipeline.write_text(
        "source: {plugin: library}\ninputs:\n  visits: data/{period}/*.csv\n"
        "datasets: [library_visits]\noutput: {dir: out}\n",
        encoding="utf-8",
    )
    run = run_etl("run", str(pipeline), "--period", "2016-09", env=env, cwd=tmp_path.parent)
    assert run.returncode == 0, run.stderr
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    table = pq.read_table(out / "library_visits/data/period=2016-09/part-0.parquet")
    assert sorted(zip(table.column("library").to_pylist(), table.column("visits").to_pylist(), table.column("loans").to_pylist())) == [
        ("劲松分馆", 2345, 123), ("朝阳区图书馆", 12345, 4567)
    ]
    assert not (out / "library_totals").exists()  # not in this pipeline's datasets
    archived = list((out / ".gongkai" / "archive").rglob("*.csv"))
    assert len(archived) == 2  # each library's file archived by the engine
    assert [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()] == [
        {"dataset": "library_visits", "period": "2016-09", "version": 1, "rows": 2}
    ]

    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("[library_visits]", "[library_visits, library_totals]"))
    run = run_etl("run", str(pipeline), "--period", "2016-09", env=env, cwd=tmp_path.parent)
    assert run.returncode == 0, run.stderr
    totals = pq.read_table(out / "library_totals/data/period=2016-09/part-0.parquet")
    assert totals.column("visits").to_pylist() == [14690] and totals.column("libraries").to_pylist() == [2]
    fed = [json.loads(line)["dataset"] for line in feed.read_text(encoding="utf-8").splitlines()]
    assert fed == ["library_visits", "library_totals"]  # visits unchanged: not published again


def test_broken_plugin_is_named(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "broken_plugin").mkdir(parents=True)
    (site / "broken_plugin" / "__init__.py").write_text("import no_such_module_xyz\n")
    dist = site / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[gongkai_etl]\nbroken = broken_plugin\n")
    env = {"PYTHONPATH": str(site)}
    result = run_etl("plugins", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: plugin 'broken'")
    assert "no_such_module_xyz" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_with_unknown_hook_is_named(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "typo_plugin").mkdir(parents=True)
    (site / "typo_plugin" / "__init__.py").write_text(
        "from gongkai_etl import hookimpl\n\n@hookimpl\ndef register_sourcez():\n    return []\n"
    )
    dist = site / "typo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: typo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[gongkai_etl]\ntypo = typo_plugin\n")
    result = run_etl("datasets", env={"PYTHONPATH": str(site)})
    assert result.returncode == 2
    assert "plugin 'typo'" in result.stderr and "register_sourcez" in result.stderr


def test_every_hook_is_documented() -> None:
    from gongkai_etl import hookspecs

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("register_sources", "register_readers", "register_writers", "register_commands", "after_publish"):
        fn = getattr(hookspecs, name)
        assert fn.__doc__ and len(fn.__doc__) > 80, name
        assert name in readme, f"{name} is not in the README's plugin guide"


def test_readme_shows_the_example_plugin_as_it_is() -> None:
    """The plugin guide's code is the package the suite installs and runs, so the
    docs cannot drift from what works."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = readme.split("# gongkai_example/library.py\n", 1)[1].split("```", 1)[0]
    source = (EXAMPLE / "gongkai_example" / "library.py").read_text(encoding="utf-8")
    assert shown.strip() == source[source.index("from __future__ import annotations"):].strip()


def test_a_raising_hook_is_named_and_hooks_go_through_pluggy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Collecting hooks are called through pluggy (a hook wrapper sees each call) and
    an implementation that raises is named in the error."""
    import pluggy

    from gongkai_etl import hookimpl, hookspecs
    from gongkai_etl.errors import PluginError
    from gongkai_etl.plugins import _results_by_plugin

    pm = pluggy.PluginManager("gongkai_etl")
    pm.add_hookspecs(hookspecs)
    seen: list[str] = []

    class Good:
        @hookimpl
        def register_readers(self) -> list:
            return ["a reader"]

    class Watcher:
        @hookimpl(wrapper=True)
        def register_readers(self):  # noqa: ANN201
            result = yield
            seen.append(result)
            return result

    class Bad:
        @hookimpl
        def register_readers(self) -> list:
            raise RuntimeError("boom")

    pm.register(Good(), name="good")
    pm.register(Watcher(), name="watcher")
    assert _results_by_plugin(pm, "register_readers") == [("good", "a reader")]
    assert seen == [[["a reader"]]]  # the wrapper saw good's call: it went through pm.hook
    pm.register(Bad(), name="bad")
    with pytest.raises(PluginError, match="bad.*register_readers\\(\\) raised RuntimeError: boom"):
        _results_by_plugin(pm, "register_readers")
