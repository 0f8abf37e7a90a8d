"""Configuration: load and validate ``config.yaml`` into one typed model.

Every entry point (the CLI, the scheduler, the crawler's child process) calls
:func:`load_config`. Unknown keys are errors, and every error names the file,
the line and the key, e.g.
``config.yaml:42: subscribers[1].timezone: unknown time zone 'Asia/Hanoi2'``.
Secrets come from the environment only: ``VNAWATCH_DATABASE_URL`` overrides
``database_url`` and ``VNAWATCH_SMTP_PASSWORD`` is the SMTP password.

This module imports nothing of the project, so every stage may import it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG_PATH = Path("config.yaml")
CONFIG_ENV = "VNAWATCH_CONFIG"
DATABASE_URL_ENV = "VNAWATCH_DATABASE_URL"
SMTP_PASSWORD_ENV = "VNAWATCH_SMTP_PASSWORD"
SECRET_KEY_ENV = "VNAWATCH_SECRET_KEY"
WEB_PASSWORD_ENV = "VNAWATCH_WEB_PASSWORD"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
# how a rule query names a watchlist (``@leaders``) and an entity (``entity:to_lam``)
WATCHLIST_SIGIL = "@"
ENTITY_FIELD = "entity"
WATCHLIST_REFERENCE = re.compile(re.escape(WATCHLIST_SIGIL) + r"([A-Za-z_]\w*)")
ENTITY_REFERENCE = re.compile(rf"\b{ENTITY_FIELD}:([A-Za-z_]\w*)")


class ConfigError(Exception):
    """config.yaml cannot be used; ``problems`` holds one line per error.

    ``rules_config``, when set, is a config holding the file's rules and
    watchlists (valid although something else is not), so that their queries
    can be checked in the same pass; ``flagged_rules`` already have a problem.
    """

    def __init__(
        self,
        problems: list[str],
        *,
        rules_config: Config | None = None,
        flagged_rules: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.rules_config = rules_config
        self.flagged_rules = flagged_rules


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_channel(url: str) -> str:
    """A channel URL with each ``${VAR}`` taken from the environment; Apprise must know it.

    Messages never repeat the URL (a secret): only its scheme and the variable's name.
    """

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set (used in a channel URL)")
        return os.environ[name]

    expanded = _ENV_REFERENCE.sub(value, url.strip())
    if not is_channel_url(expanded):
        scheme = expanded.split("://", 1)[0] if "://" in expanded else ""
        shown = f"a {scheme}:// URL" if scheme.isalnum() else "this value"
        raise ValueError(
            f"{shown} is not a channel Apprise recognises "
            "(see https://appriseit.com/services/ for the URL forms)"
        )
    return expanded


def is_channel_url(url: str) -> bool:
    """Whether Apprise knows how to notify ``url`` (imported here: errors keep their line)."""
    import apprise  # here, so that only configs with channels pay for the import

    with redacted_logs([url]):  # Apprise logs the whole URL it loads
        return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None


_URL_PART = re.compile(r"[/:@?&=#,;+\s]+")
# parts of a channel URL this short are scheme words or ports, not secrets
_SECRET_PART_MIN = 4


def redact_channel(url: str) -> str:
    """A channel URL as logs, status, views and exports show it: scheme and fingerprint.

    The fingerprint (8 hex digits of a SHA-256) tells two channels apart
    without revealing the tokens an Apprise URL carries in its host, path or query.
    """
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return f"{scheme if scheme.isalnum() else '?'}://[redacted {digest}]"


def redact_secrets(text: str, urls: Iterable[str]) -> str:
    """``text`` (an error, a log line) with every channel URL and each of its parts redacted.

    Services echo parts of the URL (a host, a path) in their errors, so each
    part long enough to be a token is replaced too, raw and percent-decoded.
    """
    for url in urls:
        text = text.replace(url, redact_channel(url))
        rest = url.split("://", 1)[-1]
        parts = {p for p in _URL_PART.split(rest) if len(p) >= _SECRET_PART_MIN}
        parts |= {unquote(p) for p in parts}
        for part in sorted(parts, key=len, reverse=True):
            text = text.replace(part, "[redacted]")
    return text


# the loggers that print a channel URL, or parts of it, while Apprise loads or sends it
CHANNEL_LOGGERS = ("apprise", "urllib3.connectionpool")


class _RedactFilter(logging.Filter):
    """Rewrites a record's message with the given URLs and their parts redacted."""

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__()
        self.urls = list(urls)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_secrets(record.getMessage(), self.urls)
        record.args = None
        return True


