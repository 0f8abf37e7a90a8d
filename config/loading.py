"""Reading config.yaml: parse, validate, check cross-references; every error located."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.base import CONFIG_ENV, DATABASE_URL_ENV, DEFAULT_CONFIG_PATH
from config.locate import _pydantic_problem, _yaml_problem, locate
from config.model import Config, is_sqlite


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
