"""Build the bad-input corpus: broken and awkward raw inputs, each with the outcome it must have.

    python tests/corpus/build_corpus.py OUT_DIR [--sample-data DIR] [--pipelines DIR]

writes ``OUT_DIR/cases.json``, ``OUT_DIR/good/*.yaml`` (pipelines of the good run
that publishes first) and ``OUT_DIR/cases/<id>/`` (the input and a pipeline per
case). Every pipeline publishes into ``OUT_DIR/output``, so a case that must
fail is checked to leave the good publication byte-identical, and a case that
must succeed (a renamed, re-encoded, reshuffled but equivalent input) to find
it "unchanged" and leave it byte-identical too.

Nothing here is committed but this script: the inputs are derived at test time
from ``sample_data/`` (shantytown is the main target; the other domain
pipelines that exist get a truncated input each).

Outcome of a case (``expect``):

* ``exit``: the exit code of ``etl run``;
* ``stderr``: text fragments that must all appear in stderr (the ``Error:`` or
  ``Warning:`` line naming the problem);
* ``rejects``: ``[dataset, row, field]`` that must be in the rejects file of the
  period (the run fails because the pipeline allows no rejects: nothing is
  published).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PERIOD = "2016-09"
ST = "shantytown"

FOLLOWUP_HEADER = ["项目编号", "项目名称", "回迁安置户数", "配套设施完成比例(%)", "累计办理产权证(本)", "备注"]


@dataclass
class Case:
    id: str
    input: str  # shantytown input name it replaces
    filename: str
    make: Callable[[Path], None]  # writes the broken input to the given path
    exit: int
    stderr: list[str] = field(default_factory=list)
    rejects: list[list[Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    pipeline: dict[str, Any] = field(default_factory=dict)  # pipeline keys the case sets (after max_reject_ratio: 0)


# --- the good inputs, as data ---------------------------------------------------------------

class Samples:
    def __init__(self, sample_dir: Path) -> None:
        self.dir = sample_dir / ST
        self.followup_bytes = (self.dir / f"棚改后期管理_{PERIOD}.csv").read_bytes()
        text = self.followup_bytes.decode("gbk")
        self.followup_rows = list(csv.reader(io.StringIO(text)))
        self.progress_path = self.dir / f"棚改进度_{PERIOD}.xlsx"
        self.projects_path = self.dir / "棚改项目清单.xlsx"
        self.progress_rows, self.progress_merges = _sheet(self.progress_path)
        self.projects_rows, self.projects_merges = _sheet(self.projects_path)


def _sheet(path: Path) -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
    import openpyxl

    ws = openpyxl.load_workbook(path).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    return rows, merges


def write_xlsx(
    path: Path,
    rows: list[list[Any]],
    merges: list[tuple[int, int, int, int]] = (),  # type: ignore[assignment]
    *,
    hidden_first: list[list[Any]] | None = None,
    empty_active: bool = False,
) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if hidden_first is not None:
        ws.title = "说明"
        for r in hidden_first:
            ws.append(r)
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("进展")
    if empty_active:
        ws.title = "空表"
        wb.create_sheet("进展")  # data would be here, but the first visible sheet is read
    else:
        for r in rows:
            ws.append(r)
        for r0, c0, r1, c1 in merges:
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    wb.active = wb.sheetnames.index(ws.title) if hidden_first is not None else 0
    wb.save(path)


def shift(merges: list[tuple[int, int, int, int]], by: int, after: int = 0) -> list[tuple[int, int, int, int]]:
    """Merges moved down ``by`` rows when they start below row ``after``."""
    return [(r0 + by, c0, r1 + by, c1) if r0 > after else (r0, c0, r1, c1) for r0, c0, r1, c1 in merges]


def drop_column(rows: list[list[Any]], merges: list[tuple[int, int, int, int]], col: int):  # noqa: ANN201
    """Rows and merges without 1-based column ``col`` (merges touching it are dropped)."""
    out_rows = [r[: col - 1] + r[col:] for r in rows]
    out = []
    for r0, c0, r1, c1 in merges:
        if c0 <= col <= c1:
            if c0 == c1 == col:
                continue
            c1 -= 1
        elif c0 > col:
            c0, c1 = c0 - 1, c1 - 1
        if (r0, c0) != (r1, c1):
            out.append((r0, c0, r1, c1))
    return out_rows, out


def csv_bytes(rows: list[list[Any]], encoding: str = "gbk", *, delimiter: str = ",", bom: bool = False) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def followup_records(s: Samples) -> list[dict[str, Any]]:
    out = []
    for row in s.followup_rows[1:]:
        rec: dict[str, Any] = dict(zip(FOLLOWUP_HEADER, row, strict=True))
        rec["回迁安置户数"] = int(rec["回迁安置户数"].replace(",", ""))
        rec["配套设施完成比例(%)"] = float(rec["配套设施完成比例(%)"])
        rec["累计办理产权证(本)"] = int(rec["累计办理产权证(本)"])
        out.append(rec)
    return out


def _cut_mid_line(data: bytes) -> bytes:
    """Cut inside the last data line, between two ASCII characters."""
    body = data.rstrip(b"\r\n")
    last = body.rfind(b"\n") + 1
    cut = last + len(body[last:]) // 3
    while cut < len(body) and (body[cut] >= 0x80 or body[cut - 1] >= 0x80 or body[cut - 1:cut] == b","):
        cut += 1
    return body[:cut]


def _cut_mid_char(data: bytes) -> bytes:
    """Cut after the first byte of the last two-byte GBK character."""
    body = data.rstrip(b"\r\n")
    i = len(body) - 1
    while body[i] < 0x80:
        i -= 1
    return body[:i]  # body[i-1:i+1] is the last character; keep only its lead byte


def _write(data: bytes | str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    return make


# --- the cases ------------------------------------------------------------------------------

def shantytown_cases(s: Samples) -> list[Case]:
    f_rows = s.followup_rows
    header, data = f_rows[0], f_rows[1:]
    gbk = s.followup_bytes
    p_rows, p_merges = s.progress_rows, s.progress_merges
    title, top, sub, p_data, total = p_rows[0], p_rows[1], p_rows[2], p_rows[3:11], p_rows[11]
    assert str(total[0]).startswith("合计"), total
    cases: list[Case] = []
    add = cases.append
    F, P, L = "followup", "progress", "projects"
    fcsv, fx = f"棚改后期管理_{PERIOD}.csv", f"棚改进度_{PERIOD}.xlsx"

    # CSV (GBK follow-up table of the streets) ----------------------------------------------
    add(Case("csv-empty", F, fcsv, _write(b""), 2, ["输入文件为空", "input file is empty"]))
    add(Case("csv-header-only", F, fcsv, _write(csv_bytes([header])), 2, ["no data rows", "allow_empty"]))
    add(Case("csv-cut-mid-line", F, fcsv, _write(_cut_mid_line(gbk)), 2, ["第 3 行", "fields, the header 6", "truncated"]))
    add(Case("csv-cut-mid-character", F, fcsv, _write(_cut_mid_char(gbk)), 2, ["ends inside a character", "truncated"]))
    add(Case("csv-utf8", F, fcsv, _write(csv_bytes(f_rows, "utf-8")), 0, note="same table in UTF-8: unchanged"))
    add(Case("csv-utf8-bom", F, fcsv, _write(csv_bytes(f_rows, "utf-8", bom=True)), 0, note="UTF-8 with BOM: unchanged"))
    add(Case("csv-gb18030-label", F, fcsv, _write(csv_bytes(f_rows, "gb18030")), 0, options={"encoding": "gb18030"},
             note="explicit GB18030 (a superset of GBK): unchanged"))
    add(Case("csv-explicit-wrong-encoding", F, fcsv, _write(gbk), 2, ["byte offset", "line 1", "utf-8"],
             options={"encoding": "utf-8"}, note="an explicit encoding wins, and is reported where it fails"))
    stray = gbk.replace(b"CY-PG-2015-002", b"CY-PG-2015-002\xff", 1)
    add(Case("csv-stray-byte", F, fcsv, _write(stray), 2, ["line 3", "byte offset"]))
    add(Case("csv-binary", F, fcsv, _write(bytes(range(256)) * 8), 2, ["byte offset"]))
    aliases = ["编号", "项目名称", "累计回迁安置户数", "配套设施完成比例", "累计办理产权证", "备注"]
    add(Case("csv-header-aliases", F, fcsv, _write(csv_bytes([aliases, *data])), 0, note="declared aliases: unchanged"))
    order = [5, 2, 0, 4, 3, 1]
    add(Case("csv-columns-reordered", F, fcsv, _write(csv_bytes([[r[i] for i in order] for r in f_rows])), 0))
    add(Case("csv-missing-column", F, fcsv, _write(csv_bytes([[c for i, c in enumerate(r) if i != 2] for r in f_rows])), 2,
             ["缺少必需的列", "resettled_households"]))
    renamed = [["回迁户数(户)" if c == "回迁安置户数" else c for c in header], *data]
    add(Case("csv-unknown-header", F, fcsv, _write(csv_bytes(renamed)), 2, ["resettled_households", "unexpected", "回迁户数(户)"]))
    bad = [header, [data[0][0], data[0][1], "约300", *data[0][3:]], data[1]]
    add(Case("csv-bad-number", F, fcsv, _write(csv_bytes(bad)), 1, ["rejected"],
             rejects=[["shantytown_followup", 2, "resettled_households"]]))
    # issue 17 case 2: the limit is per dataset, and 0 rows from a non-empty input never publish
    all_bad = [header, *[[r[0], r[1], "约300", *r[3:]] for r in data]]
    add(Case("csv-every-row-rejected", F, fcsv, _write(csv_bytes(all_bad)), 1,
             ["数据集 shantytown_followup", f"{len(data)} of {len(data)} rows rejected", f"nothing of period {PERIOD}"],
             rejects=[["shantytown_followup", 2, "resettled_households"]], pipeline={"max_reject_ratio": 0.5},
             note="under the limit over the period's datasets together, 100% of its own"))
    add(Case("csv-every-row-rejected-limit-1", F, fcsv, _write(csv_bytes(all_bad)), 1,
             ["可发布 0 行", f"would publish 0 rows from {len(data)} input rows"],
             pipeline={"max_reject_ratio": 0.5, "reject_ratios": {"shantytown_followup": 1}}))
    add(Case("csv-over-its-own-limit", F, fcsv, _write(csv_bytes(bad)), 1,
             ["reject_ratios.shantytown_followup", "above its limit 0.1"],
             pipeline={"max_reject_ratio": 0.5, "reject_ratios": {"shantytown_followup": 0.1}}))
    dup = [header, data[0], [data[0][0], *data[1][1:]]]
    add(Case("csv-duplicate-key", F, fcsv, _write(csv_bytes(dup)), 1, ["rejected"], rejects=[["shantytown_followup", 3, "period+project_id"]]))
    sums = [sum(int(r[i].replace(",", "")) for r in data) for i in (2, 4)]
    good_total = ["合计", "", str(sums[0]), "", str(sums[1]), ""]
    add(Case("csv-total-row", F, fcsv, _write(csv_bytes([*f_rows, good_total])), 0, note="合计 row left out, it adds up"))
    wrong_total = ["合计", "", str(sums[0] + 100), "", str(sums[1]), ""]
    add(Case("csv-total-row-wrong-check", F, fcsv, _write(csv_bytes([*f_rows, wrong_total])), 1,
             ["does not add up", "回迁安置户数", str(sums[0] + 100), str(sums[0])], options={"totals": "check"}))
    add(Case("csv-total-row-wrong-warn", F, fcsv, _write(csv_bytes([*f_rows, wrong_total])), 0,
             ["Warning:", "does not add up"], note="default totals: warn; the data rows publish unchanged"))
    add(Case("csv-blank-and-empty-rows", F, fcsv, _write(csv_bytes([*f_rows[:2], [""] * 6, *f_rows[2:], [""] * 6, [""] * 6]) + b"\r\n\r\n"), 0))
    add(Case("csv-semicolons", F, fcsv, _write(csv_bytes(f_rows, delimiter=";")), 0, note="delimiter sniffed"))
    quoted = gbk.rstrip(b"\r\n") + b',"\xc5\xe4'  # an extra field opening a quote, cut off
    add(Case("csv-unterminated-quote", F, fcsv, _write(quoted), 2, ["第 3 行"]))

    # JSON (the follow-up table as an internal system's API dump) --------------------------
    recs = followup_records(s)
    fj = f"棚改后期管理_{PERIOD}.json"
    add(Case("json-records", F, fj, _write(json.dumps(recs, ensure_ascii=False)), 0, note="same rows as JSON: unchanged"))
    add(Case("json-wrapped", F, fj, _write(json.dumps({"code": 0, "data": {"list": recs, "total": 2}}, ensure_ascii=False)), 0))
    full = json.dumps(recs, ensure_ascii=False, indent=1)
    add(Case("json-cut", F, fj, _write(full[: len(full) // 2]), 2, ["JSON", "truncated"]))
    add(Case("json-empty-file", F, fj, _write(b""), 2, ["输入文件为空"]))
    add(Case("json-empty-list", F, fj, _write("[]"), 2, ["no data rows"]))
    add(Case("json-error-document", F, fj, _write(json.dumps({"code": 500, "msg": "系统维护中"}, ensure_ascii=False)), 2,
             ["no list of records", "records_path"]))
    add(Case("json-rows-not-objects", F, fj, _write(json.dumps([list(r.values()) for r in recs], ensure_ascii=False)), 2,
             ["not an object"]))
    add(Case("json-gbk", F, fj, _write(json.dumps(recs, ensure_ascii=False).encode("gbk")), 0, note="GBK JSON is read like GBK CSV"))
    stray_json = json.dumps(recs, ensure_ascii=False, indent=1).encode("utf-8").replace(b"CY-PG-2015-002", b"CY-PG-2015-002\xff")
    bad_line = stray_json[: stray_json.index(b"\xff")].count(b"\n") + 1
    add(Case("json-stray-byte", F, fj, _write(stray_json), 2, ["undecodable", "byte offset", f"line {bad_line}"]))
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in recs)
    add(Case("jsonl-cut-last-line", F, f"棚改后期管理_{PERIOD}.jsonl", _write(lines[: len(lines) - 15]), 2, ["invalid JSON line", "row 2"]))

    # Excel (the monthly progress workbook) -------------------------------------------------
    def xlsx(rows: list[list[Any]], merges: list[tuple[int, int, int, int]] = (), **kw: Any) -> Callable[[Path], None]:  # type: ignore[assignment]
        return lambda path: write_xlsx(path, rows, list(merges), **kw)

    good = s.progress_path.read_bytes()
    add(Case("xlsx-empty-file", P, fx, _write(b""), 2, ["输入文件为空"]))
    add(Case("xlsx-cut-in-half", P, fx, _write(good[: len(good) // 2]), 2, ["damaged or truncated"]))
    add(Case("xlsx-is-csv", P, fx, _write(csv_bytes(p_rows, "utf-8")), 2, ["format: csv"]))
    html = "<html><body><table>" + "".join("<tr>" + "".join(f"<td>{c or ''}</td>" for c in r) + "</tr>" for r in p_rows) + "</table></body></html>"
    add(Case("xls-is-html", P, f"棚改进度_{PERIOD}.xls", _write(html), 2, ["HTML"]))
    add(Case("xlsx-hidden-first-sheet", P, fx, xlsx(p_rows, p_merges, hidden_first=[["填表说明：请勿修改"], ["序号", "项目编号"], [1, "X"]]), 0,
             note="the first visible sheet is read"))
    more_titles = [title, ["单位：户、套、亿元"], [None], top, sub, *p_data, total]
    add(Case("xlsx-more-title-rows", P, fx, xlsx(more_titles, shift(p_merges, 2, after=1)), 0))
    wrong = [*p_rows[:11], [total[0], *total[1:3], total[3] + 7, *total[4:]]]
    add(Case("xlsx-total-wrong-check", P, fx, xlsx(wrong, p_merges), 1, ["does not add up", "累计签约户数", str(total[3] + 7)],
             options={"totals": "check"}))
    add(Case("xlsx-no-total-row", P, fx, xlsx(p_rows[:11], p_merges), 0))
    def subtotal(rows: list[list[Any]]) -> list[Any]:
        out: list[Any] = ["小计", None, None]
        for i in range(3, 11):
            vals = [r[i] for r in rows]
            out.append(sum(v for v in vals if isinstance(v, int)) if all(isinstance(v, int) for v in vals) else None)
        return out
    with_sub = [title, top, sub, *p_data[:4], subtotal(p_data[:4]), *p_data[4:], subtotal(p_data[4:]), total]
    add(Case("xlsx-subtotals", P, fx, xlsx(with_sub, p_merges), 0, note="小计 rows checked per group, left out"))
    junk = [*p_rows, *([[None] * 11] * 40), [" ", None, "\u3000"], ["注：本表由区住房城乡建设委填报，数据截至月末。"], ["填表人：张三", None, None, "审核人：李四"]]
    add(Case("xlsx-trailing-empty-and-footnotes", P, fx, xlsx(junk, p_merges), 0))
    r_rows, r_merges = drop_column(p_rows, p_merges, 6)  # 累计搬迁户数
    add(Case("xlsx-missing-column", P, fx, xlsx(r_rows, r_merges), 2, ["缺少必需的列", "relocated_households"]))
    add(Case("xlsx-empty-sheet", P, fx, xlsx([], empty_active=True), 2, ["sheet is empty"]))
    add(Case("xlsx-header-only", P, fx, xlsx(p_rows[:3], p_merges), 2, ["no data rows"]))
    bad_rows = [list(r) for r in p_rows]
    bad_rows[5][8] = "待定"  # sheet row 6, 累计竣工
    add(Case("xlsx-bad-value", P, fx, xlsx(bad_rows, p_merges), 1, ["rejected"], rejects=[["shantytown_progress", 6, "units_completed_cum"]]))
    flat = ["序号", "编号", "项目名称", "签约户数", "签约比例", "搬迁户数", "本月开工套数", "累计开工套数", "累计竣工套数", "累计完成投资", "报送日期"]
    add(Case("xlsx-flat-header-aliases", P, fx, xlsx([title, flat, *p_data, total], [(1, 1, 1, 11)]), 0, note="one header row of aliases"))
    perm = [1, 0, 2, 9, 3, 4, 5, 8, 7, 6, 10]
    reordered = [[r[i] for i in perm] for r in [flat, *p_data, total]]  # 合计 lands in the second column
    add(Case("xlsx-columns-reordered", P, fx, xlsx([title, *reordered], [(1, 1, 1, 11)]), 0))
    add(Case("xlsx-unknown-sheet", P, fx, lambda path: shutil.copyfile(s.progress_path, path), 2, ["not found", "没有这张表"],
             options={"sheet": "没有这张表"}))
    add(Case("xls-legacy", P, f"棚改进度_{PERIOD}.xls", lambda path: write_xls(path, [title, flat, *p_data, total]), 0,
             note="legacy .xls (BIFF8) of the same table"))

    # Excel (the project list) --------------------------------------------------------------
    l_rows, l_merges = s.projects_rows, s.projects_merges
    lx = "棚改项目清单.xlsx"
    col_type = 6
    runs = [i for i, r in enumerate(l_rows) if r[col_type - 1] == "城中村"]
    merged = [list(r) for r in l_rows]
    block = _longest_run(runs)
    for i in block[1:]:
        merged[i][col_type - 1] = None
    merges = [*l_merges, (block[0] + 1, col_type, block[-1] + 1, col_type)]
    add(Case("xlsx-merged-data-cells", L, lx, xlsx(merged, merges), 0, note="a vertically merged 项目类型 cell fills down"))
    street = [list(r) for r in l_rows]
    street[4][3] = "火星街道"  # sheet row 5
    add(Case("xlsx-unknown-street", L, lx, xlsx(street, l_merges), 1, ["rejected"], rejects=[["shantytown_project", 5, "street"]]))
    add(Case("input-file-missing", L, "没有这个文件.xlsx", lambda path: None, 2, ["input file not found"]))
    return cases


def _longest_run(idx: list[int]) -> list[int]:
    best: list[int] = []
    cur: list[int] = []
    for i in idx:
        cur = [*cur, i] if cur and i == cur[-1] + 1 else [i]
        if len(cur) > len(best):
            best = cur
    return best


def write_xls(path: Path, rows: list[list[Any]]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("进展")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    wb.save(str(path))


# --- pipelines ----------------------------------------------------------------------------

def _absolute_inputs(doc: dict[str, Any], base: Path) -> dict[str, Any]:
    for spec in (doc.get("inputs") or {}).values():
        if isinstance(spec, dict) and "path" in spec and not Path(spec["path"]).is_absolute():
            spec["path"] = str((base / spec["path"]).resolve())
    return doc


def _pipeline(template: dict[str, Any], out: Path, **changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(template))
    doc.setdefault("output", {})["dir"] = str(out)
    if "max_reject_ratio" in changes:  # the one limit for every dataset of the case
        doc.pop("reject_ratios", None)
    doc.update(changes)
    return doc


def build(root: Path, sample_dir: Path, pipelines_dir: Path) -> list[dict[str, Any]]:
    """Write the corpus under ``root``; return the case list (also in cases.json)."""
    if root.exists():
        shutil.rmtree(root)
    out = root / "output"
    (root / "good").mkdir(parents=True)
    cases_dir = root / "cases"
    samples = Samples(sample_dir)

    st_doc = _absolute_inputs(yaml.safe_load((pipelines_dir / "shantytown.yaml").read_text(encoding="utf-8")), pipelines_dir)
    st_doc["inputs"] = {k: (v if isinstance(v, dict) else {"path": v}) for k, v in st_doc["inputs"].items()}
    good = _pipeline(st_doc, out, periods=f"2016-08..{PERIOD}", max_reject_ratio=0)
    good_runs = [{"pipeline": str(root / "good" / "shantytown.yaml"), "period": f"2016-08..{PERIOD}"}]
    (root / "good" / "shantytown.yaml").write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")

    listed: list[dict[str, Any]] = []
    for case in shantytown_cases(samples):
        d = cases_dir / case.id
        d.mkdir(parents=True)
        target = d / case.filename
        case.make(target)
        doc = _pipeline(st_doc, out, periods=PERIOD, max_reject_ratio=0)
        doc.update(case.pipeline)
        spec = {"path": str(target)}
        if case.options:
            for key in ("encoding", "sheet", "header_rows", "records_path", "format"):
                if key in case.options:
                    spec[key] = case.options[key]
            rest = {k: v for k, v in case.options.items() if k not in spec}
            if rest:
                spec["options"] = rest
        doc["inputs"][case.input] = spec
        pfile = d / "pipeline.yaml"
        pfile.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        listed.append({
            "id": case.id, "domain": ST, "format": Path(case.filename).suffix.lstrip("."), "input": case.input,
            "pipeline": str(pfile), "period": PERIOD, "note": case.note,
            "expect": {"exit": case.exit, "stderr": case.stderr, "rejects": case.rejects},
        })

    # the other domain pipelines that exist: one truncated input each -----------------------
    for pfile in sorted(pipelines_dir.glob("*.yaml")):
        doc = yaml.safe_load(pfile.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or pfile.stem == ST or not doc.get("periods"):
            continue
        doc = _absolute_inputs(doc, pipelines_dir)
        first = str(doc["periods"]).split(",")[0].split("..")[0].strip()
        picked = _truncatable(doc, first)
        if picked is None:
            continue
        name, source = picked
        d = cases_dir / f"{pfile.stem}-truncated-{source.suffix.lstrip('.')}"
        d.mkdir(parents=True)
        target = d / source.name
        target.write_bytes(_truncate(source.read_bytes(), source.suffix.lower()))
        gdoc = _pipeline(doc, out, periods=first)
        gfile = root / "good" / pfile.name
        gfile.write_text(yaml.safe_dump(gdoc, allow_unicode=True), encoding="utf-8")
        good_runs.append({"pipeline": str(gfile), "period": first})
        cdoc = _pipeline(doc, out, periods=first)
        spec = cdoc["inputs"][name] if isinstance(cdoc["inputs"][name], dict) else {"path": cdoc["inputs"][name]}
        spec["path"] = str(target)
        cdoc["inputs"][name] = spec
        cfile = d / "pipeline.yaml"
        cfile.write_text(yaml.safe_dump(cdoc, allow_unicode=True), encoding="utf-8")
        listed.append({
            "id": d.name, "domain": pfile.stem, "format": source.suffix.lstrip("."), "input": name,
            "pipeline": str(cfile), "period": first, "note": "the first half of a real input",
            "expect": {"exit": 2, "stderr": [source.name], "rejects": []},
        })

    (root / "cases.json").write_text(json.dumps({"good": good_runs, "cases": listed}, ensure_ascii=False, indent=1), encoding="utf-8")
    return listed


def _truncatable(doc: dict[str, Any], period: str) -> tuple[str, Path] | None:
    """The first input of ``doc`` that is one existing file for ``period``."""
    sys.path.insert(0, str(REPO))
    from gongkai_etl.periods import Period

    values = Period.parse(period).template_values()
    for name, spec in (doc.get("inputs") or {}).items():
        path = spec.get("path") if isinstance(spec, dict) else spec
        if not path or "*" in path:
            continue
        try:
            candidate = Path(path.format(**values))
        except (KeyError, IndexError, ValueError):
            continue
        if candidate.is_file() and candidate.suffix.lower() in (".csv", ".xlsx", ".xls", ".json") and candidate.stat().st_size > 200:
            return name, candidate
    return None


def _truncate(data: bytes, suffix: str) -> bytes:
    """The first half; for text, never exactly at a line end (that would just be fewer rows)."""
    cut = len(data) // 2
    if suffix == ".csv":
        while data[cut - 1 : cut] in (b"\n", b"\r", b",") or data[cut : cut + 1] in (b"\n", b"\r", b","):
            cut += 1
    return data[:cut]


def case_ids(sample_dir: Path = REPO / "sample_data", pipelines_dir: Path = REPO / "pipelines") -> list[str]:
    """The ids :func:`build` will write, without writing anything (for test collection)."""
    ids = [c.id for c in shantytown_cases(Samples(sample_dir))]
    for pfile in sorted(pipelines_dir.glob("*.yaml")):
        doc = yaml.safe_load(pfile.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or pfile.stem == ST or not doc.get("periods"):
            continue
        doc = _absolute_inputs(doc, pipelines_dir)
        first = str(doc["periods"]).split(",")[0].split("..")[0].strip()
        picked = _truncatable(doc, first)
        if picked is not None:
            ids.append(f"{pfile.stem}-truncated-{picked[1].suffix.lstrip('.')}")
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sample-data", type=Path, default=REPO / "sample_data")
    parser.add_argument("--pipelines", type=Path, default=REPO / "pipelines")
    args = parser.parse_args()
    cases = build(args.out.resolve(), args.sample_data.resolve(), args.pipelines.resolve())
    print(f"{len(cases)} corpus cases in {args.out}")


if __name__ == "__main__":
    main()
