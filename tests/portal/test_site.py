"""The static HTML catalog: generated after publish (``output.site: true``) and
by ``etl site``; rendered by headless Chromium from a loopback server; every
link resolves; ``etl serve`` serves it and hides the private state folder."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from gongkai_etl.portal.serve import make_server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
DATASETS = ["shantytown_followup", "shantytown_progress", "shantytown_project"]
PERIODS = ["2016-08", "2016-09", "2016-10"]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


# fixtures ----------------------------------------------------------------------
def _copy_project(root: Path) -> Path:
    (root / "pipelines").mkdir(parents=True)
    shutil.copy(REPO / "pipelines/shantytown.yaml", root / "pipelines/shantytown.yaml")
    shutil.copytree(REPO / "sample_data/shantytown", root / "sample_data/shantytown", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret"}
    return subprocess.run([sys.executable, "-m", "gongkai_etl", *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def site_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy_project(tmp_path_factory.mktemp("site"))
    yaml_path = root / "pipelines/shantytown.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    assert "  formats: [parquet, csv, xlsx]" in text
    yaml_path.write_text(text.replace("  formats: [parquet, csv, xlsx]", "  formats: [parquet, csv, xlsx]\n  site: true"), encoding="utf-8")
    result = _run("run", str(yaml_path))
    assert result.returncode == 0, result.stderr + result.stdout
    return root / "output"


@pytest.fixture(scope="module")
def server(site_output: Path) -> Iterator[str]:
    srv = make_server(site_output, 0, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    found = _chromium()
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: apt-get install -y chromium chromium-driver fonts-noto-cjk")
    pytest.skip("chromium is not installed (apt-get install -y chromium chromium-driver fonts-noto-cjk); CI runs this test")


def _browser(binary: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{cmd}: {result.returncode}\n{result.stderr[-3000:]}"
    return result


def dump_dom(binary: str, tmp: Path, url: str) -> str:
    return _browser(binary, tmp, "--virtual-time-budget=3000", "--dump-dom", url).stdout


def screenshot(binary: str, tmp: Path, url: str, path: Path, size: str = "1280,900") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    _browser(binary, tmp, f"--screenshot={path}", f"--window-size={size}", url)
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


class Dom(HTMLParser):
    """The elements of a page: (tag, attrs) in document order, plus the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        out = []
        for t, a in self.elements:
            if t != tag:
                continue
            if all((k == "class_" and v in a.get("class", "").split()) or a.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(a)
        return out

    @property
    def all_text(self) -> str:
        return " ".join(self.text)


def _headline_sums(out: Path) -> dict[str, Decimal]:
    """shantytown_progress's headline (investment_cum, summed per period), computed independently."""
    sums = {}
    for period in PERIODS:
        table = pq.read_table(out / f"shantytown_progress/data/shantytown_progress_{period}.parquet", columns=["investment_cum"])
        sums[period] = Decimal(str(pc.sum(table.column("investment_cum")).as_py()))
    return sums


# tests ----------------------------------------------------------------------------
def test_site_written_after_publish_when_the_pipeline_asks(site_output: Path) -> None:
    assert (site_output / "index.html").exists()
    for ds in DATASETS:
        assert (site_output / ds / "index.html").exists()
    html = (site_output / "index.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html
    assert '"Noto Sans CJK SC"' in html and '"Microsoft YaHei"' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network


@pytest.mark.slow
def test_browser_renders_index_and_dataset_page(site_output: Path, server: str, chromium: str, tmp_path: Path) -> None:
    dom = Dom(dump_dom(chromium, tmp_path, server))
    count = dom.find("strong", id="dataset-count")
    assert count and count[0]["data-count"] == "3"
    rows = dom.find("tr", class_="dataset")
    assert sorted(r["data-dataset"] for r in rows) == DATASETS
    assert {r["data-latest"] for r in rows} == {"2016-10"}
    assert "朝阳区棚户区改造项目月度建设进展" in dom.all_text
    assert "棚户区改造" in dom.all_text and "每月" in dom.all_text
    screenshot(chromium, tmp_path, server, ARTIFACTS / "site-index.png")

    page = server + "shantytown_progress/index.html"
    raw = dump_dom(chromium, tmp_path, page)
    dom = Dom(raw)
    assert "朝阳区棚户区改造项目月度建设进展" in dom.all_text
    assert dom.find("svg", class_="trend")
    points = dom.find("circle", class_="point")
    assert [p["data-period"] for p in points] == PERIODS
    expected = _headline_sums(site_output)
    assert {p["data-period"]: Decimal(p["data-value"]) for p in points} == expected
    assert "累计完成投资（合计，亿元）" in dom.all_text  # the y axis title
    assert all(p in dom.all_text for p in PERIODS)  # x axis labels
    # schema with Chinese titles and units, periods with sha256, preview of 10 rows at most
    assert "累计签约户数" in dom.all_text and "亿元" in dom.all_text
    assert len(dom.find("tr", class_="period")) == 3
    assert re.search(r"\b[0-9a-f]{64}\b", dom.all_text)
    preview = re.search(r'<table id="preview">.*?<tbody>(.*?)</tbody>', raw, re.S)
    assert preview and preview.group(1).count("<tr>") == 6  # 2016-10 has 6 rows (2 rejected)
    # the XLSX download for people, one per period, beside CSV and Parquet
    xlsx_links = [a["href"] for a in dom.find("a") if a.get("href", "").endswith(".xlsx")]
    assert sorted(xlsx_links) == [f"xlsx/shantytown_progress_{p}.xlsx" for p in PERIODS], xlsx_links
    assert "Excel 表格 (XLSX)" in dom.all_text
    screenshot(chromium, tmp_path, page, ARTIFACTS / "site-dataset.png", size="1280,1600")


def test_every_link_resolves_when_served(site_output: Path, server: str) -> None:
    pages = [server] + [server + f"{ds}/index.html" for ds in DATASETS]
    checked: set[str] = set()
    for page in pages:
        with urlopen(page) as resp:
            assert resp.status == 200
            assert resp.headers.get_content_charset() == "utf-8"
            dom = Dom(resp.read().decode("utf-8"))
        hrefs = [a["href"] for a in dom.find("a") if a.get("href")]
        assert hrefs
        for href in hrefs:
            assert not urlsplit(href).scheme and not href.startswith("/"), f"not relative: {href}"
            url = urljoin(page, href)
            if url in checked:
                continue
            checked.add(url)
            with urlopen(url) as resp:
                assert resp.status == 200, url
                assert resp.read(1) or url.endswith(".csv")
    assert any(u.endswith("/catalog.json") for u in checked)
    assert any(u.endswith(".parquet") for u in checked)
    assert any("/changes/" in u for u in checked)


def test_private_state_is_not_served(site_output: Path, server: str) -> None:
    for path in (".gongkai/state.db", ".gongkai/", "%2Egongkai/state.db", "shantytown_progress/../.gongkai/state.db"):
        with pytest.raises(HTTPError) as err:
            urlopen(server + path)
        assert err.value.code == 404
    with urlopen(server + "shantytown_progress/csv/") as resp:
        listing = resp.read().decode("utf-8")
    assert "shantytown_progress_2016-08.csv" in listing and ".gongkai" not in listing


def test_etl_site_on_an_output_without_the_flag(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    result = _run("run", str(root / "pipelines/shantytown.yaml"), "--period", "2016-08..2016-09")
    assert result.returncode == 0, result.stderr
    out = root / "output"
    assert not (out / "index.html").exists()
    result = _run("site", str(out))
    assert result.returncode == 0, result.stderr
    assert "3 dataset pages" in result.stdout
    html = (out / "shantytown_progress/index.html").read_text(encoding="utf-8")
    assert html.count('class="point"') == 2
    # once there, a generated site is kept fresh by the next publish
    result = _run("run", str(root / "pipelines/shantytown.yaml"), "--period", "2016-10")
    assert result.returncode == 0, result.stderr
    html = (out / "shantytown_progress/index.html").read_text(encoding="utf-8")
    assert html.count('class="point"') == 3
    assert 'data-latest="2016-10"' in (out / "index.html").read_text(encoding="utf-8")


def test_etl_serve_until_interrupted(site_output: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Ctrl-C as in a terminal. A test run started in the background (`pytest &`, a CI
    # step of a non-interactive shell) hands its children SIGINT ignored, and Python then
    # keeps ignoring it: the child takes Ctrl-C's handler back first.
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "sys.argv = ['etl', *sys.argv[1:]]; runpy.run_module('gongkai_etl', run_name='__main__')")
    proc = subprocess.Popen(
        [sys.executable, "-c", start, "serve", str(site_output), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line + proc.stderr.read() if proc.poll() is not None else line
        base = m.group(0)
        with urlopen(base, timeout=60) as resp:
            assert "朝阳区政务公开数据目录" in resp.read().decode("utf-8")
        with pytest.raises(HTTPError):
            urlopen(base + ".gongkai/state.db", timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            # generous: on a loaded 2-core machine the interpreter's exit can take seconds
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {out}\nstderr: {err}"


def test_serve_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = _run("serve", str(tmp_path / "nope"), "--port", "0")
    assert result.returncode == 2
    assert "output folder not found" in result.stderr


def test_everything_is_escaped() -> None:
    from gongkai_etl.datasets import Dataset, Field
    from gongkai_etl.ledger import Publication
    from gongkai_etl.portal.chart import Point, trend_svg
    from gongkai_etl.portal.site import DatasetView, _status, render_dataset, render_index
    from gongkai_etl.periods import Cadence

    evil = '<script>alert("x")</script>'
    ds = Dataset(
        id="evil", title_zh=evil, title_en=evil, description=evil, publisher=evil, domain=evil,
        cadence=Cadence.MONTHLY, keywords=(evil,), fields=(Field("period", evil, unit=evil),),
    )
    pub = Publication("evil", "2016-08", 1, None, None, "2016-09-01T00:00:00+08:00", "h", "", {"csv/e.csv": {"format": "csv", "bytes": 1, "sha256": "0" * 64}}, 1, True)
    view = DatasetView(ds, [pub], status=_status(ds, [pub]))
    for html in (render_index([view]), render_dataset(Path("/nonexistent"), view)):
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
    svg = str(trend_svg([Point('"><b>', Decimal("1.5"))], evil))
    assert "<script>" not in svg and '"><b>' not in svg
