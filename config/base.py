"""Shared pieces of the config model: constants, field types, the strict base model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
Regex = Annotated[str, AfterValidator(_check_regex)]
Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=64)]


class Model(BaseModel):
    """Base of every config section: strict about unknown keys, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
