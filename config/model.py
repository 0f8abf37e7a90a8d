"""The whole of config.yaml as one model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import EmailStr, Field

from config.base import DEFAULT_TIMEZONE, Identifier, Model, TimeZoneName
from config.secrets import redact_channel
from config.settings import (
    ChannelSettings,
    Mail,
    SchedulerSettings,
    Spikes,
    Subscriber,
    WebSettings,
)
from config.sources import Crawl, Source
from config.watchlists import Rule, Watchlist


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
    spikes: Spikes = Spikes()
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


def is_sqlite(database_url: str) -> bool:
    """True for a SQLite URL (``sqlite:///…``, ``sqlite+pysqlite://…``)."""
    return database_url.strip().lower().startswith("sqlite")
