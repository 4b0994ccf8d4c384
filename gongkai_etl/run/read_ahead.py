"""The source's batches, timed as extract time, and for streaming sources
extracted by a thread one batch ahead of the stages (then extract time is the
time the stages waited for it)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from gongkai_etl.contracts import Batch
from gongkai_etl.run.context import RunContext


def timed(batches: Iterable[Batch], ctx: RunContext) -> Iterator[Batch]:
    """The source's batches, its time counted as extract time."""
    gen = iter(batches)
    try:
        while True:
            started = time.perf_counter()
            try:
                batch = next(gen)
            except StopIteration:
                return
            finally:
                ctx.extract_seconds += time.perf_counter() - started
            yield batch
    finally:
        close = getattr(gen, "close", None)
        if callable(close):
            close()  # a caller that stops early still closes the source's files


def read_ahead(batches: Iterable[Batch], ctx: RunContext, depth: int = 1) -> Iterator[Batch]:
    """The source's batches, extracted by a thread up to ``depth`` batches ahead.

    For a streaming source on the heavy path: reading and reshaping the next
    batch (pyarrow and numpy release the GIL) overlaps normalizing, checking and
    writing this one, which on two cores takes about the time of the slower half
    instead of both. An error in the source is raised here, in the caller's
    thread; when the caller stops early the thread closes the source's generator
    (so its files are closed) and ends.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand_over(item: tuple[BaseException | None, Any]) -> bool:
        """Queue ``item`` for the caller; False once the caller has stopped."""
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        gen = iter(batches)
        try:
            for batch in gen:
                if not hand_over((None, batch)):
                    return
            item: tuple[BaseException | None, Any] = (None, done)
        except BaseException as exc:  # handed over to the caller's thread
            item = (exc, None)
        finally:
            close = getattr(gen, "close", None)
        if callable(close):
            close()
        hand_over(item)

    # Extract time is the time the stages wait for the reader, measured here in
    # the caller's thread: the reader's own busy time overlaps the stages, and
    # counting it would make the stage times add up to more than the wall time.
    # (RunContext.read adds its opening time from the reader's thread; that time
    # is inside the first wait, so it is replaced, not added.)
    before = ctx.extract_seconds
    waited = 0.0
    thread = threading.Thread(target=produce, name="gongkai-extract", daemon=True)
    thread.start()
    try:
        while True:
            started = time.perf_counter()
            error, batch = out.get()
            waited += time.perf_counter() - started
            if error is not None:
                raise error
            if batch is done:
                return
            yield batch
    finally:
        stop.set()
        thread.join()
        ctx.extract_seconds = before + waited
