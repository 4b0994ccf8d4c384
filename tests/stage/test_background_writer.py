"""The writer thread: batches written in order, a failed write fails the run."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gongkai_etl.stage.writers import BackgroundSession


class _Recording:
    def __init__(self, fail_at: int | None = None) -> None:
        self.seen: list[int] = []
        self.closed = False
        self.fail_at = fail_at

    def write(self, batch: pa.RecordBatch) -> None:
        if self.fail_at is not None and len(self.seen) == self.fail_at:
            raise OSError(28, "No space left on device")
        self.seen.append(batch.column(0)[0].as_py())

    def close(self) -> None:
        self.closed = True


def _batch(i: int) -> pa.RecordBatch:
    return pa.record_batch([pa.array([i])], names=["n"])


def test_batches_are_written_in_order_and_closed() -> None:
    inner = _Recording()
    session = BackgroundSession(inner, depth=2)
    for i in range(50):
        session.write(_batch(i))
    session.close()
    assert inner.seen == list(range(50)) and inner.closed


def test_a_failed_write_is_raised_in_the_callers_thread() -> None:
    inner = _Recording(fail_at=3)
    session = BackgroundSession(inner, depth=1)
    with pytest.raises(OSError, match="No space left"):
        for i in range(50):
            session.write(_batch(i))
        session.close()
    assert inner.seen == [0, 1, 2]


def test_sessions_hash_what_they_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from gongkai_etl.stage.writers import CsvWriter, ParquetWriter

    schema = pa.schema([("名称", pa.string()), ("n", pa.int64())])
    batch = pa.record_batch([pa.array(["王*", "李*华"] * 5000), pa.array(range(10000))], schema=schema)
    for writer, name in ((ParquetWriter(), "x.parquet"), (CsvWriter(), "x.csv")):
        path = tmp_path / name
        session = BackgroundSession(writer.open(path, None, schema))  # type: ignore[arg-type]
        for _ in range(3):
            session.write(batch)
        session.close()
        assert session.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
