"""Export: stored articles or matches, one record per line or row.

Formats: JSON lines, CSV (UTF-8, comma, times ISO 8601 with their offset),
CSV for Excel (UTF-8 with a BOM, ";" as French-locale Excel expects, CRLF,
times as local ``YYYY-MM-DD HH:MM:SS`` in the service's zone, which the
column name states) and an Excel workbook (real date cells, same zone).
The order is stable (publication time, then storage id) so two exports of
the same archive are identical. The article columns are
:data:`store.records.ARTICLE_FIELDS`, the record's own fields.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from store.records import ARTICLE_FIELDS

if TYPE_CHECKING:
    from store import Store
    from store.records import Article, Match

MATCH_FIELDS = (
    "rule_id", "url", "source", "article_id", "title", "published_at", "zones", "alias",
    "snippet", "spans", "matched_at",
)  # fmt: skip
TEXT_FORMATS = ("jsonl", "csv", "excel")  # "xlsx" is written to a binary stream
PROGRESS_EVERY = 5000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExportFilter:
    """Which records: published in ``[since, until)``, of ``source``, matched by ``rule``."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    rule: str | None = None


def write_export(
    store: Store,
    kind: str,
    fmt: str,
    stream: IO[Any],
    *,
    only: ExportFilter = ExportFilter(),
    timezone: str = "UTC",
    progress: Progress | None = None,
) -> int:
    """Write every record of ``kind`` ("articles" or "matches") that ``only`` keeps,
    as ``fmt``; ``progress`` hears the count every :data:`PROGRESS_EVERY` records.
    Return how many were written."""
    if kind == "articles":
        fields = ARTICLE_FIELDS
        rows = (article_values(a) for a in store.iter_articles(**asdict(only)))
    else:
        fields = MATCH_FIELDS
        rows = (match_values(m, a) for m, a in store.iter_matches(**asdict(only)))
    counted = _counted(rows, progress)
    if fmt == "jsonl":
        return _write_jsonl(counted, stream)
    if fmt == "csv":
        return _write_csv(
            fields, ({k: _json_cell(v) for k, v in r.items()} for r in counted), stream
        )
    zone = ZoneInfo(timezone)
    local = (_day_only(row) for row in counted)
    if fmt == "excel":
        return _write_excel_csv(fields, local, stream, zone)
    return _write_xlsx(kind, fields, local, stream, zone)


def _day_only(row: dict[str, Any]) -> dict[str, Any]:
    """A day without a time is that day in a local-time export, not the previous evening."""
    if row.get("published_time_known") is False:
        return row | {"published_at": row["published_at"].date()}
    return row


def article_values(article: Article) -> dict[str, Any]:
    """Every field of the record, in its order, as stored (datetimes, tuples)."""
    return {name: getattr(article, name) for name in ARTICLE_FIELDS}


def export_row_from_article(article: Article) -> dict[str, Any]:
    """Every field of the record, in its order: times ISO 8601, tuples as lists."""
    return {name: _exported(value) for name, value in article_values(article).items()}


def match_values(match: Match, article: Article) -> dict[str, Any]:
    return {
        "rule_id": match.rule_id,
        "url": article.url,
        "source": article.source,
        "article_id": article.article_id,
        "title": article.title,
        "published_at": article.published_at,
        "zones": match.zones,
        "alias": match.alias,
        "snippet": match.snippet.text,
        "spans": [[s.zone, s.start, s.end, s.term] for s in match.spans],
        "matched_at": match.matched_at,
    }


def _counted(rows: Iterator[dict[str, Any]], progress: Progress | None) -> Iterator[dict[str, Any]]:
    for count, row in enumerate(rows, 1):
        yield row
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)


def _write_jsonl(rows: Iterator[dict[str, Any]], stream: TextIO) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps({k: _exported(v) for k, v in row.items()}, ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count


def _write_csv(
    fields: tuple[str, ...], rows: Iterator[dict[str, Any]], stream: TextIO, **dialect: str
) -> int:
    writer = csv.DictWriter(stream, fieldnames=fields, **dialect)  # type: ignore[arg-type]
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def _write_excel_csv(
    fields: tuple[str, ...], rows: Iterator[dict[str, Any]], stream: TextIO, zone: ZoneInfo
) -> int:
    """The CSV that French-locale Excel opens as columns with the accents right."""
    stream.write("\ufeff")  # the BOM tells Excel the file is UTF-8
    named = _zone_named(fields, zone)
    cells = ({named[k]: _excel_text(v, zone) for k, v in row.items()} for row in rows)
    return _write_csv(tuple(named.values()), cells, stream, delimiter=";", lineterminator="\r\n")


def _write_xlsx(
    kind: str,
    fields: tuple[str, ...],
    rows: Iterator[dict[str, Any]],
    stream: IO[bytes],
    zone: ZoneInfo,
) -> int:
    from openpyxl import Workbook  # only this format needs it

    book = Workbook(write_only=True)  # rows are streamed: memory stays flat
    sheet = book.create_sheet(kind)
    sheet.freeze_panes = "A2"
    sheet.append(list(_zone_named(fields, zone).values()))
    count = 0
    for row in rows:
        sheet.append([_excel_value(row[name], zone) for name in fields])
        count += 1
    book.save(stream)
    return count


def _zone_named(fields: tuple[str, ...], zone: ZoneInfo) -> dict[str, str]:
    """Column names for Excel: a time column says its zone, "published_at (Asia/…)"."""
    return {f: f"{f} ({zone.key})" if f.endswith("_at") else f for f in fields}


def _excel_value(value: object, zone: ZoneInfo) -> object:
    """A cell: a datetime local to ``zone`` without its offset (Excel has none)."""
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    if isinstance(value, tuple | list):
        return json.dumps(list(value), ensure_ascii=False)
    return value


def _excel_text(value: object, zone: ZoneInfo) -> object:
    local = _excel_value(value, zone)
    return local.strftime("%Y-%m-%d %H:%M:%S") if isinstance(local, datetime) else local


def _json_cell(value: object) -> object:
    exported = _exported(value)
    return json.dumps(exported, ensure_ascii=False) if isinstance(exported, list) else exported


def _exported(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
