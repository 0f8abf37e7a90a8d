"""Config sections: subscribers, mail, channels, the web app, the scheduler."""

from __future__ import annotations

import os
from datetime import time
from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, model_validator

from config.base import DEFAULT_TIMEZONE, SMTP_PASSWORD_ENV, Model, TimeZoneName
from config.secrets import _expand_channel

ChannelUrl = Annotated[str, AfterValidator(_expand_channel)]


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
    # True: also an alert when one of their rules is far above its usual level (``spikes:``)
    spike_alerts: bool = False

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


class Spikes(Model):
    """When a rule's day is a spike (alerts.spikes; docs/spikes.md has worked numbers)."""

    sensitivity: float = Field(
        default=0.001,
        gt=0,
        lt=1,
        description="largest Poisson tail P(X >= count) that is a spike: smaller is stricter",
    )
    min_count: int = Field(default=5, ge=1, description="fewer articles in a day: never a spike")
    min_ratio: float = Field(default=2.0, ge=1, description="times the usual level, at least")
    check_minutes: float = Field(default=30, gt=0, description="how often the scheduler looks")


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
    unhealthy_bodiless_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="above this share of a crawl's pages stored without a body, operators are told",
    )
    send: Literal["scheduler", "workers"] = Field(
        default="scheduler",
        description="who sends the outbox: this process, or `vnawatch worker` (PostgreSQL)",
    )
    worker_idle_seconds: float = Field(
        default=2, gt=0, description="how long an idle `vnawatch worker` waits between looks"
    )
    # `vnawatch status` counts a sender gone after 3 minutes without one
    heartbeat_seconds: float = Field(
        default=10,
        gt=0,
        le=60,
        description="how often a `vnawatch worker` tells `vnawatch status` it lives, mid-batch too",
    )
