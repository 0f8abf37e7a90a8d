"""The offline demo: the whole pipeline against the bundled sample site.

``vnawatch demo`` copies ``demo/sample_site`` into its folder, moves the
sample's dates so that its newest articles are from yesterday (a digest
covers publication time, so a sample frozen in 2026 would otherwise fall
outside every window), serves it on 127.0.0.1, writes a config pointing the
three real spiders at it, then crawls, matches, queues the digests and
writes them as .eml + .html files with the file mail backend.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import config as config_module
from demo.sitegen import PROJECT_CONFIG, SAMPLE_SITE
from store import open_store

SAMPLE_NEWEST_DAY = date(2026, 11, 23)
DEMO_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# where the mails' manage and unsubscribe links point unless `--serve` serves them
DEMO_PUBLIC_URL = "http://localhost:8080"
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TEXT_SUFFIXES = {".html", ".vnp", ".amp", ".xml", ".rss", ".txt", ".json"}

DEMO_CONFIG = """\
# Written by `vnawatch demo`: the three real spiders, pointed at the sample site.
database_url: sqlite:///{workdir}/vnawatch.db
timezone: Asia/Ho_Chi_Minh
crawl:
  contact_url: https://github.com/vnawatch/vnawatch
  download_delay_seconds: 0
  autothrottle: false
  timeout_seconds: 10
  retry_times: 1
  crawl_timeout_minutes: 5
sources:
  vietnamplus:
    name: VietnamPlus
    base_url: {site}/vietnamplus
    credit: VNA
    feeds: [{site}/vietnamplus/rss/home.rss]
    sitemaps: [{site}/vietnamplus/sitemaps/google-news.xml]
    listings: [{site}/vietnamplus/index.html]
    article_url_pattern: '(?:-post|/)(\\d+)\\.(?:vnp|amp)$'
{vietnamplus_selectors}
    backfill_days: 36500
  lecourrier:
    name: Le Courrier du Vietnam
    base_url: {site}/lecourrier
    credit: VNA/CVN
    sitemaps: [{site}/lecourrier/sitemap.xml]
    listings: [{site}/lecourrier/index.html]
    article_url_pattern: '/(\\d+)\\.html$'
{lecourrier_selectors}
    backfill_days: 36500
  vietnamillustre:
    name: Le Vietnam Illustré
    base_url: {site}/vietnamillustre/french
    credit: VNA/VI
    sitemaps: [{site}/vietnamillustre/french/sitemaps/news-11-2026.xml]
    listings: [{site}/vietnamillustre/french/tin-van/index.html]
    article_url_pattern: '/french/(?:[^/]+/)*[^/]*?[-/]?(\\d+)\\.html$'
{vietnamillustre_selectors}
    backfill_days: 36500
{watchlists_and_rules}
subscribers:
  - email: analyste@vnawatch.example
    name: Analyste (hebdomadaire)
    timezone: Asia/Ho_Chi_Minh
    frequency: weekly
    weekday: {weekday_hanoi}
    send_time: "00:00"
    rules: [to_lam, to_lam_chine, mer_orientale]
  - email: press.office@vnawatch.example
    name: Press office (weekly, English)
    language: en
    timezone: Europe/Paris
    frequency: weekly
    weekday: {weekday_paris}
    send_time: "00:00"
    rules: [vietnam_chine, frontiere]
mail:
  backend: file
  outbox_dir: {workdir}/outbox
  from_address: veille@vnawatch.example
  from_name: Veille VNA (démo)
  public_url: {public_url}
