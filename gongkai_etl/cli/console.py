"""Reporters: how a run talks to a person (rich on a terminal, plain lines
otherwise) or to a machine (JSON lines). Chosen by the CLI."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import datetime
from typing import Any, TextIO

from gongkai_etl.report import PeriodOutcome, Progress, RunReport, StageInfo

STATUS_ZH = {
    "published": "已发布 published",
    "unchanged": "未变化 unchanged",
    "waiting-review": "待审查 waiting for review",
    "failed": "失败 failed",
    "pending": "未完成 not finished",
}


#: Seconds between two updates of the live progress line (GONGKAI_PROGRESS_SECONDS overrides).
PROGRESS_SECONDS = 0.5


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f}"


class LiveLine:
    """One progress line on a terminal's stderr, rewritten in place (``\r``) at
    most every PROGRESS_SECONDS, and cleared before anything else is printed.
    Nothing at all when stderr is not a terminal (cron, pipes, logs)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.every = float(os.environ.get("GONGKAI_PROGRESS_SECONDS", PROGRESS_SECONDS))
        self._last = 0.0
        self._shown = False

    def show(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self.every:
            return
        self._last = now
        share = f" ({p.bytes_read * 100 // p.bytes_total}%)" if p.bytes_total else ""
        text = (f"读取 reading {p.pipeline} {p.period}: {p.rows:,} 行 rows, {_mib(p.bytes_read)}/{_mib(p.bytes_total)} MiB{share}, "
                f"{p.rows_per_second:,.0f} 行/秒 rows/s")
        sys.stderr.write("\r\x1b[K" + text)
        sys.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False


class PlainReporter:
    """One line per event; what cron mails and logs keep."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.live = LiveLine()
        # Under --executor the pipelines' threads report at once: one line is one
        # write, and a period's block is not cut by another thread's lines.
        self._lock = threading.RLock()

    def _print(self, text: str) -> None:
        with self._lock:
            self.live.clear()
            self.stream.write(text + "\n")
            self.stream.flush()

    def progress(self, p: Progress) -> None:
        if not self.quiet:
            self.live.show(p)

    def stage(self, info: StageInfo) -> None:
        if self.quiet:
            return
        self._print(
            f"  {info.period} {info.dataset:<28} {info.stage:<20} in {info.rows_in:>9,}  out {info.rows_out:>9,}"
            f"  rejected {info.rejected:>6,}  {info.seconds:7.2f}s"
        )

    def note(self, message: str, **fields: object) -> None:
        if not self.quiet:
            self._print(message)

    def warn(self, message: str, **fields: object) -> None:
        """A problem; with a non-zero ``exit_code`` field it fails the command, and
        says ``Error:``. ``Warning:`` is only what leaves the exit code alone."""
        self.live.clear()
        print(f"{'Error' if fields.get('exit_code') else 'Warning'}: {message}", file=sys.stderr, flush=True)

    def missing(self, message: str, **fields: object) -> None:
        """A due period that cannot run for a missing input: one line, always shown."""
        self._print(message)

    def period_done(self, outcome: PeriodOutcome) -> None:
        if self.quiet and not outcome.error:
            return
        with self._lock:
            self._period_lines(outcome)

    def _period_lines(self, outcome: PeriodOutcome) -> None:
        self._print(f"{outcome.pipeline} {outcome.period}:")
        for d in outcome.datasets:
            version = f" v{d.version}" if d.version else ""
            extra = f"  rejects: {d.rejects_file}" if d.rejects_file else ""
            review = f"  review id: {d.review_id}" if d.review_id else ""
            self._print(
                f"  {d.dataset:<28} {STATUS_ZH.get(d.status, d.status)}{version}  rows {d.rows_out:,}/{d.rows_in:,}"
                f"  rejected {d.rejected:,}{extra}{review}"
            )
            for line in _timeliness_lines(d):
                self._print(f"    {line}")
        if outcome.excluded_rows:
            self._print(f"  {outcome.excluded_text()}")


class RichReporter(PlainReporter):
    """A terminal: a table per period, colours."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__(sys.stdout, quiet)
        from rich.console import Console

        self.console = Console()

    def stage(self, info: StageInfo) -> None:
        self.live.clear()
        if not self.quiet:
            self.console.print(
                f"  [dim]{info.period}[/dim] {info.dataset} [cyan]{info.stage}[/cyan] "
                f"in {info.rows_in:,} out {info.rows_out:,} rejected {info.rejected:,} [dim]{info.seconds:.2f}s[/dim]",
                highlight=False,
            )

    def note(self, message: str, **fields: object) -> None:
        self.live.clear()
        if not self.quiet:
            self.console.print(message, highlight=False)

    def period_done(self, outcome: PeriodOutcome) -> None:
        self.live.clear()
        if self.quiet and not outcome.error:
            return
        from rich.table import Table

        table = Table(title=f"{outcome.pipeline} {outcome.period}", title_justify="left")
        for col in ("数据集 dataset", "状态 status", "版本 version", "行 rows in", "行 rows out", "拒绝 rejected", "拒绝文件 rejects"):
            table.add_column(col)
        for d in outcome.datasets:
            colour = {"published": "green", "unchanged": "blue", "failed": "red"}.get(d.status, "yellow")
            table.add_row(
                d.dataset,
                f"[{colour}]{STATUS_ZH.get(d.status, d.status)}[/{colour}]",
                f"v{d.version}" if d.version else "-",
                f"{d.rows_in:,}",
                f"{d.rows_out:,}",
                f"{d.rejected:,}",
                d.rejects_file or "",
            )
        self.console.print(table)
        for d in outcome.datasets:
            lines = _timeliness_lines(d)
            if lines:
                colour = "yellow" if (d.timeliness or {}).get("late") else "green"
                self.console.print(f"  [{colour}]{d.dataset}[/{colour}] " + "\n    ".join(lines), highlight=False)
        if outcome.excluded_rows:
            self.console.print(f"  {outcome.excluded_text()}", highlight=False)


#: Keys every JSON line carries (null where they do not apply), so a log query
#: can filter on any of them without guessing which events have it.
JSON_KEYS = ("level", "run_id", "pipeline", "period", "dataset", "stage")


def json_line(event: str, level: str, context: dict[str, Any], **data: Any) -> str:
    """One JSON log line: time, event, the :data:`JSON_KEYS`, then the event's data
    (``seconds`` rounded to milliseconds)."""
    doc: dict[str, Any] = {"time": datetime.now().astimezone().isoformat(timespec="seconds"), "event": event}
    doc.update({k: None for k in JSON_KEYS})
    doc.update(context)
    doc["level"] = level
    doc.update({k: v for k, v in data.items() if v is not None or k not in doc})
    if isinstance(doc.get("seconds"), float):
        doc["seconds"] = round(doc["seconds"], 3)
    return json.dumps(doc, ensure_ascii=False, default=str)


class JsonReporter:
    """JSON lines on stdout, one object per event, each with its level and the run
    it belongs to (:func:`json_line`)."""

    #: run_id and pipeline of the run going on, for an error the CLI reports last
    context: dict[str, Any] = {}

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def bind(self, **context: Any) -> None:
        """Called by the runner when a run starts: its id and pipeline go on every line."""
        JsonReporter.context = dict(context)

    def _emit(self, event: str, level: str = "info", **data: Any) -> None:
        print(json_line(event, level, JsonReporter.context, **data), file=self.stream, flush=True)

    def stage(self, info: StageInfo) -> None:
        self._emit("stage", **info.__dict__)

    def note(self, message: str, **fields: object) -> None:
        self._emit("note", message=message, **fields)

    def warn(self, message: str, **fields: object) -> None:
        failed = bool(fields.get("exit_code"))
        self._emit("error" if failed else "warning", "error" if failed else "warning", message=message, **fields)

    def missing(self, message: str, **fields: object) -> None:
        self._emit("missing", "warning", message=message, **fields)

    def mapping(self, **fields: object) -> None:
        """One input's mapping report (found, mapped, unexpected, header units): the
        console shows it only when an input does not map; the JSON log always."""
        self._emit("mapping", **fields)

    def period_done(self, outcome: PeriodOutcome) -> None:
        datasets = [{k: v for k, v in d.__dict__.items() if k != "stages"} for d in outcome.datasets]
        self._emit("period", "error" if outcome.exit_code else "info", pipeline=outcome.pipeline, period=outcome.period,
                   error=outcome.error, exit_code=outcome.exit_code, excluded_rows=outcome.excluded_rows, excluded=outcome.excluded, datasets=datasets)


SUMMARY_HEADERS = ["流水线 pipeline", "期间 periods", "已发布 published", "未变化 unchanged", "待审查 review",
                   "失败 failed", "行 rows out", "拒绝 rejected", "秒 seconds"]


def summary_rows(reports: list[RunReport], seconds: dict[str, float]) -> list[list[str]]:
    """One row per pipeline of the command, and a total row: the closing summary."""
    rows: list[list[str]] = []
    totals = [0] * 6
    for r in reports:
        ds = [d for p in r.periods for d in p.datasets]
        counts = [sum(d.status == s for d in ds) for s in ("published", "unchanged", "waiting-review")]
        counts.append(sum(d.status == "failed" for d in ds) + sum(1 for p in r.periods if p.error and not p.datasets))
        counts += [sum(d.rows_out for d in ds), sum(d.rejected for d in ds)]
        totals = [a + b for a, b in zip(totals, counts)]
        keys = [p.period for p in r.periods]
        span = f"{keys[0]}..{keys[-1]}" if len(keys) > 1 else (keys[0] if keys else "-")
        rows.append([r.pipeline, span, *(f"{c:,}" for c in counts), f"{seconds.get(r.run_id, 0.0):.1f}"])
    if len(reports) > 1:
        rows.append(["合计 total", "", *(f"{c:,}" for c in totals), f"{sum(seconds.values()):.1f}"])
    return rows


def print_summary(reporter: object, reports: list[RunReport], seconds: dict[str, float]) -> None:
    """The one closing table of ``etl run``: what every pipeline published, kept, failed."""
    if not reports:
        return
    rows = summary_rows(reports, seconds)
    if isinstance(reporter, JsonReporter):
        for r, row in zip(reports, rows):
            reporter._emit("summary", "error" if r.exit_code else "info", pipeline=r.pipeline, run_id=r.run_id,
                           **dict(zip(("published", "unchanged", "review", "failed", "rows_out", "rejected"),
                                      (int(c.replace(",", "")) for c in row[2:8]))), seconds=seconds.get(r.run_id, 0.0))
        return
    if isinstance(reporter, RichReporter):
        from rich.table import Table

        table = Table(title="运行汇总 run summary", title_justify="left")
        for h in SUMMARY_HEADERS:
            table.add_column(h, justify="left" if h.startswith(("流水线", "期间")) else "right")
        for row in rows:
            table.add_row(*row)
        reporter.console.print(table)
        return
    from gongkai_etl.report import display_width, pad

    table = [SUMMARY_HEADERS, *rows]
    widths = [max(display_width(r[k]) for r in table) for k in range(len(SUMMARY_HEADERS))]
    out = getattr(reporter, "stream", sys.stdout)
    print("运行汇总 run summary", file=out)
    for row in table:
        print("  " + "  ".join(pad(c, widths[k]) for k, c in enumerate(row)).rstrip(), file=out, flush=True)


def _timeliness_lines(d: object) -> list[str]:
    summary = getattr(d, "timeliness", None)
    if not summary:
        return []
    from gongkai_etl.schedule.timeliness import describe

    return describe(summary)


def make_reporter(log_format: str, quiet: bool) -> PlainReporter | JsonReporter:
    if log_format == "json":
        return JsonReporter()
    if sys.stdout.isatty():
        return RichReporter(quiet)
    return PlainReporter(quiet=quiet)
