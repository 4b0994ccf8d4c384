"""The ``etl`` command line's core: the typer app, the global options, the
shared argument types, and :func:`main`, the one place where errors become
``Error: ...`` lines and exit codes.

Exit codes: 0 ok, 1 data failure, 2 usage or configuration error, 3 source
unreachable, 4 waiting for review, 5 another run holds the pipeline's lock. A
user error prints one ``Error: ...`` line on stderr; ``--debug`` adds the
traceback.

Commands import their machinery inside the function, so ``etl --help`` and a
mistyped option answer without loading pyarrow and every plugin.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

# Arrow buffers from jemalloc unless the user chose a pool: it hands freed
# batches back to the system sooner than mimalloc, pyarrow's default; a 1M-row
# list peaked at about 300 MiB instead of 365 (bench/RESULTS.md). Arrow reads
# this when it first allocates, so it is set before anything imports pyarrow.
# Linux wheels carry jemalloc; elsewhere Arrow would warn and ignore it.
if sys.platform.startswith("linux"):
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
# A float matrix product in numpy goes to OpenBLAS, which starts a thread per core
# whose threads then spin between calls. On two cores they took the CPU from the
# batch threads: 18 s of CPU for a 5M-row list instead of 12 (bench/RESULTS.md,
# 02:57). The engine has no such product now; this keeps plugins from the trap.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer

from gongkai_etl import __version__
from gongkai_etl.errors import ConfigError, ExitCode, GongkaiError

app = typer.Typer(
    name="etl",
    help="gongkai-etl: 政务公开数据按期发布 (publish government open data on its legal cadence).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Settings:
    """The global options of this invocation (``etl --quiet run ...``), for the commands."""

    debug = False
    quiet = False
    log_format = "text"


#: Read by commands, built-in or a plugin's: ``from gongkai_etl.cli.app import settings``.
settings = Settings()


def _version(value: bool) -> None:
    if value:
        print(f"gongkai-etl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json (JSON lines).")] = "text",
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True)] = None,
) -> None:
    if log_format not in ("text", "json"):
        raise ConfigError(f"--log-format: expected text or json, got {log_format!r}")
    settings.debug, settings.quiet, settings.log_format = debug, quiet, log_format


def make_cli_reporter():  # noqa: ANN201
    from gongkai_etl.cli.console import make_reporter

    return make_reporter(settings.log_format, settings.quiet)


def finish_interrupted(out_dir: Path, ledger: Path | None = None, finished: list[str] | None = None) -> None:
    """Finish the publishes a killed run left in ``out_dir`` (every command that
    opens an output does, so none reads a half-published period) and say so."""
    from gongkai_etl.publish.recovery import recover_output

    done = recover_output(out_dir, ledger) if finished is None else finished
    for item in done:
        make_cli_reporter().warn(f"已完成上次中断的发布 (finished an interrupted publish): {item}")


def load_pipelines(paths: list[Path]):  # noqa: ANN201
    from gongkai_etl.spec import load_pipeline, pipeline_files

    return [load_pipeline(p) for p in pipeline_files(list(paths))]


PipelinesArg = Annotated[list[Path], typer.Argument(help="Pipeline YAML files or folders of them.")]


OptionalPipelinesArg = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Pipeline YAML files or folders of them (default for --due, status: ./pipelines)."),
]
AsOfOption = Annotated[
    Optional[str], typer.Option("--as-of", help="Act as if today were DATE (YYYY-MM-DD): closed periods, due dates, publication date.")
]
WaitOption = Annotated[
    float, typer.Option("--wait", help="Seconds to wait for another run of the same pipeline to finish (then exit 5).")
]


def default_pipelines(paths: Optional[list[Path]]) -> list[Path]:
    if paths:
        return list(paths)
    from gongkai_etl.publish.versions import default_pipeline_paths

    return default_pipeline_paths()


def _add_plugin_commands() -> None:
    try:
        from gongkai_etl.plugins import load_plugins

        reg = load_plugins()
    except GongkaiError:
        return  # reported when a command needs the plugins
    reg.manager.hook.register_commands(app=app)


def _redact(text: str) -> str:
    from gongkai_etl.protect.pii import redact

    return redact(text)


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """click's exception base: typer >= 0.20 vendors click as ``typer._click`` and
    raises its own copy, which an ``isinstance`` on the real click misses."""
    found: list[type[BaseException]] = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = __import__(name, fromlist=["ClickException"])
        except ImportError:
            continue
        found.append(module.ClickException)
    return tuple(found)


def usage_message(exc: BaseException) -> str:
    """One bilingual line for a usage mistake click caught, with the nearest valid
    option or command and where to look: never a traceback, never English only."""
    from gongkai_etl.errors import did_you_mean

    kind = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "etl"
    where = f" (see `{command} --help`)"
    if kind == "NoSuchOption":
        name = exc.option_name  # type: ignore[attr-defined]
        known = [o for p in (ctx.command.params if ctx else []) for o in (*p.opts, *p.secondary_opts) if o.startswith("-")]
        known += ["--help"]
        return f"未知选项 (no such option) {name} for `{command}`{did_you_mean(name, known, or_list=True)}{where}"
    if kind == "MissingParameter":
        param = getattr(exc, "param", None)
        name = (param.opts[0] if param is not None and param.opts and param.opts[0].startswith("-")
                else (param.human_readable_name if param is not None else "?"))
        return f"缺少参数 (missing argument) {name} for `{command}`{where}"
    if kind == "BadParameter":
        param = getattr(exc, "param", None)
        name = param.opts[0] if param is not None and param.opts else "?"
        return f"参数值无效 (invalid value) for {name}: {exc.format_message()}{where}"  # type: ignore[attr-defined]
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if kind == "UsageError" and "No such command" in message and ctx is not None and hasattr(ctx.command, "commands"):
        wrong = message.split("'")[1] if "'" in message else ""
        hint = did_you_mean(wrong, sorted(ctx.command.commands), or_list=True)
        return f"未知命令 (no such command) {wrong!r}{hint}{where}"
    return f"用法错误 (usage error): {message}{where}"


def report_error(message: str, exit_code: int, **fields: object) -> None:
    """The one ``Error:`` of a failed command: a line on stderr, or under
    ``--log-format json`` one JSON line with level, run id, stage, dataset, period."""
    if settings.log_format == "json" or "--log-format=json" in sys.argv or _json_in_argv():
        from gongkai_etl.cli.console import JsonReporter, json_line

        print(json_line("error", "error", JsonReporter.context, message=message, exit_code=exit_code, **fields), flush=True)
        return
    print(f"Error: {message}", file=sys.stderr)


def _json_in_argv() -> bool:
    # a usage error can come before the global options are parsed into settings
    argv = sys.argv
    return any(a == "--log-format" and i + 1 < len(argv) and argv[i + 1] == "json" for i, a in enumerate(argv))


def main() -> None:
    """Console-script entry point."""
    debug = "--debug" in sys.argv
    try:
        _add_plugin_commands()
        rv = app(standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except GongkaiError as exc:
        if debug:
            traceback.print_exc()
        # never a raw ID or phone on the console
        report_error(_redact(str(exc)), int(exc.exit_code), stage=exc.stage, dataset=exc.dataset, period=exc.period)
        sys.exit(int(exc.exit_code))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        report_error("已中断 (interrupted)", 130)
        sys.exit(130)
    except Exception as exc:
        if isinstance(exc, typer.Abort):
            sys.exit(1)
        if isinstance(exc, _click_exception_types()):
            if debug:
                traceback.print_exc()
            report_error(usage_message(exc), int(ExitCode.USAGE))
            sys.exit(ExitCode.USAGE)
        raise
    sys.exit(0)


if __name__ == "__main__":
    main()
