"""The subscription form: raw fields -> a validated choice, or one message per field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

from alerts.query import RuleRefusedError, RuleSyntaxError, parse_rule
from config import ENTITY_FIELD, ENTITY_REFERENCE, Config
from web.labels import Labels

FREQUENCIES = ("immediate", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LANGUAGES = ("fr", "en")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
NAME_LIMIT = 200
QUERY_RULE_ID = "web_query"


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass
class Choice:
    """What a subscriber asks for, in the form the confirmation token and the store carry."""

    email: str = ""
    name: str = ""
    language: str = "fr"
    frequency: str = "daily"
    send_time: str = "07:00"
    timezone: str = "Asia/Ho_Chi_Minh"  # the design default, when the browser guesses none
    weekday: str = "monday"
    entities: list[str] = field(default_factory=list)
    query: str = ""

    def payload(self) -> dict[str, Any]:
        return {
            "e": self.email, "n": self.name, "l": self.language, "f": self.frequency,
            "t": self.send_time, "z": self.timezone, "w": self.weekday,
            "x": self.entities, "q": self.query,
        }  # fmt: skip

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Choice:
        return cls(
            email=str(data["e"]), name=str(data["n"]), language=str(data["l"]),
            frequency=str(data["f"]), send_time=str(data["t"]), timezone=str(data["z"]),
            weekday=str(data["w"]), entities=[str(x) for x in data["x"]], query=str(data["q"]),
        )  # fmt: skip

    def rules(self, config: Config) -> list[tuple[str, str]]:
        """(name, query) pairs: one per picked watchlist entry, one for the own query."""
        names = {e.id: e.name for w in config.watchlists for e in w.entities}
        pairs = [(names[e], f"{ENTITY_FIELD}:{e}") for e in self.entities if e in names]
        if self.query:
            pairs.append(
                (self.query if len(self.query) <= 60 else self.query[:59] + "…", self.query)
            )
        return pairs


def choice_from_rules(rules: list[tuple[str, str]]) -> tuple[list[str], str]:
    """Back from stored (name, query) pairs to picked entries and the own query."""
    entities: list[str] = []
    queries: list[str] = []
    for _name, query in rules:
        found = ENTITY_REFERENCE.fullmatch(query)
        if found:
            entities.append(found.group(1))
        elif query:
            queries.append(query)
    return entities, " OR ".join(f"({q})" for q in queries) if len(queries) > 1 else "".join(
        queries
    )


def query_error(config: Config, query: str, labels: Labels) -> str | None:
    """The message for a query that is too long or does not parse; None when it is fine."""
    limit = config.web.max_query_length
    if len(query) > limit:
        return labels["err_query_long"].format(n=limit, got=len(query))
    try:
        parse_rule(QUERY_RULE_ID, query, config.watchlists)
    except RuleSyntaxError as exc:  # worded in the reader's language, never the parser's
        problem = exc.problem
        detail = labels[f"syntax_{problem.code}"].format(column=exc.column, **problem.values)
        return labels["err_query_syntax"].format(line=exc.line, column=exc.column, detail=detail)
    except RuleRefusedError as exc:
        return labels["err_query_refused"].format(
            detail=labels[f"refused_{exc.code}"].format(**exc.values)
        )
    return None


def read_choice(
    form: dict[str, Any], config: Config, labels: Labels, *, with_email: bool = True
) -> tuple[Choice, dict[str, str]]:
    """The choice and the errors by field name (empty when valid)."""
    errors: dict[str, str] = {}
    text = {key: str(form.get(key, "")).strip() for key in form}
    choice = Choice(
        email=text.get("email", ""),
        name=text.get("name", "")[: NAME_LIMIT * 2],
        language=text.get("language", "fr"),
        frequency=text.get("frequency", "daily"),
        send_time=text.get("send_time", "07:00"),
        timezone=text.get("timezone", ""),
        weekday=text.get("weekday", "monday"),
        entities=[str(e) for e in form.get("entities", [])],
        query=str(form.get("query", "")).strip(),
    )
    if with_email:
        try:
            choice.email = validate_email(choice.email, check_deliverability=False).normalized
            choice.email = choice.email.lower()
        except EmailNotValidError:
            errors["email"] = labels["err_email"]
    if len(choice.name) > NAME_LIMIT:
        errors["name"] = labels["err_name"].format(n=NAME_LIMIT)
    if choice.language not in LANGUAGES:
        errors["language"] = labels["err_choice"]
    if choice.frequency not in FREQUENCIES:
        errors["frequency"] = labels["err_choice"]
    if choice.weekday not in WEEKDAYS:
        errors["weekday"] = labels["err_choice"]
    if not _TIME.match(choice.send_time):
        errors["send_time"] = labels["err_time"]
    if choice.timezone not in time_zones():
        errors["timezone"] = labels["err_zone"]
    known = {e.id for w in config.watchlists for e in w.entities}
    if any(e not in known for e in choice.entities):
        errors["entities"] = labels["err_choice"]
    if choice.query:
        problem = query_error(config, choice.query, labels)
        if problem:
            errors["query"] = problem
    elif not choice.entities:
        errors["query"] = labels["err_nothing"]
    return choice, errors
