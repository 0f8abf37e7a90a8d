"""What changed between two valid configs, for the scheduler's reload.

Pure: two :class:`config.Config` values in, a :class:`ConfigDiff` out. The
scheduler logs ``diff.summary()`` as one line (``config reloaded: +1 rule
(mer_orientale), subscriber a@b.vn daily 07:00→08:00``) and re-matches
``diff.rules_to_rematch``: new rules, edited queries, and rules that use a
watchlist or entity whose spellings changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from config import Config, Rule, Source, Subscriber, Watchlist

T = TypeVar("T")
SETTINGS_SECTIONS = (
    "timezone",
    "crawl",
    "mail",
    "operators",
    "retention_days",
    "scheduler",
    "spikes",
)


@dataclass(frozen=True)
class ConfigDiff:
    """The changes, as short phrases, and what the scheduler must do about them."""

    changes: tuple[str, ...] = ()
    rules_to_rematch: frozenset[str] = frozenset()
    restart_needed: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        return ", ".join(self.changes) if self.changes else "no effective change"


def diff_configs(old: Config, new: Config) -> ConfigDiff:
    """Compare two configs key by key; order of phrases: rules, watchlists, sources,
    subscribers, settings."""
    rule_changes, edited_rules = _diff_rules(old.rules, new.rules)
    watchlist_changes, touched_names = _diff_watchlists(old.watchlists, new.watchlists)
    rematch = set(edited_rules)
    rematch.update(rule.id for rule in new.rules if _uses(rule, touched_names))
    restart = ("database_url",) if old.database_url != new.database_url else ()
    changes = [
        *rule_changes,
        *watchlist_changes,
        *_diff_sources(old.sources, new.sources),
        *_diff_subscribers(old.subscribers, new.subscribers),
        *_diff_settings(old, new),
        *(f"{key} (restart to apply)" for key in restart),
    ]
    return ConfigDiff(tuple(changes), frozenset(rematch), restart)


def _counted(sign: str, noun: str, ids: Iterable[str]) -> list[str]:
    items = sorted(ids)
    if not items:
        return []
    plural = "s" if len(items) > 1 else ""
    return [f"{sign}{len(items)} {noun}{plural} ({', '.join(items)})"]


def _diff_rules(old: list[Rule], new: list[Rule]) -> tuple[list[str], set[str]]:
    before = {rule.id: rule for rule in old}
    after = {rule.id: rule for rule in new}
    added = after.keys() - before.keys()
    removed = before.keys() - after.keys()
    edited = {key for key in after.keys() & before.keys() if after[key] != before[key]}
    requery = {key for key in edited if after[key].query != before[key].query}
    phrases = [
        *_counted("+", "rule", added),
        *_counted("-", "rule", removed),
        *_counted("~", "rule", edited),
    ]
    return phrases, set(added) | requery


def _diff_watchlists(old: list[Watchlist], new: list[Watchlist]) -> tuple[list[str], set[str]]:
    """Phrases, and the watchlist and entity ids whose content changed."""
    before = {w.id: w for w in old}
    after = {w.id: w for w in new}
    touched: set[str] = set()
    changed = set()
    for key in before.keys() | after.keys():
        if before.get(key) == after.get(key):
            continue
        changed.add(key)
        touched.add(key)
        old_entities = {e.id: e for e in (before[key].entities if key in before else [])}
        new_entities = {e.id: e for e in (after[key].entities if key in after else [])}
        for entity in old_entities.keys() | new_entities.keys():
            if old_entities.get(entity) != new_entities.get(entity):
                touched.add(entity)
    added = after.keys() - before.keys()
    removed = before.keys() - after.keys()
    phrases = [
        *_counted("+", "watchlist", added),
        *_counted("-", "watchlist", removed),
        *_counted("~", "watchlist", changed - added - removed),
    ]
    return phrases, touched


def _uses(rule: Rule, names: set[str]) -> bool:
    """The rule's query names one of the watchlist or entity ids ``names``."""
    watchlists, entities = rule.references
    return not names.isdisjoint(watchlists) or not names.isdisjoint(entities)


def _diff_sources(old: Mapping[str, Source], new: Mapping[str, Source]) -> list[str]:
    phrases = [f"+source {key}" for key in sorted(new.keys() - old.keys())]
    phrases += [f"-source {key}" for key in sorted(old.keys() - new.keys())]
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        if before == after:
            continue
        parts = []
        if before.enabled != after.enabled:
            parts.append("enabled" if after.enabled else "disabled")
        if before.interval_minutes != after.interval_minutes:
            parts.append(f"every {before.interval_minutes}→{after.interval_minutes} min")
        rest = before.model_copy(update={"enabled": True, "interval_minutes": 1})
        if rest != after.model_copy(update={"enabled": True, "interval_minutes": 1}):
            parts.append("settings")
        phrases.append(f"source {key} {' '.join(parts)}")
    return phrases


def _diff_subscribers(old: list[Subscriber], new: list[Subscriber]) -> list[str]:
    before = {s.email.lower(): s for s in old}
    after = {s.email.lower(): s for s in new}
    phrases = [f"+subscriber {key}" for key in sorted(after.keys() - before.keys())]
    phrases += [f"-subscriber {key}" for key in sorted(before.keys() - after.keys())]
    for key in sorted(before.keys() & after.keys()):
        if before[key] != after[key]:
            phrases.append(f"subscriber {key} {_subscriber_change(before[key], after[key])}")
    return phrases


def _subscriber_change(old: Subscriber, new: Subscriber) -> str:
    parts = []
    schedule_changed = (old.send_time, old.weekday) != (new.send_time, new.weekday)
    if old.frequency != new.frequency:
        parts.append(f"{old.frequency}→{new.frequency}")
    elif schedule_changed:
        parts.append(new.frequency)
    if old.weekday != new.weekday and new.frequency == "weekly":
        parts.append(f"{old.weekday}→{new.weekday}")
    if old.send_time != new.send_time:
        parts.append(f"{old.send_time:%H:%M}→{new.send_time:%H:%M}")
    if old.timezone != new.timezone:
        parts.append(f"{old.timezone}→{new.timezone}")
    added = sorted(set(new.rules) - set(old.rules))
    removed = sorted(set(old.rules) - set(new.rules))
    parts += [f"+{rule}" for rule in added] + [f"-{rule}" for rule in removed]
    paused, resumed = set(new.paused_rules), set(old.paused_rules)
    parts += [f"paused {rule}" for rule in sorted(paused - resumed)]
    parts += [f"resumed {rule}" for rule in sorted(resumed - paused)]
    if old.active != new.active:
        parts.append("resumed" if new.active else "paused")
    if (old.channels, old.email_delivery) != (new.channels, new.email_delivery):
        parts.append("channels")  # never the URLs: they are secrets
    if old.spike_alerts != new.spike_alerts:
        parts.append("spike alerts on" if new.spike_alerts else "spike alerts off")
    return " ".join(parts) or "details"


def _diff_settings(old: Config, new: Config) -> list[str]:
    return [
        f"{section} settings"
        for section in SETTINGS_SECTIONS
        if getattr(old, section) != getattr(new, section)
    ]
