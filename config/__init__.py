"""Configuration: load and validate ``config.yaml`` into one typed model.

Every entry point (the CLI, the scheduler, the crawler's child process) calls
:func:`load_config`. Unknown keys are errors, and every error names the file,
the line and the key, e.g.
``config.yaml:42: subscribers[1].timezone: unknown time zone 'Asia/Hanoi2'``.
Secrets come from the environment only: ``VNAWATCH_DATABASE_URL`` overrides
``database_url`` and ``VNAWATCH_SMTP_PASSWORD`` is the SMTP password.

The package imports nothing of the project, so every stage may import it.
One module a concern, the names below are its public face:

- ``base``: constants, field types, the strict base model;
- ``sources``, ``watchlists``, ``settings``: the sections of config.yaml;
- ``model``: :class:`Config`, the whole file;
- ``secrets``: channel URLs (``${VAR}`` expansion, redaction in text and logs);
- ``loading``: :func:`load_config`, :class:`ConfigError`, the cross-reference checks;
- ``locate``: ``file:line: key: message`` for a problem, advice for YAML slips.
"""

from __future__ import annotations

from config.base import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
    DEFAULT_CONFIG_PATH,
    DEFAULT_TIMEZONE,
    ENTITY_FIELD,
    ENTITY_REFERENCE,
    IDENTIFIER,
    SECRET_KEY_ENV,
    SMTP_PASSWORD_ENV,
    WATCHLIST_REFERENCE,
    WATCHLIST_SIGIL,
    WEB_PASSWORD_ENV,
    Identifier,
    Model,
    Regex,
    TimeZoneName,
)
from config.loading import (
    WORKERS_NEED_POSTGRES,
    ConfigError,
    Problem,
    config_path,
    load_config,
    parse_config,
)
from config.locate import compose_file, locate
from config.model import Config, is_sqlite, shown_config
from config.secrets import (
    CHANNEL_LOGGERS,
    is_channel_url,
    redact_channel,
    redact_secrets,
    redacted_logs,
)
from config.settings import (
    ChannelSettings,
    ChannelUrl,
    Mail,
    SchedulerSettings,
    Spikes,
    Subscriber,
    WebSettings,
)
from config.sources import Crawl, Selectors, Source, article_id_from_url
from config.watchlists import Entity, Office, QueryReferences, Rule, Watchlist, query_references

__all__ = [
    "CHANNEL_LOGGERS",
    "CONFIG_ENV",
    "DATABASE_URL_ENV",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_TIMEZONE",
    "ENTITY_FIELD",
    "ENTITY_REFERENCE",
    "IDENTIFIER",
    "SECRET_KEY_ENV",
    "SMTP_PASSWORD_ENV",
    "WATCHLIST_REFERENCE",
    "WATCHLIST_SIGIL",
    "WEB_PASSWORD_ENV",
    "WORKERS_NEED_POSTGRES",
    "ChannelSettings",
    "ChannelUrl",
    "Config",
    "ConfigError",
    "Crawl",
    "Entity",
    "Identifier",
    "Mail",
    "Model",
    "Office",
    "Problem",
    "QueryReferences",
    "Regex",
    "Rule",
    "SchedulerSettings",
    "Selectors",
    "Source",
    "Spikes",
    "Subscriber",
    "TimeZoneName",
    "Watchlist",
    "WebSettings",
    "article_id_from_url",
    "compose_file",
    "config_path",
    "is_channel_url",
    "is_sqlite",
    "load_config",
    "locate",
    "parse_config",
    "query_references",
    "redact_channel",
    "redact_secrets",
    "redacted_logs",
    "shown_config",
]