@contextmanager
def redacted_logs(urls: Sequence[str]) -> Iterator[None]:
    """While inside, what Apprise and urllib3 log has ``urls`` redacted (they log hosts, paths)."""
    redactor = _RedactFilter(urls)
    loggers = [logging.getLogger(name) for name in CHANNEL_LOGGERS]
    for each in loggers:
        each.addFilter(redactor)
    try:
        yield
    finally:
        for each in loggers:
            each.removeFilter(redactor)


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
ChannelUrl = Annotated[str, AfterValidator(_expand_channel)]
Regex = Annotated[str, AfterValidator(_check_regex)]
Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=64)]


class Model(BaseModel):
    """Base of every config section: strict about unknown keys, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Selectors(Model):
    """Per-source CSS selectors, tried after page metadata and before the generic extractor."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    published_at: str | None = None
    section: str | None = None
    captions: str | None = None
    listing_links: str | None = None
    next_page: str | None = None


class Source(Model):
    """One outlet. Every URL is config, so a local copy on 127.0.0.1 is a config edit."""

    name: str
    base_url: str
    enabled: bool = True
    language: str = "fr"
    credit: str = Field(description="default credit when the page names none, e.g. VNA")
    feeds: list[str] = []
    sitemaps: list[str] = Field(
        default=[],
        description="sitemap URLs; {year} and {month} expand to the current and previous month",
    )
    listings: list[str] = []
    max_listing_pages: int = Field(default=3, ge=1, le=100)
    article_url_pattern: Regex = Field(description="regex whose first group is the article id")
    canonical_url: str | None = Field(
        default=None,
        description="template for the canonical URL, e.g. {base_url}/{slug}-post{id}.vnp",
    )
    selectors: Selectors = Selectors()
    interval_minutes: int = Field(default=30, ge=1)
    backfill_days: int = Field(
        default=2,
        ge=0,
        description="on the first crawl, articles older than this are recorded as already seen",
    )

    @field_validator("base_url", "feeds", "sitemaps", "listings")
    @classmethod
    def _http_urls(cls, value: str | list[str]) -> str | list[str]:
        for url in [value] if isinstance(value, str) else value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return value

    @field_validator("article_url_pattern")
    @classmethod
    def _has_id_group(cls, pattern: str) -> str:
        if re.compile(pattern).groups < 1:
            raise ValueError("the pattern needs a group capturing the article id")
        return pattern


class Crawl(Model):
    """Politeness and limits shared by every source."""

    user_agent: str = "vnawatch/0.1 (+{contact_url})"
    contact_url: str = "https://github.com/vnawatch/vnawatch"
    obey_robots_txt: bool = True
    concurrent_requests_per_host: int = Field(default=2, ge=1, le=8)
    download_delay_seconds: float = Field(default=1.0, ge=0)
    autothrottle: bool = True
    timeout_seconds: int = Field(default=30, ge=1)
    max_page_bytes: int = Field(default=5_000_000, ge=10_000)
    retry_times: int = Field(default=3, ge=0)
    # first wait before retrying a 429/5xx without Retry-After; doubled per attempt
    retry_backoff_seconds: float = Field(default=2.0, ge=0)
    crawl_timeout_minutes: int = Field(default=30, ge=1)
    http_cache_dir: str | None = None

    @property
    def full_user_agent(self) -> str:
        return self.user_agent.format(contact_url=self.contact_url)


class Office(Model):
    """An office an entity held, so a rule can match the title on the right dates."""

    title: str
    aliases: list[str] = []
    since: date | None = None
    until: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Office:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until is before since")
        return self


class Entity(Model):
    """A person or organisation with every spelling a subscriber expects to catch."""

    id: Identifier
    name: str
    aliases: list[str] = []
    abbreviations: list[str] = []
    offices: list[Office] = []

    @property
    def spellings(self) -> list[str]:
        return [self.name, *self.aliases, *self.abbreviations]


class Watchlist(Model):
    """A named list of entities usable in rules as ``@<id>``."""

    id: Identifier
    name: str
    entities: list[Entity]


class Rule(Model):
    """A watch rule: a query in the rule language (docs/rules.md)."""

    id: Identifier
    name: str
    query: str = Field(min_length=1, max_length=4000)

    @property
    def references(self) -> QueryReferences:
        return query_references(self.query)


class QueryReferences(NamedTuple):
    """The watchlist and entity ids a rule query names, in the order written."""

    watchlists: tuple[str, ...]
    entities: tuple[str, ...]


