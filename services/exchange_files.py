"""Tables in and out of files: CSV (UTF-8 or windows-1251, `;` or `,`) and XLSX, plus JSON out.

Pure functions, no database: `read_table` turns the bytes of an uploaded file into a header and
rows that remember their line numbers; `write_csv` / `write_xlsx` / `write_json` do the reverse.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import ValidationFailed

CSV_DELIMITERS = (";", ",", "\t")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


@dataclass(frozen=True)
class Row:
    """One record of the file: `line` is where it starts (1 = the first line of the file)."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: list[Row]
    header_line: int = 1
    delimiter: str | None = None  # None for XLSX
    encoding: str | None = None  # None for XLSX


def file_error(reason: str, **params: Any) -> ValidationFailed:
    return ValidationFailed("invalid", field="file", reason=reason, **params)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM or not) tried strictly first, then windows-1251.

    Anything that decodes to control characters (UTF-16, binary files) is refused.
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "cp1251")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            break
        return text, ("utf-8" if encoding == "utf-8-sig" else encoding)
    raise file_error("bad_encoding")


def normalise_header(value: str) -> str:
    """'Код ЄДРПОУ*' -> 'код єдрпоу'; 'E-mail' -> 'e mail'; 'external_id' -> 'external id'."""
    value = value.replace("\ufeff", "").casefold()
    value = re.sub(r"[_\-./\\]", " ", value)
    value = re.sub(r"[*:\"]", "", value)
    value = value.replace("’", "'").replace("ʼ", "'").replace("`", "'")
    return " ".join(value.split())


def _records(text: str, delimiter: str) -> Iterable[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    previous = 0
    for cells in reader:
        start = previous + 1
        previous = reader.line_num
        yield Row(start, tuple(cell.strip() for cell in cells))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def sniff_delimiter(text: str, is_known: Callable[[str], bool] | None = None) -> str:
    """The delimiter that splits the header line into the most known (then the most) columns."""
    line = _first_line(text)

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        known = sum(1 for cell in cells if is_known and is_known(normalise_header(cell)))
        return known, len(cells)

    return max(CSV_DELIMITERS, key=score)


def _split_header(rows: Iterable[Row]) -> Table:
    iterator = iter(rows)
    for row in iterator:
        if any(row.cells):
            headers = list(row.cells)
            while headers and not headers[-1]:
                headers.pop()
            body = [r for r in iterator if any(r.cells)]
            return Table(tuple(headers), body, header_line=row.line)
    raise file_error("empty_file")


_SEP_HINT = re.compile(r"sep=(.)\r?\n")  # Excel's "sep=;" first line


def read_csv(data: bytes, is_known: Callable[[str], bool] | None = None) -> Table:
    text, encoding = decode_text(data)
    hint = _SEP_HINT.match(text)
    if hint:
        delimiter = hint.group(1)
        text = "\n" + text[hint.end() :]  # keep the line numbers
    else:
        delimiter = sniff_delimiter(text, is_known)
    try:
        table = _split_header(_records(text, delimiter))
    except csv.Error:
        raise file_error("bad_csv") from None
    return Table(table.headers, table.rows, table.header_line, delimiter, encoding)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
        if isinstance(value, dt.datetime):
            return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def read_xlsx(data: bytes) -> Table:
    """The first (active) sheet of an .xlsx workbook; cell values as text (dates DD.MM.YYYY)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise file_error("bad_xlsx") from None
    try:
        sheet = workbook.active
        if sheet is None:
            raise file_error("empty_file")
        rows = (
            Row(number, tuple(_cell_text(value) for value in values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _split_header(rows)
    finally:
        workbook.close()


def read_table(
    data: bytes, filename: str = "", is_known: Callable[[str], bool] | None = None
) -> Table:
    """A CSV or XLSX file (told apart by content, not by name) as a header and rows."""
    if data.startswith(_ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data)
    if data.startswith(_OLE_MAGIC):
        raise file_error("old_xls")
    return read_csv(data, is_known)


# --- writing -------------------------------------------------------------------------------------


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a BOM and `;` between cells, so Excel in a Ukrainian locale opens it as is."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str) -> bytes:
    """One sheet, every cell text (codes keep their leading zeros), a bold frozen header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(header) + 4))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def write_json(records: list[dict[str, Any]]) -> bytes:
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
