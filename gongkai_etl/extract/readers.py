"""Built-in readers, registered through the ``gongkai_etl`` entry point like any plugin."""

from __future__ import annotations

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Reader
from gongkai_etl.extract.csv_reader import CsvReader
from gongkai_etl.extract.excel_reader import ExcelReader
from gongkai_etl.extract.http_reader import HttpReader
from gongkai_etl.extract.json_reader import JsonReader


@hookimpl(trylast=True)
def register_readers() -> list[Reader]:
    return [HttpReader(), CsvReader(), ExcelReader(), JsonReader()]
