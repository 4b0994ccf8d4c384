"""The plugin system: built-ins come through the entry point, a third-party
package installed from tests/example_plugin is listed and runs, and a broken
plugin gives an error naming it."""

from __future__ import annotations

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
    assert "source shantytown" in result.stdout
    assert "shantytown_progress" in result.stdout


def test_no_top_level_plugins_package_installed() -> None:
    import importlib.util

    spec = importlib.util.find_spec("plugins")
    assert spec is None or "site-packages" not in str(spec.origin or "")
    import gongkai_etl_plugins

    assert Path(gongkai_etl_plugins.__file__).parent.name == "plugins"


def test_third_party_plugin_is_listed_and_runs(third_party: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(third_party) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    listed = run_etl("plugins", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "library  (gongkai-example-plugin 1.0.0, gongkai_example.library)" in listed.stdout
    assert "library_visits" in listed.stdout

    data = tmp_path / "data"
    data.mkdir()
    (data / "visits_2016-09.csv").write_text("图书馆,街道,到馆人次,借阅册次\n朝阳区图书馆,团结湖街道,\"12,345\",4567\n劲松分馆,劲松街道,2345,１２３\n", encoding="utf-8-sig")
    pipeline = tmp_path / "library.yaml"
    pipeline.write_text(
        "source: {plugin: library}\ninputs:\n  visits: data/visits_{period}.csv\noutput: {dir: out}\n", encoding="utf-8"
    )
    run = run_etl("run", str(pipeline), "--period", "2016-09", env=env, cwd=tmp_path.parent)
    assert run.returncode == 0, run.stderr
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "out/library_visits/data/period=2016-09/part-0.parquet")
    assert table.column("visits").to_pylist() == [12345, 2345]
    assert table.column("loans").to_pylist() == [4567, 123]


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
    for name in ("register_sources", "register_readers", "register_writers", "register_commands"):
        fn = getattr(hookspecs, name)
        assert fn.__doc__ and len(fn.__doc__) > 80, name
        assert name in readme, f"{name} is not in the README's plugin guide"
