"""CSV export that never turns reported text into spreadsheet formulas.

Cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return are
escaped by defusedcsv, so a hostile URL or explanation exported again and
opened in a spreadsheet is shown as text, not executed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from defusedcsv import csv


def write_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()
