"""Deadline rules as the work plan writes them, and in a structured form.

:func:`parse_deadline` is the one reader of a ``deadline:`` value, for a YAML
dataset and for a pipeline's ``deadlines:``. It accepts

* the plan's own words: an event phrase and a term, "作出行政处罚决定之日起20个工作日内",
  "做出行政许可决定和行政处罚结案后的7日内", "清单调整后10个工作日内", "批准后20日内";
  the event is the plan's, the date of it is a field of the record, so an event
  phrase needs ``anchor:`` (``{text: 清单调整后10个工作日内, anchor: adjustment_date}``);
* a cadence phrase, "每月", "按季度", "每半年", "每年": the plan says how often, not how
  soon, so the cadence's default term applies (:data:`~gongkai_etl.workdays.DEFAULT_DEADLINES`),
  and the phrase must agree with the dataset's cadence;
* the period forms "期末后10个工作日内" / "10 working days after period end" and the field
  forms "decision_date后7日内" / "7 days after decision_date" (:meth:`DeadlineRule.parse`);
* the structured form ``{days: 20, working: true, after: decision_date, roll_to_workday: true}``.

Days are counted from the day after the event (民法典 art. 201: "之日起" and "后" alike);
a calendar-day term whose last day is a rest day or statutory holiday ends on the
next working day (民法典 art. 203) unless ``roll_to_workday: false``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from gongkai_etl.errors import ConfigError, did_you_mean
from gongkai_etl.periods import Cadence
from gongkai_etl.workdays import PERIOD_END, DeadlineRule, default_rule

ACCEPTED = (
    "accepted forms: the plan's words with an anchor field ({text: 作出行政处罚决定之日起20个工作日内, anchor: decision_date}), "
    "每月 | 按季度 | 每半年 | 每年, 期末后10个工作日内, decision_date后7日内, '10 working days after period end', "
    "or {days: 20, working: true, after: decision_date | period_end, roll_to_workday: true}"
)
MAPPING_KEYS = ("text", "anchor", "days", "working", "after", "roll_to_workday")

CADENCE_WORDS: dict[str, Cadence] = {
    "每月": Cadence.MONTHLY, "按月": Cadence.MONTHLY, "逐月": Cadence.MONTHLY,
    "每季度": Cadence.QUARTERLY, "按季度": Cadence.QUARTERLY, "按季": Cadence.QUARTERLY, "每季": Cadence.QUARTERLY,
    "每半年": Cadence.HALF_YEARLY, "按半年": Cadence.HALF_YEARLY,
    "每年": Cadence.YEARLY, "按年": Cadence.YEARLY, "每年度": Cadence.YEARLY,
}
_CADENCE_TAIL = re.compile(r"(?:向社会)?(?:公开|公布|发布|更新)?$")
# Words for "the period is over": such a rule counts from the period end, no anchor needed.
_PERIOD_EVENTS = ("期末", "期满", "期间结束", "每期结束", "本期结束", "统计期结束")
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"\d+|[一二两三四五六七八九十]{1,3}"
_PHRASE = re.compile(
    rf"^(?:在|于|自|从)?(?P<event>.+?)(?:之日起|之日后|以后的?|之后的?|后的?|起)\s*(?P<n>{_NUMBER})\s*"
    r"(?:(?P<working>个工作日)|个?(?:自然)?[日天])\s*(?:以?内)?$"
)
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _number(text: str) -> int:
    """20, 二十, 七, 十五 -> int (terms in the plan are under 100)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def _error(path: str, message: str, file: Path | None) -> ConfigError:
    return ConfigError(f"{path}: {message}", file=file)


def parse_deadline(
    value: Any,
    *,
    date_fields: Iterable[str] | None = None,
    cadence: Cadence | None = None,
    path: str = "deadline",
    file: Path | None = None,
) -> DeadlineRule:
    """The :class:`DeadlineRule` of a ``deadline:`` value (text or mapping).

    ``date_fields``: the dataset's date fields; an anchor must be one of them
    (None skips the check, for a caller that checks later). ``cadence``: the
    dataset's cadence, which a cadence phrase must match. Errors are bilingual
    :class:`ConfigError` naming ``path`` (the key path) and ``file``.
    """
    if isinstance(value, DeadlineRule):
        rule = value
    elif isinstance(value, str) and value.strip():
        rule = _from_text(value, None, path, file)
    elif isinstance(value, Mapping):
        rule = _from_mapping(value, path, file)
    else:
        raise _error(path, f"expected a deadline rule, got {type(value).__name__} {value!r}; {ACCEPTED}", file)
    if rule.cadence is not None and cadence is not None and rule.cadence is not cadence:
        raise _error(
            path,
            f"期限 {rule.text!r} 是 {rule.cadence.value} 的周期, 与数据集的 cadence {cadence.value} 不一致 "
            f"(the deadline {rule.text!r} says {rule.cadence.value}, the dataset's cadence is {cadence.value})",
            file,
        )
    if date_fields is not None and not rule.per_period:
        dates = list(date_fields)
        if rule.anchor not in dates:
            raise _error(
                path,
                f"期限按字段 {rule.anchor!r} 计算, 但它不是日期字段 (the rule counts from {rule.anchor!r}, "
                f"which is not a date field{did_you_mean(rule.anchor, dates)}; date fields: {', '.join(dates) or 'none'})",
                file,
            )
    return rule