def query_references(query: str) -> QueryReferences:
    """``@list`` and ``entity:id`` references in a rule query, found as the parser
    (alerts.query) reads them; the one place that knows the two forms."""
    return QueryReferences(
        tuple(WATCHLIST_REFERENCE.findall(query)), tuple(ENTITY_REFERENCE.findall(query))
    )


class Subscriber(Model):
    """Someone who receives digests or alerts."""

    email: EmailStr
    name: str = ""
    language: Literal["fr", "en"] = "fr"
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    frequency: Literal["immediate", "daily", "weekly"] = "daily"
    send_time: time = time(7, 0)
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    rules: list[str] = Field(min_length=1)
    # rules of ``rules`` the subscriber paused: nothing of theirs is mailed meanwhile
    paused_rules: list[str] = []
    send_empty: bool = False
    active: bool = True
    # Apprise URLs (chat, webhooks): secrets, so ``${VAR}`` may take them from the environment
    channels: list[ChannelUrl] = Field(default=[], repr=False)
    # False: the channels only, no email (the address still identifies the subscriber)
    email_delivery: bool = True

    @model_validator(mode="after")
    def _reachable(self) -> Subscriber:
        if not self.email_delivery and not self.channels:
            raise ValueError("email_delivery: false needs at least one entry in channels")
        return self


class Mail(Model):
    """Outgoing mail: the file backend writes .eml files, the smtp backend sends them."""

    backend: Literal["file", "smtp"] = "file"
    outbox_dir: str = "outbox"
    from_address: EmailStr = "veille@vnawatch.example"
    from_name: str = "Veille VNA"
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    tls: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    timeout_seconds: float = Field(default=30, gt=0)
    public_url: str = Field(
        default="http://localhost:8080",
        description="where the web app answers; used for unsubscribe links",
    )
    immediate_min_interval_minutes: int = Field(default=10, ge=0)
    connections: int = Field(
        default=4, ge=1, le=64, description="SMTP connections a sender uses at once"
    )
    claim_lease_seconds: float = Field(
        default=120,
        ge=1,
        description="how long a sender holds the rows it claimed; renewed while it sends",
    )

    @property
    def password(self) -> str | None:
        return os.environ.get(SMTP_PASSWORD_ENV)


class ChannelSettings(Model):
    """Chat and webhook notifications (Apprise) from the outbox."""

    max_attempts: int = Field(default=8, ge=1, description="then the row is marked failed")
    timeout_seconds: float = Field(default=20, gt=0, description="one notification's deadline")


