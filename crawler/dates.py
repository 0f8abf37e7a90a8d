"""Extraction helpers: publication dates as the outlets write them -> aware datetimes.

Part of the EXTRACT stage. Machine-readable values (ISO 8601, with or without
offset), the Vietnam Illustré ``DD/MM/YYYY [HH:MM]`` and, as the last resort,
French date text (``le 3 février``, ``1er décembre``, ``mardi 27 août 2026``),
which usually has no year: the caller supplies one taken from other metadata.
A value without an offset is the outlet's local time (``Asia/Ho_Chi_Minh``).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        start=1,
    )
}
MONTHS.update({"fevrier": 2, "aout": 8, "decembre": 12})

NUMERIC = re.compile(
    r"\b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:\D{0,5}?(?P<H>\d{1,2})[:h](?P<M>\d{2}))?"
)
ISO_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
FRENCH = re.compile(
    r"\b(?P<d>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
    r"(?:\s+(?P<y>\d{4}))?\b(?:\D{0,6}?(?P<H>\d{1,2})[:h](?P<M>\d{2}))?",
    re.IGNORECASE,
)
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
YEAR_IN_URL = re.compile(r"(?:^|/)(20\d{2})(?:/|-\d{1,2}[-/])")


def parse_datetime(value: str, zone: tzinfo) -> datetime | None:
    """An ISO 8601 or ``DD/MM/YYYY [HH:MM]`` value; naive values get ``zone``."""
    value = value.strip()
    if ISO_PREFIX.match(value):
        return _parse_iso(value, zone)
    match = NUMERIC.search(value)
    if match:
        return _from_parts(match, int(match["y"]), int(match["m"]), zone)
    return None


def _parse_iso(value: str, zone: tzinfo) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _from_parts(match: re.Match[str], year: int, month: int, zone: tzinfo) -> datetime | None:
    hour = int(match["H"]) if match.groupdict().get("H") else 0
    minute = int(match["M"]) if match.groupdict().get("M") else 0
    try:
        return datetime(year, month, int(match["d"]), hour, minute, tzinfo=zone)
    except ValueError:
        return None


def french_date(text: str, year: int | None, zone: tzinfo) -> datetime | None:
    """The first ``3 février`` / ``1er décembre [2026]`` / ``21/11/2026`` in ``text``.

    A day and month without a year need ``year`` (from the page's other
    metadata); without one the date is unknown.
    """
    numeric = NUMERIC.search(text)
    french = FRENCH.search(text)
    if numeric and (not french or numeric.start() < french.start()):
        return _from_parts(numeric, int(numeric["y"]), int(numeric["m"]), zone)
    if not french:
        return None
    found_year = int(french["y"]) if french["y"] else year
    if found_year is None:
        return None
    return _from_parts(french, found_year, MONTHS[french["month"].lower()], zone)


def time_given(text: str) -> bool:
    """Whether the date :func:`parse_datetime` / :func:`french_date` read in ``text`` has a time.

    ``04/12/2026`` and ``2026-12-04`` are a day: the article's time is unknown,
    not 00:00.
    """
    text = text.strip()
    if ISO_PREFIX.match(text):
        return bool(ISO_TIME.match(text))
    numeric, french = NUMERIC.search(text), FRENCH.search(text)
    first = numeric if numeric and (not french or numeric.start() < french.start()) else french
    return bool(first and first["H"])


def year_hint(*texts: str | None) -> int | None:
    """A year from a URL or image path (``/uploaded/2026/11/21/``), or an ISO date."""
    for text in texts:
        if not text:
            continue
        if ISO_PREFIX.match(text):
            return int(text[:4])
        match = YEAR_IN_URL.search(text)
        if match:
            return int(match.group(1))
    return None
