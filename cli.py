"""The ``vnawatch`` command: parse, load config, act.

Data goes to stdout, messages to stderr. Exit codes: 0 ok, 1 runtime
failure, 2 usage or config error. Stage code is imported inside each
command so that ``vnawatch --help`` stays fast and a broken optional part
cannot break unrelated commands.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer

import config as config_module
from config import Config, ConfigError, shown_config
from crawler.logsetup import configure_logging
from store import Store, StoreError, open_store
from store.db import display_url

logger = logging.getLogger("vnawatch")

app = typer.Typer(
    help="Watch the French-language outlets of the Vietnam News Agency and mail what matters.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
rule_app = typer.Typer(help="Try watch rules against the stored archive.", no_args_is_help=True)
app.add_typer(rule_app, name="rule")
suppression_app = typer.Typer(
    help="The suppression list: addresses that get no mail, kept only as keyed hashes.",
    no_args_is_help=True,
)
app.add_typer(suppression_app, name="suppression")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="config file [default: $VNAWATCH_CONFIG or ./config.yaml]",
        show_default=False,
    ),
]


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


class ExportKind(StrEnum):
    articles = "articles"
    matches = "matches"


_global_config: Path | None = None
_global_log_level = "INFO"
# the long-running commands keep their INFO lines; the others print their own
# results and log only warnings and errors, unless -v or --log-level says more
SERVICE_COMMANDS = frozenset({"run", "web", "worker"})

VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="also show the crawl process's Scrapy log at --log-level [default: warnings only]",
    ),
]


@app.callback()
def main_options(
    ctx: typer.Context,
    config: ConfigOption = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="DEBUG, INFO, WARNING or ERROR [default: INFO for run, worker, web; else WARNING]",
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[LogFormat, typer.Option(help="text or json lines")] = LogFormat.text,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="log INFO lines too (what each stage did)")
    ] = False,
) -> None:
    """Options shared by every command."""
    global _global_config, _global_log_level
    _global_config = config
    _global_log_level = log_level or "INFO"
    if log_level is None:
        loud = verbose or ctx.invoked_subcommand in SERVICE_COMMANDS
        log_level = "INFO" if loud else "WARNING"
    configure_logging(log_level, json_lines=log_format is LogFormat.json)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load(path: Path | None) -> Config:
    """The validated config, or exit 2 with one line per problem."""
    try:
        return config_module.load_config(path or _global_config)
    except ConfigError as exc:
        from service.configwatch import config_problems

        for problem in config_problems(exc):  # every problem at once, rule queries too
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None


@contextmanager
def opened_store(cfg: Config, *, require_schema: bool = True) -> Iterator[Store]:
    """The configured database; exit 1 with the fix when it cannot be used."""
    try:
        store = open_store(cfg.database_url, create=not require_schema)
    except StoreError as exc:
        fail(str(exc))
    try:
        if require_schema:
            store.require_current()
        yield store
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()


def crawl_log_level(verbose: bool) -> str | None:
    """The crawl child's log level: --log-level with --verbose, else its default (WARNING)."""
    return _global_log_level if verbose else None


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_since(text: str) -> datetime:
    """'7d', '12h', '30m' or an ISO date/time, as an aware UTC instant."""
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    if text[:-1].isdigit() and text[-1:] in units:
        return now_utc() - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither a duration (7d, 12h) nor an ISO date"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def init(config: ConfigOption = None) -> None:
    """Create the database or upgrade it to the current schema."""
    cfg = load(config)
    from alerts.jobs import sync_subscribers

    with opened_store(cfg, require_schema=False) as store:
        before = store.schema_revision()
        try:
            store.upgrade()
        except Exception as exc:
            fail(f"cannot create the schema: {exc}")
        sync_subscribers(store, cfg, now_utc())
        after = store.schema_revision()
    state = "created" if before is None else ("upgraded" if before != after else "up to date")
    typer.echo(f"database {state} (schema {after}): {display_url(cfg.database_url)}", err=True)
    loaded = len(cfg.subscribers)
    typer.echo(f"{loaded} subscriber{'s' if loaded != 1 else ''} loaded from {cfg.path}", err=True)


