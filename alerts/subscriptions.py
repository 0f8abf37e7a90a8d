"""Rules kept in the database (web subscribers' own queries) joined to config.yaml's.

The jobs in :mod:`alerts.jobs` match, queue and preview with the config's rules
plus these, so a web subscriber's digest is produced by the same jobs as an
operator's. A stored rule that no longer compiles (its watchlist entry was
removed from config.yaml) is skipped with a warning, never fatal to the others.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from alerts.query import RuleError, parse_rule
from config import Config, Rule

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)


def with_stored_rules(store: Store, config: Config) -> Config:
    """``config`` with the stored rules appended (config.yaml's ids win on a clash)."""
    known = {rule.id for rule in config.rules}
    extra: list[Rule] = []
    for stored in store.stored_rules():
        if stored.rule_id in known:
            continue
        try:
            parse_rule(stored.rule_id, stored.query, config.watchlists)
        except RuleError as exc:
            logger.warning("stored rule skipped rule_id=%s error=%s", stored.rule_id, exc)
            continue
        extra.append(Rule(id=stored.rule_id, name=stored.name, query=stored.query))
    if not extra:
        return config
    return config.model_copy(update={"rules": [*config.rules, *extra]})
