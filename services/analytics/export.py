"""Report results as text (a phone screen), JSON, CSV and XLSX in the viewer's language.

The bot and `crm report` both render here, so `crm report funnel --format json` and the bot
show the same figures. Money stays in minor units in JSON (`*_minor`); text shows
`1 234 567,89 грн`, dates `DD.MM.YYYY`; XLSX cells are typed (numbers, percentages, dates).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import enum
import io
import json
import re
from decimal import Decimal
from typing import Any

from core.i18n import N_, format_date, format_money, gettext
from services.analytics.common import (
    Column,
    ColumnKind,
    Days,
    Money,
    Msg,
    Name,
    Ratio,
    ReportResult,
    Table,
)

DASH = "—"
NBSP = "\u00a0"
FORMATS = ("text", "json", "csv", "xlsx", "png")

LABELS = {
    "period": N_("Period: %(from)s – %(to)s"),
    "more": N_("… and %(count)s more"),
    "empty": N_("Nothing to show."),
    "days": N_("%(n)s d"),
    "yes": N_("yes"),
    "summary": N_("Summary"),
}


def label_text(label: str | Msg, locale: str) -> str:
    """A table title or column label: a msgid, or a Msg with params."""
    return translate(label, locale) if isinstance(label, Msg) else gettext(label, locale)


def table_title(table: Table, locale: str) -> str:
    return label_text(table.title, locale)


def report_title(result: ReportResult, locale: str) -> str:
    from services.analytics import REPORTS

    spec = REPORTS.get(result.report)
    return gettext(spec.title, locale) if spec else result.report


# --- values -------------------------------------------------------------------------------------


def format_int(value: int, locale: str) -> str:
    text = f"{int(value):,}"
    return text if locale == "en" else text.replace(",", NBSP)


def format_decimal(value: float, locale: str, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    if locale == "en":
        return text
    return text.replace(",", NBSP).replace(".", ",")


def format_ratio(value: float | None, locale: str) -> str:
    if value is None:
        return DASH
    percent = value * 100
    number = format_decimal(percent, locale, 0 if abs(percent - round(percent)) < 1e-9 else 1)
    return f"{number}%" if locale == "en" else f"{number}{NBSP}%"


def format_days_value(value: float | None, locale: str) -> str:
    if value is None:
        return DASH
    return gettext(LABELS["days"], locale) % {"n": format_decimal(value, locale)}


def translate(msg: Msg, locale: str) -> str:
    params = {key: format_param(value, locale) for key, value in msg.params.items()}
    template = gettext(msg.msgid, locale)
    try:
        return template % params if params else template
    except (KeyError, TypeError, ValueError):
        return template


def format_param(value: Any, locale: str) -> str:
    if value is None:
        return DASH
    if isinstance(value, Money):
        return format_money(value.minor, value.currency, locale)
    if isinstance(value, Ratio):
        return format_ratio(value.value, locale)
    if isinstance(value, Days):
        return format_days_value(value.value, locale)
    if isinstance(value, Name):
        return value.pick(locale)
    if isinstance(value, Msg):
        return translate(value, locale)
    if isinstance(value, dt.datetime):
        return format_date(value.date(), locale)
    if isinstance(value, dt.date):
        return format_date(value, locale)
    if isinstance(value, bool):
        return gettext(LABELS["yes"], locale) if value else ""
    if isinstance(value, int):
        return format_int(value, locale)
    if isinstance(value, float):
        return format_decimal(value, locale)
    return str(value)


def format_cell(value: Any, column: Column, currency: str, locale: str) -> str:
    """A cell as text for a human (text and CSV)."""
    if value is None:
        return DASH if column.kind in (ColumnKind.RATIO, ColumnKind.DAYS) else ""
    kind = column.kind
    if kind is ColumnKind.MONEY:
        return format_money(int(value), currency, locale)
    if kind is ColumnKind.RATIO:
        return format_ratio(value, locale)
    if kind is ColumnKind.DAYS:
        return format_days_value(value, locale)
    if kind is ColumnKind.FLAG:
        if isinstance(value, list | tuple):
            return ", ".join(format_param(v, locale) for v in value)
        return format_param(value, locale)
    return format_param(value, locale)


# --- text ---------------------------------------------------------------------------------------


def render_text(result: ReportResult, locale: str) -> str:
    """Short lines for a phone: the title and period, the headline, then each table's brief
    columns as one line per row (at most `text_rows` rows)."""
    lines = [
        report_title(result, locale),
        translate(
            Msg(LABELS["period"], {"from": result.period.date_from, "to": result.period.date_to}),
            locale,
        ),
        "",
    ]
    lines += [translate(msg, locale) for msg in result.headline]
    for table in result.tables:
        if table.text_rows <= 0:  # a table for files only
            continue
        lines += ["", table_title(table, locale)]
        if not table.rows:
            lines.append(gettext(LABELS["empty"], locale))
            continue
        columns = _brief_columns(table)
        for row in table.rows[: table.text_rows]:
            lines.append(_text_row(row, columns, table.currency, locale))
        hidden = len(table.rows) - table.text_rows
        if hidden > 0:
            lines.append(translate(Msg(LABELS["more"], {"count": hidden}), locale))
    return "\n".join(lines).rstrip() + "\n"


def _brief_columns(table: Table) -> list[Column]:
    if not table.brief:
        return table.columns
    by_key = {c.key: c for c in table.columns}
    return [by_key[key] for key in table.brief if key in by_key]


def _text_row(row: dict[str, Any], columns: list[Column], currency: str, locale: str) -> str:
    head, *rest = columns
    parts = []
    for column in rest:
        text = format_cell(row.get(column.key), column, currency, locale)
        if (text and text != DASH) or column.kind in (ColumnKind.RATIO, ColumnKind.DAYS):
            parts.append(f"{label_text(column.label, locale)} {text}")
    first = format_cell(row.get(head.key), head, currency, locale)
    return f"• {first}: " + "; ".join(parts) if parts else f"• {first}"


# --- JSON ---------------------------------------------------------------------------------------


def render_json(result: ReportResult, locale: str) -> bytes:
    """Everything, machine-readable: money in minor units, ratios 0..1, ISO dates; `data` is
    the report's own dataclass with names in both languages."""
    payload = {
        "report": result.report,
        "title": report_title(result, locale),
        "locale": locale,
        "period": {
            "from": result.period.date_from.isoformat(),
            "to": result.period.date_to.isoformat(),
        },
        "generated_at": result.generated_at.isoformat(),
        "headline": [translate(msg, locale) for msg in result.headline],
        "tables": [_json_table(table, locale) for table in result.tables],
        "data": to_jsonable(result.data),
    }
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_table(table: Table, locale: str) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table_title(table, locale),
        "currency": table.currency,
        "columns": [
            {"key": c.key, "label": label_text(c.label, locale), "kind": c.kind.value}
            for c in table.columns
        ],
        "rows": [
            {c.key: _json_cell(row.get(c.key), locale) for c in table.columns}
            for row in table.rows
        ],
    }