@app.command("check-config")
def check_config(
    config: ConfigOption = None,
    show: Annotated[
        bool, typer.Option("--show", "--json", help="print what was understood, as JSON")
    ] = False,
) -> None:
    """Validate config.yaml and compile its rules: one verdict line, then warnings."""
    cfg = load(config)
    from service.configwatch import rule_problems

    problems = rule_problems(cfg)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2)
    verdict = (
        f"{cfg.path}: ok — {len(cfg.enabled_sources())} sources, {len(cfg.watchlists)} "
        f"watchlists, {len(cfg.rules)} rules, {len(cfg.subscribers)} subscribers"
    )
    if show:  # stdout stays pure JSON
        typer.echo(json.dumps(shown_config(cfg), ensure_ascii=False, indent=2))
    typer.echo(verdict, err=show)
    warn_broad_rules(cfg)


BROAD_RULE_SHARE = 0.3  # a rule matching more of the archive than this floods its readers
BROAD_RULE_MIN_ARTICLES = 20  # below this, a share says nothing
BROAD_RULE_DAYS = 30


def warn_broad_rules(cfg: Config) -> None:
    """Warn about rules that match a very large share of the recent stored archive."""
    try:  # checking a config must not create an empty SQLite file
        store = open_store(cfg.database_url, create=False)
    except StoreError:
        return  # no database yet: nothing to measure, and the config itself is fine
    try:
        store.require_current()
    except StoreError:
        store.close()
        return
    try:
        from alerts.matching import rule_shares

        since = now_utc() - timedelta(days=BROAD_RULE_DAYS)
        for share in rule_shares(store, cfg, since):
            if share.scanned >= BROAD_RULE_MIN_ARTICLES and share.fraction > BROAD_RULE_SHARE:
                typer.echo(
                    f"warning: rule {share.rule_id!r} matches {share.matched} of the "
                    f"{share.scanned} articles of the last {BROAD_RULE_DAYS} days "
                    f"({share.fraction:.0%}): too broad, its readers would get much of the news",
                    err=True,
                )
    finally:
        store.close()


