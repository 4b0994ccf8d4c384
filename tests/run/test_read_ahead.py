"""The runner's extract thread: order, errors and early stops reach the caller."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from gongkai_etl.errors import InputError
from gongkai_etl.run.read_ahead import read_ahead


def _ctx() -> SimpleNamespace:
    return SimpleNamespace(extract_seconds=0.0)


def test_batches_arrive_in_order() -> None:
    ctx = _ctx()
    assert list(read_ahead(iter(range(100)), ctx)) == list(range(100))  # type: ignore[arg-type]


def test_extract_time_is_the_time_the_stages_wait_for_the_source() -> None:
    """The reader works ahead in its thread: extract time is what the caller waited
    for batches (so stage times add up to the wall time), never the caller's own work."""

    def slow_source() -> Iterator[int]:
        for i in range(3):
            time.sleep(0.05)
            yield i

    ctx = _ctx()
    for _ in read_ahead(slow_source(), ctx):  # type: ignore[arg-type]
        time.sleep(0.3)  # the stages' work on a batch: the next batch is read meanwhile
    assert 0.04 <= ctx.extract_seconds < 0.3  # the first batch's wait; the caller's 0.9 s does not count

    ctx = _ctx()
    for _ in read_ahead(slow_source(), ctx):  # type: ignore[arg-type]
        pass  # a fast caller waits for every batch
    assert 0.14 <= ctx.extract_seconds < 0.75


def test_a_source_error_is_raised_in_the_caller() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise InputError("输入文件不存在 (input file not found)", file="x.csv")

    got = []
    with pytest.raises(InputError, match="input file not found"):
        for b in read_ahead(source(), _ctx()):  # type: ignore[arg-type]
            got.append(b)
    assert got == [1]


def test_stopping_early_closes_the_source() -> None:
    closed = []

    def source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    gen = read_ahead(source(), _ctx())  # type: ignore[arg-type]
    assert next(gen) == 0
    gen.close()  # the caller gave up (an error of its own)
    assert closed == [True]