"""


@dataclass
class DemoResult:
    """What the demo did, for the CLI to print."""

    workdir: Path
    site_url: str = ""
    crawl_summary: str = ""
    articles: int = 0
    matches: int = 0
    mails: list[Path] = field(default_factory=list)  # written by this run
    # digests an earlier run in the same folder already wrote (not due again yet)
    earlier: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.mails or self.earlier)

    def describe(self) -> str:
        lines = [
            f"demo folder:  {self.workdir}",
            f"config:       {self.workdir / 'config.yaml'}",
            f"articles:     {self.articles} stored, {self.matches} matches",
            f"digests:      {self._digests_line()}",
            *(f"  {path}" for path in self.mails or self.earlier),
        ]
        if self.problems:
            lines += [f"problem: {problem}" for problem in self.problems]
        else:
            lines.append("open the .html files in a browser, or the .eml files in a mail client")
            lines.append(
                "`vnawatch demo --serve` keeps the sample site and the web app running, "
                "so the links in the digests answer"
            )
        return "\n".join(lines)

    def _digests_line(self) -> str:
        outbox = self.workdir / "outbox"
        if self.mails or not self.earlier:
            return f"{len(self.mails)} written to {outbox}"
        return (
            f"none written: an earlier run in this folder wrote these {len(self.earlier)}, "
            f"and the next ones are not due yet (remove {self.workdir} to start afresh)"
        )


def run_demo(
    workdir: Path,
    *,
    progress: Callable[[str], None] = lambda _: None,
    crawl_log_level: str | None = None,
    public_url: str = DEMO_PUBLIC_URL,
    then: Callable[[DemoResult, config_module.Config], None] | None = None,
) -> DemoResult:
    """Crawl the sample site, match, and write the digests into ``workdir/outbox``.

    ``crawl_log_level`` is the crawl process's log level (``crawler.run.crawl``);
    the mails' manage and unsubscribe links point under ``public_url``. ``then``
    runs while the sample site is still served (`vnawatch demo --serve` serves
    the web app there until Ctrl-C, so every link in the digests answers).
    """
    from demo.localsite import serve_directory

    workdir = workdir.resolve()
    result = DemoResult(workdir=workdir)
    now = datetime.now(UTC)
    site_dir = prepare_site(workdir / "site", now.astimezone(DEMO_ZONE).date())
    with serve_directory(site_dir) as site_url:
        result.site_url = site_url
        progress(f"sample site served at {site_url}")
        cfg = write_config(workdir, site_url, now, public_url)
        _pipeline(cfg, result, now, progress, crawl_log_level)
        if then is not None:
            then(result, cfg)
    return result


def _pipeline(
    cfg: config_module.Config,
    result: DemoResult,
    now: datetime,
    progress: Callable[[str], None],
    crawl_log_level: str | None = None,
) -> None:
    from alerts.jobs import match_new_articles, queue_due_digests, send_pending, sync_subscribers
    from crawler.run import crawl

    store = open_store(cfg.database_url)
    try:
        store.upgrade()
        sync_subscribers(store, cfg, now)
        progress("crawling the three sources with the real spiders…")
        report = crawl(cfg, log_level=crawl_log_level)
        result.crawl_summary = report.summary()
        for line in report.lines():
            progress(line)
        result.articles = store.count_articles()
        progress("matching the watch rules…")
        progress(str(match_new_articles(store, cfg, now=now)))
        result.matches = store.count_matches()
        progress("building and writing the digests…")
        outbox = Path(cfg.mail.outbox_dir)
        before = set(outbox.glob("*.eml")) if outbox.is_dir() else set()
        queued = queue_due_digests(store, cfg, now=now)
        progress(str(queued))
        progress(str(send_pending(store, cfg, now=now)))
    finally:
        store.close()
    written = set(outbox.glob("*.eml")) if outbox.is_dir() else set()
    result.mails = sorted(written - before)
    if queued.not_due:
        result.earlier = sorted(before)
    if not result.articles:
        result.problems.append("no article was stored; see the crawl log above")
    elif not result.mails and not result.earlier:
        result.problems.append("no digest was written; see the log above")


def prepare_site(target: Path, today: date) -> Path:
    """Copy the sample site, its dates moved so the newest sample day is yesterday."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SAMPLE_SITE, target)
    shift = (today - timedelta(days=1)) - SAMPLE_NEWEST_DAY
    for path in target.rglob("*"):
        if path.suffix in TEXT_SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            path.write_text(shift_dates(text, shift), encoding="utf-8", errors="surrogateescape")
    return target


def shift_dates(text: str, shift: timedelta) -> str:
    """Move the sample's dates (ISO, DD/MM/YYYY, RFC 822, French day-month) by ``shift``."""
    if not shift:
        return text

    def moved(year: int, month: int, day: int) -> date:
        return date(year, month, day) + shift

    def iso(m: re.Match[str]) -> str:
        return moved(int(m[1]), int(m[2]), int(m[3])).isoformat()

    def numeric(m: re.Match[str]) -> str:
        d = moved(int(m[3]), int(m[2]), int(m[1]))
        return f"{d.day:02d}/{d.month:02d}/{d.year}"

    def rfc822(m: re.Match[str]) -> str:
        d = moved(int(m[3]), MONTHS_EN.index(m[2]) + 1, int(m[1]))
        return f"{DAYS_EN[d.weekday()]}, {d.day:02d} {MONTHS_EN[d.month - 1]} {d.year}"

    def french(m: re.Match[str]) -> str:
        d = moved(2026, MONTHS_FR.index(m[2]) + 1, 1 if m[1] == "1er" else int(m[1]))
        return f"{'1er' if d.day == 1 else d.day} {MONTHS_FR[d.month - 1]}"

    text = re.sub(r"\b(20\d\d)-(\d\d)-(\d\d)", iso, text)
    text = re.sub(r"\b(\d{1,2})/(\d{1,2})/(20\d\d)\b", numeric, text)
    months = "|".join(MONTHS_EN)
    text = re.sub(rf"\b(?:{'|'.join(DAYS_EN)}), (\d\d) ({months}) (20\d\d)", rfc822, text)
    return re.sub(rf"\b(1er|\d{{1,2}}) ({'|'.join(MONTHS_FR)})\b", french, text)


def write_config(
    workdir: Path, site_url: str, now: datetime, public_url: str = DEMO_PUBLIC_URL
) -> config_module.Config:
    """The demo's config.yaml: shipped watchlists and rules, sources on the local site,
    and the mails' manage and unsubscribe links under ``public_url``."""
    shipped = config_module.load_config(PROJECT_CONFIG)
    local = now.astimezone(DEMO_ZONE)
    paris = now.astimezone(ZoneInfo("Europe/Paris"))
    text = DEMO_CONFIG.format(
        workdir=workdir.as_posix(),
        site=site_url.rstrip("/"),
        public_url=public_url,
        weekday_hanoi=WEEKDAYS[local.weekday()],
        weekday_paris=WEEKDAYS[paris.weekday()],
        watchlists_and_rules=_shipped_sections(shipped),
        **{f"{sid}_selectors": _selectors_yaml(shipped, sid) for sid in shipped.sources},
    )
    path = workdir / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return config_module.load_config(path)


def _selectors_yaml(shipped: config_module.Config, source_id: str) -> str:
    import yaml

    selectors = shipped.sources[source_id].selectors.model_dump(exclude_none=True)
    dumped = yaml.safe_dump({"selectors": selectors}, allow_unicode=True, sort_keys=False)
    return "\n".join("    " + line for line in dumped.splitlines())


def _shipped_sections(shipped: config_module.Config) -> str:
    import yaml

    data = shipped.model_dump(mode="json", include={"watchlists", "rules"}, exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
