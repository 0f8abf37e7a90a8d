"""Config sections for what is watched: watchlists of entities, and rules."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from pydantic import Field, model_validator

from config.base import ENTITY_REFERENCE, WATCHLIST_REFERENCE, Identifier, Model


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
