"""catalog.json: DCAT (DCAT-AP terms) in JSON-LD, read back with rdflib and
queried with SPARQL; regenerated at every publish and by ``etl catalog``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import pytest

rdflib = pytest.importorskip("rdflib")
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

from gongkai_etl.ledger import Ledger  # noqa: E402

PREFIXES = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX spdx: <http://spdx.org/rdf/terms#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX gk: <https://gongkai-etl.github.io/ns#>
"""
MONTHLY = "http://publications.europa.eu/resource/authority/frequency/MONTHLY"


@pytest.fixture
def published(project: Path, etl) -> Path:
    result = etl("run", str(project / "pipelines/shantytown.yaml"))
    assert result.returncode == 0, result.stderr + result.stdout
    return project / "output"


def _graph(path: Path) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(path, format="json-ld")
    return g


def _current(out: Path) -> list:
    ledger = Ledger(out / ".gongkai" / "state.db")
    try:
        return ledger.current_all()
    finally:
        ledger.close()


def _local(url: str, catalog: Path) -> Path:
    """A downloadURL (absolute, or resolved against the catalog file) as a path."""
    return Path(url2pathname(urlsplit(urljoin(catalog.as_uri(), url)).path))


def test_every_dataset_with_periodicity_and_every_distribution_with_checksum(published: Path) -> None:
    catalog = published / "catalog.json"
    g = _graph(catalog)
    pubs = _current(published)
    datasets = {p.dataset for p in pubs}
    assert datasets == {"shantytown_project", "shantytown_progress", "shantytown_followup"}

    rows = g.query(
        PREFIXES
        + """
        SELECT ?id ?freq ?dur ?title ?start ?end WHERE {
          ?cat a dcat:Catalog ; dcat:dataset ?d .
          ?d a dcat:Dataset ; dct:identifier ?id ; dct:accrualPeriodicity ?freq ; gk:accrualDuration ?dur ;
             dct:title ?title ; dct:temporal [ a dct:PeriodOfTime ; dcat:startDate ?start ; dcat:endDate ?end ] .
          FILTER (lang(?title) = "zh")
        }"""
    )
    found = {str(r.id): r for r in rows}
    assert set(found) == datasets
    for r in found.values():
        assert str(r.freq) == MONTHLY
        assert str(r.dur) == "P1M" and r.dur.datatype == rdflib.XSD.duration
        assert str(r.start) == "2016-08-01" and str(r.end) == "2016-10-31"
    assert str(found["shantytown_progress"].title) == "朝阳区棚户区改造项目月度建设进展"

    rows = g.query(
        PREFIXES
        + """
        SELECT ?id ?url ?media ?size ?algo ?sum ?period WHERE {
          ?d dct:identifier ?id ; dcat:distribution ?dist .
          ?dist a dcat:Distribution ; dcat:downloadURL ?url ; dcat:mediaType ?media ; dcat:byteSize ?size ;
                gk:period ?period ;
                spdx:checksum [ a spdx:Checksum ; spdx:algorithm ?algo ; spdx:checksumValue ?sum ] .
        }"""
    )
    dists = list(rows)
    expected = {(p.dataset, p.period, rel) for p in pubs for rel in p.files}
    assert len(dists) == len(expected) == 3 * 3 * 3  # CSV, Parquet and the opt-in XLSX
    seen = set()
    for r in dists:
        assert str(r.algo) == "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
        assert r.sum.datatype == rdflib.XSD.hexBinary
        path = _local(str(r.url), catalog)
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == str(r.sum)
        assert int(r.size) == len(data)
        assert str(r.media) in (
            "http://www.iana.org/assignments/media-types/text/csv",
            "http://www.iana.org/assignments/media-types/application/vnd.apache.parquet",
            "http://www.iana.org/assignments/media-types/application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        rel = str(path.relative_to(published / str(r.id)))
        seen.add((str(r.id), str(r.period), rel))
    assert seen == expected


def test_publisher_languages_and_chinese_catalogue_terms(published: Path) -> None:
    g = _graph(published / "catalog.json")
    rows = list(
        g.query(
            PREFIXES
            + """
        SELECT ?name ?zhname ?cycle ?open ?abstract WHERE {
          ?d dct:identifier "shantytown_progress" ; dct:publisher ?p ; gk:resourceName ?zhname ;
             gk:updateCycle ?cycle ; gk:openAttribute ?open ; gk:abstract ?abstract .
          ?p a foaf:Agent ; foaf:name ?name .
        }"""
        )
    )
    names = {(str(r.name), r.name.language) for r in rows}
    assert ("北京市朝阳区住房和城乡建设委员会", "zh") in names
    assert ("Chaoyang District Housing and Urban-Rural Development Commission", "en") in names
    r = rows[0]
    assert (str(r.zhname), r.zhname.language) == ("朝阳区棚户区改造项目月度建设进展", "zh")
    assert str(r.cycle) == "每月" and str(r.open) == "无条件开放"
    assert str(r.abstract).startswith("各棚改项目每月")
    # 信息项: an ordered list of (name, field, type, unit)
    items = list(
        g.query(
            PREFIXES
            + """
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?title ?field ?unit WHERE {
          ?d dct:identifier "shantytown_progress" ; gk:dataItem ?list .
          ?list rdf:rest*/rdf:first ?item .
          ?item gk:itemName ?title ; gk:fieldName ?field .
          OPTIONAL { ?item gk:unit ?unit }
        }"""
        )
    )
    by_field = {str(i.field): i for i in items}
    assert len(by_field) == 10
    assert str(by_field["investment_cum"].title) == "累计完成投资"
    assert str(by_field["investment_cum"].unit) == "亿元"
    # and the plain JSON reads with the Chinese keys
    doc = json.loads((published / "catalog.json").read_text(encoding="utf-8"))
    node = next(d for d in doc["dcat:dataset"] if d["dct:identifier"] == "shantytown_progress")
    assert node["资源名称"] == "朝阳区棚户区改造项目月度建设进展"
    assert node["提供方"] == "北京市朝阳区住房和城乡建设委员会"
    assert node["更新周期"] == "每月" and node["开放属性"] == "无条件开放"
    assert node["格式"] == ["CSV", "PARQUET", "XLSX"]
    assert node["信息项"][8] == {"信息项名称": "累计完成投资", "字段名": "investment_cum", "数据类型": "decimal", "计量单位": "亿元"}
    assert node["dct:spatial"]["dct:identifier"] == "110105000000"


def test_base_url_from_the_pipeline(project: Path, etl) -> None:
    yaml_path = project / "pipelines/shantytown.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    yaml_path.write_text(
        text.replace("  formats: [parquet, csv, xlsx]", "  formats: [parquet, csv, xlsx]\n  base_url: https://data.example.gov.cn/open/"),
        encoding="utf-8",
    )
    result = etl("run", str(yaml_path), "--period", "2016-08")
    assert result.returncode == 0, result.stderr + result.stdout
    g = _graph(project / "output/catalog.json")
    urls = {str(r.url) for r in g.query(PREFIXES + "SELECT ?url WHERE { ?x dcat:downloadURL ?url }")}
    assert "https://data.example.gov.cn/open/shantytown_progress/csv/shantytown_progress_2016-08.csv" in urls
    assert "https://data.example.gov.cn/open/shantytown_progress/data/shantytown_progress_2016-08.parquet" in urls
    assert all(u.startswith("https://data.example.gov.cn/open/") for u in urls)
    # a command-line base URL overrides it
    result = etl("catalog", str(project / "output"), "--base-url", "https://mirror.example.org/d")
    assert result.returncode == 0, result.stderr
    doc = json.loads((project / "output/catalog.json").read_text(encoding="utf-8"))
    dist = doc["dcat:dataset"][0]["dcat:distribution"][0]
    assert dist["dcat:downloadURL"]["@id"].startswith("https://mirror.example.org/d/")


def test_regenerated_at_every_publish_and_by_etl_catalog(project: Path, etl) -> None:
    yaml_path = project / "pipelines/shantytown.yaml"
    result = etl("run", str(yaml_path), "--period", "2016-08")
    assert result.returncode == 0, result.stderr
    out = project / "output"
    periods = lambda: {  # noqa: E731
        d["gk:period"] for ds in json.loads((out / "catalog.json").read_text(encoding="utf-8"))["dcat:dataset"] for d in ds["dcat:distribution"]
    }
    assert periods() == {"2016-08"}
    result = etl("run", str(yaml_path), "--period", "2016-09")
    assert result.returncode == 0, result.stderr
    assert periods() == {"2016-08", "2016-09"}
    before = (out / "catalog.json").read_bytes()
    (out / "catalog.json").unlink()
    result = etl("catalog", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "catalog.json").read_bytes()) == json.loads(before)
    # atomic writes leave no temporary files among the published ones
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") and ".gongkai" not in p.parts]
    assert leftovers == []


def test_etl_catalog_refuses_a_folder_that_is_not_an_output(tmp_path: Path, etl) -> None:
    result = etl("catalog", str(tmp_path))
    assert result.returncode == 2
    assert "ledger" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / ".gongkai").exists()
