"""Run ``etl`` commands as forked children of one warm interpreter.

The corpus and fault-injection tests start a few hundred ``etl`` processes;
most of each one's second would be interpreter start-up and imports. This
server imports gongkai_etl once, then for every request forks a child that
runs the real command-line entry point (``gongkai_etl.cli.main``) with its own
argv, environment, stdout and stderr files, and exit code. A child is a real
process: a failpoint's SIGKILL or the test's timed SIGKILL ends it exactly as
it would end ``etl run``; a traceback lands in its stderr.

Fork safety: the parent only imports (no Arrow computation has started a
thread pool); OpenBLAS threads are off (OPENBLAS_NUM_THREADS=1 set by the
client) and jemalloc's background thread is fork-safe by design.

Protocol: one JSON request per stdin line ``{"args", "env", "stdout",
"stderr", "cwd", "kill_after"}``; one JSON reply per stdout line ``{"rc"}``
(negative: killed by that signal).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback


def _child(req: dict) -> None:
    try:
        os.environ.clear()
        os.environ.update(req["env"])
        if req.get("cwd"):
            os.chdir(req["cwd"])
        for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        sys.argv = ["etl", *req["args"]]
        from gongkai_etl.cli import main

        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main() -> None:
    import gongkai_etl.cli  # noqa: F401  warm imports, nothing else
    import gongkai_etl.run.context  # noqa: F401
    import gongkai_etl.run.runner  # noqa: F401
    from gongkai_etl.plugins import load_plugins

    load_plugins()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(req)
        kill_after = req.get("kill_after")
        status = None
        if kill_after is not None:
            deadline = time.monotonic() + float(kill_after)
            while time.monotonic() < deadline:
                done, polled = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = polled
                    break
                time.sleep(0.002)
            else:
                os.kill(pid, signal.SIGKILL)
        if status is None:
            _, status = os.waitpid(pid, 0)
        print(json.dumps({"rc": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