def _from_text(text: str, anchor: str | None, path: str, file: Path | None) -> DeadlineRule:
    words = "".join(text.split()) if not text.isascii() else " ".join(text.split())
    cadence = _cadence(words)
    if cadence is not None:
        if anchor is not None:
            raise _error(f"{path}.anchor", f"周期 {words!r} 不按记录日期计算 (a cadence phrase has no anchor field)", file)
        return replace(default_rule(cadence), text=words, cadence=cadence)
    m = _PHRASE.match(words)
    if m is None:
        try:
            rule = DeadlineRule.parse(words)  # the English forms
        except ConfigError:
            raise _error(path, f"无法识别的期限规则 {text!r} (unrecognised deadline rule; {ACCEPTED})", file) from None
        own = rule.anchor
    else:
        event = m.group("event")
        own = PERIOD_END if event in _PERIOD_EVENTS else event if _FIELD.match(event) else None
        if own is None and anchor is None:
            raise _error(
                path,
                f"事件 {event!r} 的日期须由字段给出 (an event phrase needs the field holding the event date): "
                f"write {{text: {words}, anchor: <date field>}}",
                file,
            )
        n = _number(m.group("n"))
        if n < 1:
            raise _error(path, f"期限天数须至少为 1 {words!r} (the number of days must be at least 1)", file)
        rule = DeadlineRule(n, m.group("working") is not None, own or anchor or PERIOD_END)
    if anchor is not None and own is not None and anchor != own:
        raise _error(
            f"{path}.anchor",
            f"{anchor!r} 与规则 {words!r} 的起算点 {own} 矛盾 (contradicts the rule's own anchor {own})",
            file,
        )
    return replace(rule, text=words)


def _cadence(words: str) -> Cadence | None:
    head = _CADENCE_TAIL.sub("", words)
    return CADENCE_WORDS.get(head) if head else None


def _from_mapping(data: Mapping[str, Any], path: str, file: Path | None) -> DeadlineRule:
    for key in data:
        if key not in MAPPING_KEYS:
            raise _error(
                f"{path}.{key}", f"未知的键 {key!r} (unknown key{did_you_mean(str(key), MAPPING_KEYS, or_list=True)})", file
            )
    roll = _flag(data, "roll_to_workday", path, file)
    if "text" in data:
        if "days" in data or "working" in data or "after" in data:
            raise _error(path, "text 与 days/working/after 只能用一种 (give either text or days/working/after)", file)
        text, anchor = data["text"], data.get("anchor")
        if not isinstance(text, str) or not text.strip():
            raise _error(f"{path}.text", f"expected the rule's words, got {text!r}; {ACCEPTED}", file)
        if anchor is not None and (not isinstance(anchor, str) or not _FIELD.match(anchor)):
            raise _error(f"{path}.anchor", f"expected the name of a date field, got {anchor!r}", file)
        rule = _from_text(text, anchor, path, file)
    else:
        if "anchor" in data:
            raise _error(f"{path}.anchor", "anchor goes with text; with days, say after: <date field> | period_end", file)
        days = data.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise _error(f"{path}.days", f"expected a whole number of days >= 1, got {days!r}; {ACCEPTED}", file)
        after = data.get("after")
        if not isinstance(after, str) or not _FIELD.match(after):
            raise _error(f"{path}.after", f"expected period_end or the name of a date field, got {after!r}", file)
        working = _flag(data, "working", path, file)
        anchor = PERIOD_END if after.lower() == PERIOD_END else after
        rule = DeadlineRule(days, bool(working), anchor)
    if roll is not None:
        if rule.working and not roll:
            raise _error(
                f"{path}.roll_to_workday",
                "工作日期限总在工作日结束 (a working-day term always ends on a working day; roll_to_workday: false has no meaning)",
                file,
            )
        rule = replace(rule, roll=roll)
    return rule


def _flag(data: Mapping[str, Any], key: str, path: str, file: Path | None) -> bool | None:
    if key not in data:
        return None
    if not isinstance(data[key], bool):
        raise _error(f"{path}.{key}", f"expected true or false, got {data[key]!r}", file)
    return bool(data[key])


def explain(rule: DeadlineRule) -> str:
    """How a rule was understood, for ``etl validate``: words, anchor, unit, roll, scope."""
    said = f"{rule.text!r} -> " if rule.text else ""
    if rule.cadence is not None:
        said += f"cadence {rule.cadence.value} 周期, default term 默认期限: "
    anchor = "期末 period end" if rule.per_period else f"字段 field {rule.anchor}"
    unit = "个工作日 working days" if rule.working else "日 calendar days"
    if rule.working:
        roll = ""
    elif rule.roll:
        roll = ", 末日遇休息日顺延至下一工作日 a rest day moves to the next working day"
    else:
        roll = ", 末日不顺延 not moved off rest days"
    scope = "每期 per period" if rule.per_period else "逐条 per record"
    return f"{said}{rule.amount} {unit} after {anchor}{roll}; {scope}"


__all__ = ["ACCEPTED", "CADENCE_WORDS", "explain", "parse_deadline"]
