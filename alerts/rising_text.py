"""The rising-names report as a terminal reads it and as JSON (``vnawatch names``).

Pure: a :class:`alerts.rising.NamesReport` in, lines or plain data out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerts.rising import BASELINE_DAYS, NamesReport


def report_lines(report: NamesReport) -> list[str]:
    """The report as text for a terminal (``vnawatch names``)."""
    days = (report.end - report.start) / timedelta(days=1)
    lines = [
        f"Rising names {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
        f" ({days:g} days, {_articles(report.articles)}) against the {BASELINE_DAYS} days"
        f" before ({_articles(report.baseline_articles)}); counts are articles naming it.",
    ]
    if not report.rising:
        lines.append("No name unknown to the watchlists rose in this window.")
    for n, name in enumerate(report.rising, 1):
        lines += [
            "",
            f"{n:2}. {name.name}: {_articles(name.count)}, {name.previous} before"
            f" (expected {name.expected:.1f}), {name.rise}",
            f"    spellings: {', '.join(name.spellings)}",
            *(f"    {s.published_at:%Y-%m-%d} {s.title}  {s.url}" for s in name.samples),
            "    config.yaml, under a watchlist's entities:",
            *name.snippet.rstrip("\n").splitlines(),
        ]
    if report.aliases:
        lines += ["", "Spellings of watched entities missing from their aliases:"]
    for suggestion in report.aliases:
        found = ", ".join(
            f"{s} ({'matched by folding' if matched else 'NOT matched now'})"
            for s, matched in suggestion.spellings
        )
        lines += [
            "",
            f"  {suggestion.watchlist} > {suggestion.entity} ({suggestion.name}): {found}",
            "    config.yaml, replacing the entity:",
            *suggestion.snippet.rstrip("\n").splitlines(),
        ]
    return lines


def _articles(n: int) -> str:
    return f"{n:,} article" + ("" if n == 1 else "s")


def report_json(report: NamesReport) -> dict[str, Any]:
    """The report as JSON-ready data (``vnawatch names --json``)."""
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "baseline_start": report.baseline_start.isoformat(),
        "articles": report.articles,
        "baseline_articles": report.baseline_articles,
        "rising": [
            {
                "name": n.name,
                "key": n.key,
                "spellings": list(n.spellings),
                "count": n.count,
                "previous": n.previous,
                "expected": round(n.expected, 2),
                "score": round(n.score, 2),
                "rise": n.rise,
                "samples": [
                    {"title": s.title, "url": s.url, "published_at": s.published_at.isoformat()}
                    for s in n.samples
                ],
                "snippet": n.snippet,
            }
            for n in report.rising
        ],
        "aliases": [
            {
                "watchlist": a.watchlist,
                "entity": a.entity,
                "name": a.name,
                "spellings": [{"spelling": s, "matched": m} for s, m in a.spellings],
                "count": a.count,
                "snippet": a.snippet,
            }
            for a in report.aliases
        ],
    }