@app.command()
def crawl(
    config: ConfigOption = None,
    source: Annotated[str | None, typer.Option(help="only this source id")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Collect new articles from the configured sources."""
    cfg = load(config)
    if source is not None and source not in cfg.sources:
        fail(f"unknown source {source!r}; configured: {', '.join(cfg.sources)}", 2)
    with opened_store(cfg):
        pass
    from crawler.run import crawl as run_crawl

    report = run_crawl(cfg, source, log_level=crawl_log_level(verbose))
    for line in report.lines():
        typer.echo(line, err=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def match(
    config: ConfigOption = None,
    rematch_since: Annotated[
        str | None, typer.Option(help="re-match articles published since (7d, 2026-11-01)")
    ] = None,
) -> None:
    """Match stored articles against the watch rules."""
    cfg = load(config)
    from alerts.jobs import match_new_articles
    from alerts.jobs import rematch_since as rematch

    with opened_store(cfg) as store:
        if rematch_since:
            report = rematch(store, cfg, parse_since(rematch_since), now=now_utc())
        else:
            report = match_new_articles(store, cfg, now=now_utc())
    typer.echo(str(report), err=True)


@app.command()
def digest(
    config: ConfigOption = None,
    send: Annotated[bool, typer.Option("--send", help="queue due digests and send")] = False,
    preview: Annotated[
        Path | None, typer.Option(help="render into this folder; send and record nothing")
    ] = None,
    subscriber: Annotated[str | None, typer.Option(help="only this subscriber's email")] = None,
) -> None:
    """Preview digests, or queue the due ones and send what is pending."""
    if send == (preview is not None):
        fail("give exactly one of --send or --preview DIR", 2)
    cfg = load(config)
    if subscriber and subscriber.lower() not in {s.email.lower() for s in cfg.subscribers}:
        fail(f"no subscriber {subscriber!r} in {cfg.path}", 2)
    from alerts.jobs import (
        preview_digests,
        queue_due_digests,
        send_while_queueing,
        sync_subscribers,
    )

    with opened_store(cfg) as store:
        now = now_utc()
        if preview is not None:
            paths = preview_digests(store, cfg, preview, now=now, subscriber=subscriber)
            for path in paths:
                typer.echo(str(path))
            typer.echo(f"{len(paths)} digest previews written to {preview}", err=True)
            return
        sync_subscribers(store, cfg, now)
        # sending starts with the first page queued, not after the last
        queued, sent = send_while_queueing(
            store,
            cfg,
            lambda committed: queue_due_digests(store, cfg, now=now, committed=committed),
            now=now,
        )
    typer.echo(f"{queued}; {sent}", err=True)


@app.command()
def run(
    config: ConfigOption = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="wait for a running scheduler to stop instead of failing")
    ] = False,
) -> None:
    """Run the scheduler: crawl, match, alert and digest on their timetables."""
    cfg = load(config)
    import scheduler

    with opened_store(cfg):
        pass
    raise typer.Exit(scheduler.run(cfg, wait=wait))


@app.command()
def worker(config: ConfigOption = None) -> None:
    """Send the outbox alongside the scheduler (PostgreSQL); run as many as you like."""
    cfg = load(config)
    from service import worker as sender

    try:
        sender.check_database(cfg)
    except sender.WorkerRefusedError as exc:
        fail(str(exc), 2)
    with opened_store(cfg):
        pass
    raise typer.Exit(sender.run(cfg))


@app.command()
def status(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Health of sources, outbox and config; exit 1 when something needs attention."""
    from service.health import collect_status, last_good_config, render_status

    problems: list[str] = []
    try:
        cfg = config_module.load_config(config or _global_config)
    except ConfigError as exc:
        problems = exc.problems
        for problem in problems:
            typer.echo(problem, err=True)
        path = config_module.config_path(config or _global_config)
        last_good = last_good_config(path)
        if last_good is None:
            if as_json:  # a monitor still gets JSON, with the reason in it
                typer.echo(unreadable_config_json(path, problems))
            raise typer.Exit(2) from None
        cfg = last_good  # the scheduler's view: it runs on the last good config
    if as_json:  # a monitor gets JSON even when the database cannot be used
        try:
            store = open_store(cfg.database_url, create=False)
            store.require_current()
        except StoreError as exc:
            typer.echo(str(exc), err=True)
            typer.echo(unusable_database_json(cfg.database_url, str(exc), problems))
            raise typer.Exit(1) from None
        store.close()
    with opened_store(cfg) as store:
        report = collect_status(store, cfg, now=now_utc(), config_problems=problems)
    typer.echo(report.to_json() if as_json else render_status(report))
    if problems:
        raise typer.Exit(2)
    if report.needs_attention:
        raise typer.Exit(1)


def unreadable_config_json(path: Path, problems: list[str]) -> str:
    """`status --json` when config.yaml cannot be loaded and no good copy is known."""
    report = {
        "config": {"path": str(path), "valid": False, "error": "; ".join(problems)},
        "needs_attention": True,
        "problems": problems,
    }
    return json.dumps(report, ensure_ascii=False, indent=2)


def unusable_database_json(url: str, error: str, problems: list[str]) -> str:
    """`status --json` when the database is missing, unreachable or not upgraded."""
    report = {
        "database": {"url": display_url(url), "usable": False, "error": error},
        "needs_attention": True,
        "problems": [*problems, error],
    }
    return json.dumps(report, ensure_ascii=False, indent=2)


@app.command()
def export(
    kind: Annotated[ExportKind, typer.Argument(help="articles or matches")],
    config: ConfigOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.jsonl,
    excel: Annotated[
        bool,
        typer.Option(
            "--excel",
            help="CSV that Excel opens as it is: UTF-8 with a BOM, ';', CRLF, local times",
        ),
    ] = False,
    since: Annotated[str | None, typer.Option(help="published since (7d, 2026-11-01)")] = None,
    until: Annotated[str | None, typer.Option(help="published before (1d, 2026-12-01)")] = None,
    source: Annotated[str | None, typer.Option(help="only this source id")] = None,
    rule: Annotated[str | None, typer.Option(help="only what this rule matched")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file [stdout]")] = None,
) -> None:
    """Write stored articles or matches as JSON lines, CSV or an Excel workbook, in a stable
    order; progress on stderr for large archives."""
    cfg = load(config)
    from store.export import ExportFilter, write_export

    fmt = "excel" if excel else format.value
    if excel and format is ExportFormat.xlsx:
        fail("--excel is a CSV for Excel; for a workbook use --format xlsx", 2)
    if fmt == "xlsx" and output is None:
        fail("--format xlsx writes a file: give --output FILE.xlsx", 2)
    if rule is not None and rule not in {r.id for r in cfg.rules}:
        fail(f"no rule {rule!r} in {cfg.path}", 2)
    only = ExportFilter(
        since=parse_since(since) if since else None,
        until=parse_since(until) if until else None,
        source=source,
        rule=rule,
    )

    def progress(count: int) -> None:
        typer.echo(f"… {count} {kind.value} exported", err=True)

    with opened_store(cfg) as store:
        if output is None:
            stream: IO[Any] = sys.stdout
        elif fmt == "xlsx":
            stream = output.open("wb")
        else:
            stream = output.open("w", encoding="utf-8", newline="")
        try:
            count = write_export(
                store, kind.value, fmt, stream, only=only, timezone=cfg.timezone, progress=progress
            )
        finally:
            if output:
                stream.close()
    typer.echo(f"{count} {kind.value} exported", err=True)


@rule_app.command("test")
def rule_test(
    query: Annotated[str, typer.Argument(help="a query in the rule language")],
    config: ConfigOption = None,
    since: Annotated[str, typer.Option(help="articles published since")] = "30d",
    limit: Annotated[int, typer.Option(help="articles to list")] = 20,
) -> None:
    """Show what QUERY matches among stored articles, per day, with highlights."""
    cfg = load(config)
    since_at = parse_since(since)
    from alerts.jobs import test_rule
    from alerts.query import RuleError

    with opened_store(cfg) as store:
        try:
            result = test_rule(store, cfg, query, since_at)
        except RuleError as exc:
            fail(str(exc), 2)
        if not store.count_articles():  # the query is fine; there is nothing to test it on
            fail(f"0 articles stored in {display_url(cfg.database_url)}; run `vnawatch crawl`")
    typer.echo(result.render(limit=limit))


@app.command()
def names(
    config: ConfigOption = None,
    since: Annotated[
        str, typer.Option(help="the window: published since (7d, 48h, a date)")
    ] = "7d",
    min_count: Annotated[int, typer.Option(help="articles a name needs in the window")] = 3,
    limit: Annotated[int, typer.Option(help="names to list")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text")] = False,
) -> None:
    """Rising proper names no watchlist covers, and unlisted spellings of watched ones."""
    cfg = load(config)
    now = now_utc()
    since_at = parse_since(since)
    if since_at >= now:
        fail(f"--since {since} is not in the past", 2)
    from alerts.rising import rising_names
    from alerts.rising_text import report_json, report_lines

    with opened_store(cfg) as store:
        report = rising_names(store, cfg, since_at, now, min_count=min_count, limit=limit)
    if report.articles + report.baseline_articles == 0:
        typer.echo(f"0 articles published since {report.baseline_start:%Y-%m-%d}", err=True)
    if as_json:
        typer.echo(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(report_lines(report)))


@rule_app.command("why")
def rule_why(
    rule_id: Annotated[str, typer.Argument(help="a rule id from config.yaml")],
    url: Annotated[str, typer.Argument(help="a stored article's URL")],
    config: ConfigOption = None,
) -> None:
    """Explain why a rule matched, or did not match, one stored article."""
    cfg = load(config)
    if rule_id not in {rule.id for rule in cfg.rules}:
        fail(f"no rule {rule_id!r} in {cfg.path}", 2)
    from alerts.jobs import explain_rule

    with opened_store(cfg) as store:
        lines = explain_rule(store, cfg, rule_id, url)
    if lines is None:
        fail(f"no stored article at {url}")
    for line in lines:
        typer.echo(line)


@app.command()
def trends(
    subject: Annotated[
        str | None, typer.Argument(help="a rule id or a watchlist entity id (rule:ID, entity:ID)")
    ] = None,
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=3660, help="days shown, to today")] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="the numbers as JSON")] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="recount every stored article (after alias edits)")
    ] = False,
) -> None:
    """Articles per day of one rule or entity: a sparkline and the numbers."""
    cfg = load(config)
    from alerts.sparkline import UnknownSubjectError, render_trend, subject_series, trend_json
    from alerts.trends import rebuild_trends

    if subject is None and not rebuild:
        fail("name a rule or an entity, or give --rebuild", 2)
    with opened_store(cfg) as store:
        if rebuild:
            typer.echo(str(rebuild_trends(store, cfg, now_utc())), err=True)
        if subject is None:
            return
        try:
            found, series = subject_series(store, cfg, subject, days=days, now=now_utc())
        except UnknownSubjectError as exc:
            fail(str(exc), 2)
        if not store.count_articles():
            typer.echo(f"0 articles stored in {display_url(cfg.database_url)}", err=True)
    if as_json:
        typer.echo(json.dumps(trend_json(found, series, cfg.timezone), ensure_ascii=False))
    else:
        typer.echo(render_trend(found, series, cfg.timezone))


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="where the demo writes its database and mail")
    ] = Path("demo-output"),
    verbose: VerboseOption = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="then keep the sample site and the web app running, so every link in the "
            "digests answers; Ctrl-C stops",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="the web app's port with --serve [any free]")] = 0,
) -> None:
    """Run the whole pipeline offline against the bundled sample site."""
    from demo.run import DEMO_PUBLIC_URL, DemoResult, run_demo

    if not verbose:
        # the progress lines tell the story; each stage's INFO log would repeat them
        root = logging.getLogger()
        root.setLevel(max(root.level, logging.WARNING))
    port = port or (free_port() if serve else 0)
    public_url = f"http://127.0.0.1:{port}" if serve else DEMO_PUBLIC_URL

    def serve_links(result: DemoResult, cfg: Config) -> None:
        typer.echo(result.describe())
        typer.echo(
            f"serving the sample site at {result.site_url}/ and the web app at {public_url}/ "
            "(the digests' links point there); Ctrl-C stops",
            err=True,
        )
        serve_web(cfg, "127.0.0.1", port)

    result = run_demo(
        directory,
        progress=lambda line: typer.echo(line, err=True),
        crawl_log_level=crawl_log_level(verbose),
        public_url=public_url,
        then=serve_links if serve else None,
    )
    if not serve:
        typer.echo(result.describe())
    if not result.ok:
        raise typer.Exit(1)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@app.command()
