"""Save an openpyxl workbook byte for byte the same on every run.

openpyxl stamps the time of saving into docProps/core.xml and every zip entry,
which would make each regeneration of the samples a git diff. Shared by the
domains' generate.py scripts.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook


def save_frozen(wb: Workbook, path: Path, when: datetime) -> None:
    """Save ``wb`` with every timestamp (document properties, zip entries) set to ``when``."""
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", stamp, data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