def _json_cell(value: Any, locale: str) -> Any:
    if isinstance(value, Name):
        return value.pick(locale)
    if isinstance(value, Msg):
        return translate(value, locale)
    if isinstance(value, list | tuple):
        return [_json_cell(v, locale) for v in value]
    return to_jsonable(value)


def to_jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Name):
        return {"uk": value.uk, "en": value.en}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        # Derived figures (deal efficiency, on-time rate...) too, when they are plain values.
        for klass in type(value).__mro__:
            for name, attr in vars(klass).items():
                if isinstance(attr, property) and not name.startswith("_") and name not in out:
                    derived = getattr(value, name)
                    if derived is None or isinstance(derived, int | float | str):
                        out[name] = to_jsonable(derived)
        return out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return str(value)


# --- CSV ----------------------------------------------------------------------------------------


def render_csv(result: ReportResult, locale: str) -> bytes:
    """Every table, one after another (a title line, the header, the rows, an empty line);
    UTF-8 with a BOM and `;` between cells for Excel in a Ukrainian locale. Money is a plain
    number of hryvnias, ratios a percentage, decimal comma for uk."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for number, table in enumerate(result.tables):
        if number:
            writer.writerow([])
        writer.writerow([table_title(table, locale)])
        writer.writerow([label_text(c.label, locale) for c in table.columns])
        for row in table.rows:
            writer.writerow([_csv_cell(row.get(c.key), c, table.currency, locale)
                             for c in table.columns])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _plain_number(value: float | Decimal, digits: int, locale: str) -> str:
    text = f"{value:.{digits}f}"
    return text if locale == "en" else text.replace(".", ",")


def _csv_cell(value: Any, column: Column, currency: str, locale: str) -> str:
    if value is None:
        return ""
    if column.kind is ColumnKind.MONEY:
        return _plain_number(Decimal(int(value)) / 100, 2, locale)
    if column.kind is ColumnKind.RATIO:
        return _plain_number(value * 100, 1, locale)
    if column.kind is ColumnKind.DAYS:
        return _plain_number(value, 1, locale)
    if column.kind is ColumnKind.INT:
        return str(int(value))
    return format_cell(value, column, currency, locale)


# --- XLSX ---------------------------------------------------------------------------------------

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(result: ReportResult, locale: str) -> bytes:
    """A summary sheet (title, period, headline), then one sheet per table with typed cells:
    money in hryvnias with two decimals, percentages, days, dates; a bold frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    bold = Font(bold=True)
    summary = workbook.active
    summary.title = _sheet_name(gettext(LABELS["summary"], locale), set())
    summary.append([report_title(result, locale)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([translate(Msg(LABELS["period"], {"from": result.period.date_from,
                                                     "to": result.period.date_to}), locale)])
    summary.append([])
    for msg in result.headline:
        summary.append([translate(msg, locale)])
    summary.column_dimensions["A"].width = 90
    used = {summary.title}
    for table in result.tables:
        sheet = workbook.create_sheet(_sheet_name(table_title(table, locale), used))
        used.add(sheet.title)
        sheet.append([label_text(c.label, locale) for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in table.rows:
            sheet.append([_xlsx_value(row.get(c.key), c, table.currency, locale)
                          for c in table.columns])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            number_format = _XLSX_FORMATS.get(column.kind)
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
            label = label_text(column.label, locale)
            width = 30 if column.kind is ColumnKind.TEXT else 16
            sheet.column_dimensions[letter].width = max(width, min(45, len(label) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_XLSX_FORMATS = {
    ColumnKind.MONEY: "#,##0.00",
    ColumnKind.RATIO: "0.0%",
    ColumnKind.DAYS: "0.0",
    ColumnKind.INT: "#,##0",
    ColumnKind.DATE: "DD.MM.YYYY",
}


def _xlsx_value(value: Any, column: Column, currency: str, locale: str) -> Any:
    if value is None:
        return None
    kind = column.kind
    if kind is ColumnKind.MONEY:
        return Decimal(int(value)) / 100
    if kind in (ColumnKind.RATIO, ColumnKind.DAYS):
        return float(value)
    if kind is ColumnKind.INT:
        return int(value)
    if kind is ColumnKind.DATE and isinstance(value, dt.date):
        return value
    return format_cell(value, column, currency, locale)


def _sheet_name(title: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, number = base, 2
    while name in used:
        suffix = f" {number}"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    return name


# --- one entry point ------------------------------------------------------------------------------


def render(result: ReportResult, fmt: str, locale: str) -> bytes:
    """Bytes of the result in `fmt` (text, json, csv, xlsx; png goes through the chart)."""
    if fmt == "text":
        from services.analytics import get_report, render_summary

        return render_summary(get_report(result.report), result, locale).encode("utf-8")
    if fmt == "json":
        return render_json(result, locale)
    if fmt == "csv":
        return render_csv(result, locale)
    if fmt == "xlsx":
        return render_xlsx(result, locale)
    if fmt == "png":
        from services.analytics import get_report, render_chart

        png = render_chart(get_report(result.report), result, locale)
        if png is None:
            from core.errors import NotFound

            raise NotFound("not_found", what="chart")
        return png
    raise ValueError(f"unknown format {fmt!r}")