def web(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="address to listen on (config web.host)")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on (config web.port)")] = None,
) -> None:
    """Serve the subscription pages and the operator view (uvicorn)."""
    cfg = load(config)
    serve_web(cfg, host or cfg.web.host, port or cfg.web.port)


def serve_web(cfg: Config, host: str, port: int) -> None:
    """The web app over ``cfg``'s database until Ctrl-C or SIGTERM."""
    import uvicorn

    from web.app import create_app

    with opened_store(cfg) as store:
        uvicorn.run(
            create_app(cfg, store), host=host, port=port, proxy_headers=True, log_config=None
        )


@suppression_app.command("list")
def suppression_list(config: ConfigOption = None) -> None:
    """Counts per reason, then each entry's hash, reason and date (no address is kept)."""
    from collections import Counter

    cfg = load(config)
    with opened_store(cfg) as store:
        entries = store.suppressions()
    counts = Counter(entry.reason for entry in entries)
    summary = ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items()))
    typer.echo(f"{len(entries)} suppressed" + (f" ({summary})" if summary else ""))
    for entry in entries:
        typer.echo(f"{entry.address_hash}  {entry.reason:<12} {entry.created_at:%Y-%m-%d %H:%M}")


@suppression_app.command("lift")
def suppression_lift(
    email: Annotated[str, typer.Argument(help="the address to mail again")],
    config: ConfigOption = None,
) -> None:
    """Take an address off the list, so sign-ups, the config sync and sends accept it again."""
    from alerts.suppression import lift

    cfg = load(config)
    with opened_store(cfg) as store:
        lifted = lift(store, email)
    if lifted is None:
        fail(f"{email} is not on the suppression list")
    typer.echo(
        f"lifted: {email} (suppressed since {lifted.created_at:%Y-%m-%d %H:%M}, "
        f"reason {lifted.reason})"
    )


@app.command("feed-url")
def feed_url_command(
    rule: Annotated[str, typer.Option("--rule", help="the rule id (config.yaml or web)")],
    renew: Annotated[
        bool, typer.Option("--renew", help="make new links; the earlier ones answer 404")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print the signed Atom and JSON feed URLs of one rule, for an operator's reader."""
    from alerts.feed import rule_feed_url
    from alerts.subscriptions import with_stored_rules
    from alerts.tokens import secret_key

    cfg = load(config)
    with opened_store(cfg) as store:
        if rule not in {r.id for r in with_stored_rules(store, cfg).rules}:
            fail(f"no rule {rule!r} in {cfg.path} or among the web subscribers' rules", 2)
        nonce = store.rule_feed_nonce(rule, now_utc(), renew=renew)
    key = secret_key()
    for kind in ("atom.xml", "feed.json"):
        typer.echo(rule_feed_url(cfg.mail.public_url, rule, nonce, key, kind))
    if renew:
        typer.echo(f"new links for rule {rule}: the earlier ones no longer work", err=True)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