class WebSettings(Model):
    """`vnawatch web`: the subscription pages and the operator view."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    operator_user: str = Field(default="admin", min_length=1)
    confirm_hours: float = Field(default=48, gt=0, description="confirmation link lifetime")
    max_query_length: int = Field(default=500, ge=10, le=4000)
    subscribe_per_address_hour: int = Field(default=3, ge=1)
    subscribe_per_ip_hour: int = Field(default=20, ge=1)
    preview_per_ip_minute: int = Field(default=60, ge=1)


class SchedulerSettings(Model):
    """How `vnawatch run` behaves: reload, health checks, locking, shutdown."""

    reload_seconds: float = Field(default=5, gt=0, description="how often config.yaml is checked")
    health_minutes: float = Field(default=10, gt=0)
    housekeeping_time: time = time(3, 30)
    crawl_jitter_seconds: int = Field(default=120, ge=0)
    send_retry_seconds: float = Field(default=60, gt=0)
    rematch_days: int = Field(default=7, ge=0, description="re-match window after a rule edit")
    lock_lease_seconds: float = Field(default=60, ge=1)
    shutdown_grace_seconds: float = Field(default=30, ge=0)
    unhealthy_failures: int = Field(default=3, ge=1, description="crawl failures in a row")
    unhealthy_silent_hours: float = Field(default=12, gt=0)
    unhealthy_empty_extractions: int = Field(default=5, ge=1)
    send: Literal["scheduler", "workers"] = Field(
        default="scheduler",
        description="who sends the outbox: this process, or `vnawatch worker` (PostgreSQL)",
    )
    worker_idle_seconds: float = Field(
        default=2, gt=0, description="how long an idle `vnawatch worker` waits between looks"
    )


class Config(Model):
    """The whole of config.yaml."""

    database_url: str = "sqlite:///vnawatch.db"
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    crawl: Crawl = Crawl()
    sources: dict[Identifier, Source]
    watchlists: list[Watchlist] = []
    rules: list[Rule] = []
    subscribers: list[Subscriber] = []
    mail: Mail = Mail()
    channels: ChannelSettings = ChannelSettings()
    operators: list[EmailStr] = []
    retention_days: int = Field(default=730, ge=1)
    scheduler: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    path: Path | None = Field(default=None, exclude=True)

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.rules if rule.id == rule_id)

    def enabled_sources(self) -> dict[str, Source]:
        return {key: source for key, source in self.sources.items() if source.enabled}


def shown_config(config: Config) -> dict[str, Any]:
    """The config as `check-config --show` prints it: JSON-ready, channel URLs redacted."""
    data = config.model_dump(mode="json", exclude={"path"})
    for subscriber in data["subscribers"]:
        subscriber["channels"] = [redact_channel(url) for url in subscriber["channels"]]
    return data


def article_id_from_url(url: str, pattern: str) -> str | None:
    """The outlet's numeric id in ``url`` (first group of ``pattern``), or None.

    The path is unquoted first, so percent-encoded slugs compare equal; the
    scheme, query and fragment do not matter.
    """
    path = unquote(urlsplit(url.strip()).path)
    match = re.search(pattern, path)
    return match.group(1) if match else None


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: the argument, else $VNAWATCH_CONFIG, else ./config.yaml."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read, parse and validate a config file; raise ConfigError with file:line messages."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read the config file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{file}: not UTF-8 text: {exc.reason}"]) from None
    return parse_config(text, file)


def parse_config(text: str, file: Path) -> Config:
    """Validate config text; ``file`` is only used in messages and kept as ``Config.path``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([_yaml_problem(file, exc, text)]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{file}:1: the file must hold a mapping of settings"])
    env_url = os.environ.get(DATABASE_URL_ENV)
    if env_url:
        data["database_url"] = env_url
    try:
        config = Config.model_validate({**data, "path": file})
    except ValidationError as exc:
        problems = [_pydantic_problem(file, root, err) for err in exc.errors()]
        rules_only = _rules_only(data, file)
        if rules_only is None:
            raise ConfigError(problems) from None
        raise _reference_error(file, root, rules_only, problems) from None
    if _reference_problems(config):
        raise _reference_error(file, root, config, [])
    return config


def _rules_only(data: dict[str, Any], file: Path) -> Config | None:
    """The file's watchlists and rules alone, when they are valid though the rest is not."""
    try:
        sections = {key: data[key] for key in ("watchlists", "rules") if key in data}
        return Config.model_validate({"sources": {}, **sections, "path": file})
    except ValidationError:
        return None


def _reference_error(
    file: Path, root: yaml.Node | None, config: Config, problems: list[str]
) -> ConfigError:
    """Every problem so far plus the cross-reference ones, with the rules to check further."""
    found = _reference_problems(config)
    flagged = frozenset(config.rules[loc[1]].id for loc, _ in found if loc[0] == "rules")  # type: ignore[index]
    located = [locate(file, root, loc, msg) for loc, msg in found]
    return ConfigError(problems + located, rules_config=config, flagged_rules=flagged)


Problem = tuple[tuple[str | int, ...], str]


def _reference_problems(config: Config) -> list[Problem]:
    """Cross-references pydantic cannot see: ids unique, rules and watchlists that exist."""
    problems = _duplicate_ids(config)
    rule_ids = {rule.id for rule in config.rules}
    watchlists = {w.id for w in config.watchlists}
    entities = {e.id for w in config.watchlists for e in w.entities}
    for i, rule in enumerate(config.rules):
        references = rule.references
        for name in references.watchlists:
            if name not in watchlists:
                problems.append((("rules", i, "query"), f"unknown watchlist '@{name}'"))
        for name in references.entities:
            if name not in entities:
                problems.append((("rules", i, "query"), f"unknown entity {name!r}"))
    for i, subscriber in enumerate(config.subscribers):
        for j, rule_id in enumerate(subscriber.rules):
            if rule_id not in rule_ids:
                problems.append((("subscribers", i, "rules", j), f"unknown rule {rule_id!r}"))
        for j, rule_id in enumerate(subscriber.paused_rules):
            if rule_id not in subscriber.rules:
                mine = ", ".join(subscriber.rules)
                problems.append(
                    (
                        ("subscribers", i, "paused_rules", j),
                        f"{rule_id!r} is not one of this subscriber's rules ({mine})",
                    )
                )
    if config.scheduler.send == "workers" and is_sqlite(config.database_url):
        problems.append((("scheduler", "send"), WORKERS_NEED_POSTGRES))
    return problems


WORKERS_NEED_POSTGRES = (
    "'workers' needs PostgreSQL: on SQLite the scheduler sends the mail itself, in its one "
    "process; remove this key, or set database_url to a postgresql+psycopg:// URL"
)


def is_sqlite(database_url: str) -> bool:
    """True for a SQLite URL (``sqlite:///…``, ``sqlite+pysqlite://…``)."""
    return database_url.strip().lower().startswith("sqlite")


def _duplicate_ids(config: Config) -> list[Problem]:
    groups: list[tuple[str, list[tuple[tuple[str | int, ...], str]]]] = [
        ("rule", [(("rules", i, "id"), r.id) for i, r in enumerate(config.rules)]),
        ("watchlist", [(("watchlists", i, "id"), w.id) for i, w in enumerate(config.watchlists)]),
        (
            "entity",
            [
                (("watchlists", i, "entities", j, "id"), e.id)
                for i, w in enumerate(config.watchlists)
                for j, e in enumerate(w.entities)
            ],
        ),
        (
            "subscriber",
            [
                (("subscribers", i, "email"), s.email.lower())
                for i, s in enumerate(config.subscribers)
            ],
        ),
    ]
    problems: list[Problem] = []
    for label, items in groups:
        seen: set[str] = set()
        for loc, value in items:
            if value in seen:
                problems.append((loc, f"duplicate {label} id {value!r}"))
            seen.add(value)
    return problems


def compose_file(file: Path) -> yaml.Node | None:
    """The YAML node tree of a config file, for :func:`locate`; None when unreadable."""
    try:
        return yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def locate(file: Path, root: yaml.Node | None, loc: tuple[str | int, ...], msg: str) -> str:
    """``file:line: key.path: msg`` for the node at ``loc`` (as deep as the file goes)."""
    node, key_path = _node_at(root, list(loc))
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    where = f" {key_path}:" if key_path else ""
    return f"{file}{line}:{where} {msg}"


def _yaml_problem(file: Path, exc: yaml.YAMLError, text: str) -> str:
    """A YAML error in the operator's terms, at the line to fix."""
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    if mark is None:
        return f"{file}: not valid YAML: {problem}"
    lines = text.splitlines()
    number = mark.line + 1
    written = lines[mark.line] if mark.line < len(lines) else ""
    advice = _yaml_advice(problem, written)
    if advice == INDENT_ADVICE:
        number = _written_line(lines, mark.line)
    return f"{file}:{number}: {advice or f'not valid YAML: {problem}'}"


TAB_ADVICE = "a tab character: YAML indents with spaces only; replace the tab with spaces"
AT_ADVICE = (
    "a value starting with '@' must be quoted: put the whole query in single quotes, "
    "e.g. query: '@dirigeants_vn AND Chine'"
)
QUOTE_ADVICE = (
    "a value that starts with a quote but goes on after it must be quoted whole: put the "
    "whole query in single quotes, e.g. query: '\"Tô Lâm\" AND Chine'"
)
INDENT_ADVICE = (
    "this line is not indented like the lines around it: align it with the other keys of "
    "the same item (spaces only)"
)


def _yaml_advice(problem: str, written: str) -> str | None:
    """What to do about the usual slips; None for the others."""
    if "'\\t'" in problem or "\t" in written[: len(written) - len(written.lstrip())]:
        return TAB_ADVICE
    if "character '@'" in problem:
        return AT_ADVICE
    if "found '<scalar>'" in problem and re.search(r":\s+[\"'][^\"']*[\"']\s*\S", written):
        return QUOTE_ADVICE
    if "expected <block end>" in problem or "mapping values are not allowed" in problem:
        return INDENT_ADVICE
    return None


def _written_line(lines: list[str], index: int) -> int:
    """The 1-based number of the first line with content at or after ``index``."""
    for number in range(index, len(lines)):
        if lines[number].strip() and not lines[number].lstrip().startswith("#"):
            return number + 1
    return index + 1


def _pydantic_problem(file: Path, root: yaml.Node | None, error: Any) -> str:
    loc = tuple(part for part in error["loc"] if part != "path")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return locate(file, root, loc, message)


def _node_at(root: yaml.Node | None, loc: list[Any]) -> tuple[yaml.Node | None, str]:
    """The deepest YAML node along a pydantic error location, and the dotted key path."""
    node = root
    path = ""
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return node, path


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                # the key's own line is more useful than the value's for a bad key
                return key if isinstance(value, yaml.ScalarNode) and value.value == "" else value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
