"""Make the 权力清单/责任清单 adjustment samples, deterministically, as the 区编办 keeps them.

Per month (2016-08..2016-10):

- ``权力清单调整登记_<YYYY-MM>.csv``: GBK, the register of power-list changes the office
  approved (新增, 取消, 下放 to a street, 承接 from a city body, 调整, 合并), dates as 2016/8/3
  or 2016年8月3日, a 合计 line at the end.
- ``责任清单调整_<YYYYMM>.json``: the list system's export ``{"success": true, "result":
  {"records": [...]}}`` with camelCase keys (deptName, dutyName, ...), dates as 20160803.

Planted dirty rows (must land in rejects):
- 2016-08 power list: 权力类别 typed 行政许可证 -> power_list_adjustment, field ``category``.
- 2016-09 power list: a 下放 with no 承接单位 -> power_list_adjustment, field ``receiving_unit``.
- 2016-10 duty list: a 新增 duty with no 具体工作事项 -> duty_list_adjustment, field
  ``duty_content``.

Run: python sample_data/power_list/generate.py
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
MONTHS = ("2016-08", "2016-09", "2016-10")
CODES = {"行政许可": "XK", "行政处罚": "CF", "行政强制": "QZ", "行政征收": "ZS", "行政给付": "JF", "行政检查": "JC",
         "行政确认": "QR", "行政奖励": "JL", "行政裁决": "CJ", "其他行政职权": "QT"}
STREETS = ["望京街道办事处", "三里屯街道办事处", "酒仙桥街道办事处", "南磨房地区办事处", "来广营地区办事处", "十八里店地区办事处"]
# department, category, item, change, content, basis
POWERS = [
    ("区发展改革委", "行政许可", "企业投资项目核准前置审批（选址意见）", "取消", "取消核准前置条件，改为并联办理", "《国务院关于第二批清理规范国务院部门行政审批中介服务事项的决定》（国发〔2016〕11号）"),
    ("区商务委", "行政许可", "外商投资企业设立及变更审批", "取消", "不涉及准入特别管理措施的改为备案管理", "《全国人民代表大会常务委员会关于修改〈中华人民共和国外资企业法〉等四部法律的决定》"),
    ("区城管执法局", "行政处罚", "对擅自设置户外广告的处罚", "下放", "下放街道（地区）综合执法队实施", "《北京市人民政府关于进一步推进城市管理综合执法工作的意见》"),
    ("区环保局", "行政处罚", "对餐饮服务单位未安装油烟净化设施的处罚", "下放", "下放街道（地区）综合执法队实施", "《北京市大气污染防治条例》第一百二十条"),
    ("区民政局", "行政给付", "困难残疾人生活补贴发放", "新增", "新增事项，由区民政局会同区残联实施", "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）"),
    ("区卫生计生委", "行政确认", "生育服务证办理", "调整", "改为生育登记服务，取消审批环节", "《北京市人口与计划生育条例》（2016年修正）"),
    ("区住房城乡建设委", "行政许可", "建设工程施工许可证核发（限额以下）", "承接", "承接市住房城乡建设委下放的限额以下工程施工许可", "《北京市住房和城乡建设委员会关于下放部分行政审批事项的通知》"),
    ("区安全监管局", "行政检查", "对生产经营单位安全生产情况的监督检查", "合并", "与“对危险化学品经营单位的检查”合并为一项", "《中华人民共和国安全生产法》第五十九条"),
    ("区市政市容委", "行政许可", "城市道路占用挖掘审批", "调整", "审批时限由20个工作日压缩为10个工作日", "《北京市市政公用设施管理条例》"),
    ("区文化委", "行政许可", "营业性演出审批", "承接", "承接市文化局下放的营业性演出审批", "《北京市文化局关于下放营业性演出审批的通知》"),
]
DUTIES = [
    ("区环保局", "大气污染防治监督管理", "组织实施重污染天气应急预案，督促重点排污单位落实减排措施", "区城管执法局、各街乡", "未按规定启动应急响应或落实减排措施的", "新增", "《北京市空气重污染应急预案（2016年修订）》"),
    ("区食药监局", "食品安全监督抽检", "组织实施食品安全监督抽检并公布抽检结果", "区农委、区商务委", "未按计划开展抽检或瞒报抽检不合格信息的", "修改", "《中华人民共和国食品安全法》第八十七条"),
    ("区水务局", "农村污水治理设施运行监管", "监督农村污水处理设施运行，公开建设进展", "各乡政府", "设施长期闲置未督促整改的", "新增", "《北京市加快污水处理和再生水利用设施建设三年行动方案（2016年7月—2019年6月）》"),
    ("区安全监管局", "烟花爆竹经营监督管理", "对烟花爆竹零售网点实施监督检查", "区公安分局、区消防支队", "", "删除", "职责划转区公安分局"),
    ("区住房城乡建设委", "棚户区改造组织实施", "统筹推进棚户区改造项目，按月公开建设进展", "区发展改革委、区财政局", "未按规定公开项目信息的", "修改", "《国务院关于进一步做好城镇棚户区和城乡危房改造及配套基础设施建设有关工作的意见》（国发〔2015〕37号）"),
]


def month_parts(month: str) -> tuple[int, int]:
    y, m = (int(x) for x in month.split("-"))
    return y, m


def power_rows(month: str, rng: random.Random, start: int) -> list[list[str]]:
    y, m = month_parts(month)
    picks = [POWERS[(start + k) % len(POWERS)] for k in range(rng.randint(3, 5))]
    rows = []
    for n, (dept, category, item, change, content, basis) in enumerate(picks, start=1):
        code = f"{CODES[category]}{rng.randint(100, 2999):05d}"
        receiving = rng.choice(STREETS) if change == "下放" else ("北京市" + dept[1:].replace("区", "", 1) if change == "承接" else "")
        d = rng.randint(1, 28)
        typed_date = f"{y}/{m}/{d}" if n % 2 else f"{y}年{m}月{d}日"
        doc = f"朝编办发〔{y}〕{rng.randint(10, 60)}号"
        rows.append([str(n), dept, code, item, category, change, receiving, content, basis, doc, typed_date])
    if month == "2016-08":  # planted: not one of the ten kinds
        rows[0][4] = "行政许可证"
    if month == "2016-09":  # planted: delegated, but to whom?
        row = next((r for r in rows if r[5] == "下放"), rows[0])
        row[5], row[6] = "下放", ""
    return rows


def powers(month: str, rng: random.Random, start: int) -> None:
    rows = power_rows(month, rng, start)
    with open(HERE / f"权力清单调整登记_{month}.csv", "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "实施部门", "权力事项编码", "权力事项名称", "权力类别", "调整类型", "承接单位", "调整内容", "调整依据", "批准文号", "调整日期"])
        w.writerows(rows)
        w.writerow(["合计", f"{len(rows)}项"] + [""] * 9)


def duties(month: str, rng: random.Random, start: int) -> None:
    y, m = month_parts(month)
    records = []
    for k in range(rng.randint(2, 3)):
        dept, item, content, partners, account, change, basis = DUTIES[(start + k) % len(DUTIES)]
        records.append({"id": 5100 + start * 10 + k, "deptName": dept, "dutyName": item, "dutyContent": content,
                        "cooperateDepts": partners, "accountability": account or None, "adjustType": change,
                        "adjustBasis": basis, "adjustDate": f"{y}{m:02d}{rng.randint(1, 28):02d}", "operator": "admin"})
    if month == "2016-10":  # planted: a new duty without its content
        records[0]["adjustType"], records[0]["dutyContent"] = "新增", ""
    doc = {"success": True, "result": {"total": len(records), "records": records}}
    (HERE / f"责任清单调整_{y}{m:02d}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    rng = random.Random(20161109)
    for n, month in enumerate(MONTHS):
        powers(month, rng, 3 * n)
        duties(month, rng, 2 * n)
    print(f"wrote 权力清单/责任清单 samples for {', '.join(MONTHS)} to {HERE}")


if __name__ == "__main__":
    main()
