"""``etl schedule``: crontab lines (and systemd units) that call
``etl run --due`` unattended, with absolute paths and JSON-lines logs.

Daily is the right frequency whatever the cadence: ``--due`` does nothing when
nothing is due, publishes a period as soon as its input file appears, and the
pipeline lock keeps a slow run and the next one from overlapping.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import sys
from pathlib import Path

from gongkai_etl.errors import ConfigError
from gongkai_etl.spec import Pipeline

EXIT_CODES = (
    "exit codes: 0 ok or nothing due, 1 overdue input missing or data failure, 2 configuration, "
    "3 source unreachable, 4 waiting for review, 5 another run holds the lock"
)


def etl_command() -> list[str]:
    """The absolute command that runs this gongkai-etl (the ``etl`` script beside the interpreter)."""
    bindir = Path(os.path.abspath(sys.executable)).parent  # not resolved: keep the virtualenv's bin
    script = bindir / "etl"
    if script.exists():
        return [str(script)]
    return [os.path.abspath(sys.executable), "-m", "gongkai_etl"]


def parse_time(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ConfigError(f"--at: expected a time like 06:15, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def run_args(pipeline: Pipeline, wait: float) -> list[str]:
    return [*etl_command(), "--log-format", "json", "run", "--due", "--wait", f"{wait:g}", str(pipeline.file)]


def log_file(pipeline: Pipeline) -> Path:
    return pipeline.home.cron_log(pipeline.id)


def crontab(pipelines: list[Pipeline], at: str = "06:15", wait: float = 60) -> str:
    hour, minute = parse_time(at)
    lines = [
        "# gongkai-etl: publish due periods daily (etl run --due); install with `crontab -e`.",
        "# JSON-lines log per pipeline; problems go to stderr, which cron mails (set MAILTO).",
        f"# {EXIT_CODES}.",
    ]
    salts = sorted({p.salt_env for p in pipelines})
    lines.append(f"# Set {', '.join(salts)} (salt of hashed keys) in this crontab or the environment; it is not printed here.")
    for p in pipelines:
        log = log_file(p)
        cmd = " ".join(shlex.quote(a) for a in run_args(p, wait))
        lines.append(f"# {p.id}: {p.title}")
        lines.append(
            f"{minute} {hour} * * * mkdir -p {shlex.quote(str(log.parent))} && {cmd} >> {shlex.quote(str(log))}"
        )
    return "\n".join(line.replace("%", "\\%") if not line.startswith("#") else line for line in lines) + "\n"


def _systemd_quote(arg: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg.replace("%", "%%")
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def unit_name(pipeline: Pipeline) -> str:
    return "gongkai-etl-" + re.sub(r"[^A-Za-z0-9_.-]", "-", pipeline.id)


def systemd_units(pipelines: list[Pipeline], at: str = "06:15", wait: float = 60) -> str:
    hour, minute = parse_time(at)
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "gongkai"
    parts = [
        "# gongkai-etl systemd units: save each file below into /etc/systemd/system/, then",
        "#   systemctl daemon-reload && systemctl enable --now " + " ".join(f"{unit_name(p)}.timer" for p in pipelines),
        "# Logs (JSON lines): journalctl -u <unit> -o cat.",
        f"# {EXIT_CODES}.",
    ]
    for p in pipelines:
        name = unit_name(p)
        cmd = " ".join(_systemd_quote(a) for a in run_args(p, wait))
        parts += [
            "",
            f"# --- /etc/systemd/system/{name}.service ---",
            "[Unit]",
            f"Description=gongkai-etl: publish due periods of {p.id} ({p.title})".replace("%", "%%"),
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            f"User={user}",
            f"WorkingDirectory={_systemd_quote(str(p.base_dir))}",
            f"# {p.salt_env}=... (salt of hashed keys) goes into this file, readable by {user} only:",
            "EnvironmentFile=-/etc/gongkai-etl/env",
            f"ExecStart={cmd}",
            "Nice=10",
            "",
            f"# --- /etc/systemd/system/{name}.timer ---",
            "[Unit]",
            f"Description=Daily gongkai-etl run --due for {p.id}",
            "",
            "[Timer]",
            f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00",
            "Persistent=true",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]
    return "\n".join(parts) + "\n"
