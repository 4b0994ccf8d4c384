"""``<out>/catalog.json``: a DCAT catalog (DCAT-AP terms) in JSON-LD.

Every dataset with a current publication in the ledger, described from its
:class:`~gongkai_etl.datasets.Dataset` declaration: title and description
(``@language`` ``zh``, ``en`` where declared), publisher (``foaf:Agent``),
keywords, identifier, issued/modified, ``dct:accrualPeriodicity`` (the EU
frequency authority IRI DCAT-AP uses, plus the ISO 8601 duration as
``gk:accrualDuration``), temporal coverage (``dct:PeriodOfTime``), spatial
coverage (division code), access rights and, per period and format, a
``dcat:Distribution`` with download URL, media type, byte size and an SPDX
sha256 checksum. Changelog counts per period hang off the dataset as
``gk:changeSet`` nodes.

The Chinese government catalogue terms (政务信息资源目录: 资源名称, 提供方, 摘要,
格式, 信息项, 开放属性, 更新周期, 发布日期) are carried beside the DCAT terms as
JSON keys in Chinese that the ``@context`` maps to ``gk:`` properties, so the
file stays plain JSON-LD and reads naturally to a Chinese portal.

Download URLs are relative to the catalog file unless a base URL is set
(``output.base_url`` of the pipelines, or ``etl catalog --base-url``). It is
rewritten after every publish by the portal's ``after_publish`` hook
(:mod:`gongkai_etl.portal.hooks`, :mod:`gongkai_etl.portal.regenerate`), from
dataset nodes kept encoded between publishes (:mod:`gongkai_etl.portal.catalog_file`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gongkai_etl import __version__
from gongkai_etl.datasets import Dataset
from gongkai_etl.divisions import division_name
from gongkai_etl.errors import ConfigError, GongkaiError
from gongkai_etl.ledger import Ledger, Publication, now_iso
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.portal.changelog import load_manifest

#: Namespace of the gongkai-etl terms (Chinese catalogue items, changelog).
GK = "https://gongkai-etl.github.io/ns#"
EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
EU_LANG = "http://publications.europa.eu/resource/authority/language/"
IANA_MEDIA = "http://www.iana.org/assignments/media-types/"
LICENSE_IRI = "https://creativecommons.org/licenses/by/4.0/"

#: DCAT-AP frequency (EU "Frequency" authority table) per cadence.
FREQUENCY = {
    Cadence.MONTHLY: EU_FREQ + "MONTHLY",
    Cadence.QUARTERLY: EU_FREQ + "QUARTERLY",
    Cadence.HALF_YEARLY: EU_FREQ + "ANNUAL_2",  # semi-annual
    Cadence.YEARLY: EU_FREQ + "ANNUAL",
}
#: 开放属性 -> DCAT-AP access right.
ACCESS_RIGHTS = {"无条件开放": "PUBLIC", "有条件开放": "RESTRICTED", "不予开放": "NON_PUBLIC"}
FORMATS = {
    "csv": ("CSV", "text/csv"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

CATALOG_TITLE_ZH = "朝阳区政务公开数据目录"
CATALOG_TITLE_EN = "Chaoyang District open government data catalog"
CATALOG_DESCRIPTION_ZH = "按《朝阳区2016年政务公开工作要点》定期发布的开放数据集，含数据文件、校验值与变更记录。"
CATALOG_PUBLISHER = "北京市朝阳区人民政府 (Beijing Chaoyang District People's Government)"

CONTEXT: dict[str, Any] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "gk": GK,
    # 政务信息资源目录 terms, beside the DCAT ones
    "资源名称": {"@id": "gk:resourceName", "@language": "zh"},
    "提供方": {"@id": "gk:provider", "@language": "zh"},
    "摘要": {"@id": "gk:abstract", "@language": "zh"},
    "更新周期": {"@id": "gk:updateCycle", "@language": "zh"},
    "开放属性": {"@id": "gk:openAttribute", "@language": "zh"},
    "发布日期": {"@id": "gk:releaseDate", "@type": "xsd:date"},
    "格式": {"@id": "gk:format"},
    "信息项": {"@id": "gk:dataItem", "@container": "@list"},
    "信息项名称": {"@id": "gk:itemName", "@language": "zh"},
    "字段名": {"@id": "gk:fieldName"},
    "数据类型": {"@id": "gk:dataType"},
    "计量单位": {"@id": "gk:unit", "@language": "zh"},
}


# building ---------------------------------------------------------------------
def _lit(value: str, lang: str) -> dict[str, str]:
    return {"@value": value, "@language": lang}


def _typed(value: str, type_: str) -> dict[str, str]:
    return {"@value": value, "@type": type_}


_HAN = re.compile(r"[\u3400-\u9fff]")
_HAN_THEN_LATIN = re.compile(r"[\u3400-\u9fff）)]\s+[A-Za-z]")


def lang_of(text: str) -> str:
    return "zh" if _HAN.search(text) else "en"


def split_bilingual(text: str) -> tuple[str, str]:
    """``'中文名 (English name)'`` -> (zh, en); otherwise (text, '')."""
    m = re.fullmatch(r"\s*(.*?)\s*[(（]([^()（）]*)[)）]\s*", text or "")
    # "中文 English words (ABBR)": the bracket is the English's abbreviation, not the English
    if m and _HAN.search(m.group(1)) and not _HAN.search(m.group(2)) and not _HAN_THEN_LATIN.search(m.group(1)):
        return m.group(1), m.group(2).strip()
    return (text or "").strip(), ""


def split_domain(text: str) -> tuple[str, str]:
    """``'棚户区改造 shantytown renovation'`` -> ('棚户区改造', 'shantytown renovation')."""
    zh, en = split_bilingual(text)
    if en:
        return zh, en
    m = re.fullmatch(r"\s*(.*?[\u3400-\u9fff）)])\s+([A-Za-z].*?)\s*", text or "")
    if m:
        return m.group(1), m.group(2)
    return (text or "").strip(), ""


def agent(name: str) -> dict[str, Any]:
    zh, en = split_bilingual(name)
    names = [_lit(zh, lang_of(zh))] if zh else []
    if en:
        names.append(_lit(en, "en"))
    return {"@type": "foaf:Agent", "foaf:name": names}


def period_of_time(start: str, end: str) -> dict[str, Any]:
    return {
        "@type": "dct:PeriodOfTime",
        "dcat:startDate": _typed(start, "xsd:date"),
        "dcat:endDate": _typed(end, "xsd:date"),
    }


def _period(key: str) -> Period | None:
    try:
        return Period.parse(key)
    except ConfigError:
        return None


def _join(base: str, path: str) -> str:
    if not base:
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


def _fmt(rel: str, info: dict[str, Any]) -> str:
    return str(info.get("format") or rel.rsplit(".", 1)[-1]).lower()


def _spatial(code: str) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "dct:Location", "dct:identifier": code}
    try:
        node["skos:prefLabel"] = _lit(division_name(code), "zh")
    except (GongkaiError, KeyError, ValueError):
        pass
    return node


def dataset_node(
    dataset: Dataset, pubs: list[Publication], ledger: Ledger, out_dir: Path, base: str, site: bool
) -> dict[str, Any]:
    pubs = sorted(pubs, key=lambda p: (_period(p.period) is None, _period(p.period) or p.period))
    ds_base = _join(base, dataset.id + "/")
    first_issued = min((v.published_at for v in ledger.versions(dataset.id)), default=None)
    modified = max(p.published_at for p in pubs)
    periods = [p for p in (_period(x.period) for x in pubs) if p is not None]
    changes = load_manifest(out_dir, dataset.id)
    formats: list[str] = []
    distributions: list[dict[str, Any]] = []
    for pub in pubs:
        per = _period(pub.period)
        for rel in sorted(pub.files):
            info = pub.files[rel]
            fmt = _fmt(rel, info)
            ftype, media = FORMATS.get(fmt, (fmt.upper(), "application/octet-stream"))
            if ftype not in formats:
                formats.append(ftype)
            url = _join(ds_base, rel)
            dist: dict[str, Any] = {
                "@id": f"{ds_base}#{pub.period}-{fmt}",
                "@type": "dcat:Distribution",
                "dct:identifier": f"{dataset.id}_{pub.period}_{fmt}",
                "dct:title": [_lit(f"{dataset.title_zh} {pub.period} ({ftype})", "zh")]
                + ([_lit(f"{dataset.title_en} {pub.period} ({ftype})", "en")] if dataset.title_en else []),
                "dcat:accessURL": {"@id": url},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": {"@id": IANA_MEDIA + media},
                "dct:format": {"@id": EU_FILE_TYPE + ftype},
                "dcat:byteSize": _typed(str(int(info["bytes"])), "xsd:nonNegativeInteger"),
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                    "spdx:checksumValue": _typed(info["sha256"], "xsd:hexBinary"),
                },
                "dct:license": {"@id": LICENSE_IRI},
                "dct:issued": _typed(pub.published_at, "xsd:dateTime"),
                "dct:modified": _typed(pub.published_at, "xsd:dateTime"),
                "gk:period": pub.period,
                "gk:version": pub.version,
                "gk:rowCount": pub.rows,
                "格式": ftype,
            }
            if per is not None:
                dist["dct:temporal"] = period_of_time(per.start.isoformat(), per.end.isoformat())
            distributions.append(dist)
    change_sets: list[dict[str, Any]] = []
    for pub in pubs:
        entry = changes.get(pub.period)
        if not entry:
            continue
        change_sets.append(
            {
                "@type": "gk:ChangeSet",
                "gk:period": pub.period,
                "gk:previousPeriod": entry["previous_period"],
                "gk:added": entry["added"],
                "gk:removed": entry["removed"],
                "gk:changed": entry["changed"],
                "dcat:downloadURL": [{"@id": _join(ds_base, rel)} for rel in sorted(entry.get("files", {}))],
            }
        )
    zh_pub, _ = split_bilingual(dataset.publisher)
    node: dict[str, Any] = {
        "@id": f"{ds_base}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.id,
        "dct:title": [_lit(dataset.title_zh, "zh")] + ([_lit(dataset.title_en, "en")] if dataset.title_en else []),
        "dct:description": [_lit(dataset.description or dataset.title_zh, lang_of(dataset.description or dataset.title_zh))],
        "dct:publisher": agent(dataset.publisher) if dataset.publisher else agent(CATALOG_PUBLISHER),
        "dcat:keyword": [_lit(k, lang_of(k)) for k in dataset.keywords],
        "dct:issued": _typed(first_issued or modified, "xsd:dateTime"),
        "dct:modified": _typed(modified, "xsd:dateTime"),
        "dct:accrualPeriodicity": {"@id": FREQUENCY[dataset.cadence], "@type": "dct:Frequency"},
        "gk:accrualDuration": _typed(dataset.cadence.iso_duration, "xsd:duration"),
        "dct:spatial": _spatial(dataset.spatial),
        "dct:language": {"@id": EU_LANG + "ZHO"},
        "dct:accessRights": {"@id": EU_ACCESS + ACCESS_RIGHTS.get(dataset.open_attribute, "PUBLIC")},
        "rdfs:seeAlso": {"@id": _join(ds_base, "datapackage.json")},
        "gk:primaryKey": list(dataset.primary_key),
        "资源名称": dataset.title_zh,
        "提供方": zh_pub or split_bilingual(CATALOG_PUBLISHER)[0],
        "摘要": dataset.description or dataset.title_zh,
        "更新周期": dataset.cadence.title_zh,
        "开放属性": dataset.open_attribute,
        "发布日期": (first_issued or modified)[:10],
        "格式": formats,
        "信息项": [
            {
                "信息项名称": f.title_zh,
                "字段名": f.name,
                "数据类型": f.type,
                **({"计量单位": f.unit} if f.unit else {}),
            }
            for f in dataset.fields
        ],
        "dcat:distribution": distributions,
    }
    if dataset.domain:
        zh_domain, en_domain = split_domain(dataset.domain)
        node["gk:domain"] = [_lit(zh_domain, lang_of(zh_domain))] + ([_lit(en_domain, "en")] if en_domain else [])
    if periods:
        node["dct:temporal"] = period_of_time(min(periods).start.isoformat(), max(periods).end.isoformat())
    if site:
        node["dcat:landingPage"] = {"@id": _join(ds_base, "index.html")}
    if change_sets:
        node["gk:changeSet"] = change_sets
    return node


def build_catalog(
    out_dir: Path, ledger: Ledger, datasets: dict[str, Dataset], *, base_url: str = "", site: bool | None = None
) -> dict[str, Any]:
    """The catalog document. ``site``: link the HTML pages (default: if index.html exists)."""
    if site is None:
        site = (out_dir / "index.html").exists()
    by_dataset: dict[str, list[Publication]] = {}
    for pub in ledger.current_all():
        by_dataset.setdefault(pub.dataset, []).append(pub)
    nodes = [
        dataset_node(datasets[ds_id], pubs, ledger, out_dir, base_url, site)
        for ds_id, pubs in sorted(by_dataset.items())
        if ds_id in datasets
    ]
    modified = max((n["dct:modified"]["@value"] for n in nodes), default=now_iso())
    return catalog_document(base_url, site, modified, nodes)


def catalog_document(base_url: str, site: bool, modified: str, nodes: Any) -> dict[str, Any]:
    """The catalog around its dataset nodes (``nodes``: the list, or a stand-in
    that :mod:`gongkai_etl.portal.catalog_file` replaces with encoded nodes)."""
    catalog: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": _join(base_url, "catalog.json"),
        "@type": "dcat:Catalog",
        "dct:title": [_lit(CATALOG_TITLE_ZH, "zh"), _lit(CATALOG_TITLE_EN, "en")],
        "dct:description": [_lit(CATALOG_DESCRIPTION_ZH, "zh")],
        "dct:publisher": agent(CATALOG_PUBLISHER),
        "dct:modified": _typed(modified, "xsd:dateTime"),
        "dct:language": {"@id": EU_LANG + "ZHO"},
        "dct:license": {"@id": LICENSE_IRI},
        "gk:generator": f"gongkai-etl {__version__}",
        "资源名称": CATALOG_TITLE_ZH,
        "dcat:dataset": nodes,
    }
    if site:
        catalog["foaf:homepage"] = {"@id": _join(base_url, "index.html")}
    return catalog
