"""Watching config.yaml while the scheduler runs.

:class:`ConfigWatcher` notices an edit (size and mtime first, then a SHA-256
of the content, so a `touch` is not a change; a file saved less than a
second ago is left until it rests, so one written in place is never read
half-written), loads the file with
:func:`config.load_config` and compiles its rules. It reports a valid new
config or the problems, each naming file and line; it never raises for a
bad file, so the scheduler keeps running on the last good config.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from config import Config, ConfigError, compose_file, load_config, locate, parse_config
from service import alarms
from store.records import ConfigState

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfigChange:
    """The file changed: either a valid ``config`` or the ``problems`` that stop it."""

    digest: str
    config: Config | None = None
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.config is not None


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes, or "" when it cannot be read."""
    return _digest(_read(path))


def _digest(content: bytes | None) -> str:
    return hashlib.sha256(content).hexdigest() if content is not None else ""


# an editor or a script writing the file in place leaves it empty or half-written
# for a moment: a file modified less than this ago is read at a later poll
SETTLE_SECONDS = 1.0


class ConfigWatcher:
    """Polls one config file; ``poll()`` returns a change once per distinct content."""

    def __init__(self, path: Path, digest: str, *, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.path = path
        self.digest = digest
        self.settle_ns = int(settle_seconds * 1e9)
        self._stat = self._signature()

    def _signature(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def poll(self) -> ConfigChange | None:
        signature = self._signature()
        if signature == self._stat and signature is not None:
            return None
        if signature is not None and 0 <= time.time_ns() - signature[0] < self.settle_ns:
            return None  # still being written, perhaps
        content = _read(self.path)
        if self._signature() != signature:
            return None  # written to while we read it: read again once it rests
        self._stat = signature
        digest = _digest(content)
        if digest == self.digest:
            return None
        self.digest = digest
        return check_config_bytes(self.path, content, digest)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def check_config_bytes(path: Path, content: bytes | None, digest: str = "") -> ConfigChange:
    """Validate ``content``, read once from ``path``, and compile its rules, as the
    scheduler would: what is checked is exactly what was hashed."""
    try:
        if content is None:
            config = load_config(path)  # says why the file cannot be read
        else:
            config = parse_config(_decoded(path, content), path)
    except ConfigError as exc:
        return ConfigChange(digest, problems=tuple(config_problems(exc)))
    problem = rule_problem(config)
    if problem:
        return ConfigChange(digest, problems=(problem,))
    return ConfigChange(digest, config=config)


def _decoded(path: Path, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text: {exc.reason}"]) from None


def rule_problem(config: Config) -> str | None:
    """Rule errors as ``file:line: rules[i].query: message`` lines joined by "; "."""
    return "; ".join(rule_problems(config)) or None


def config_problems(error: ConfigError) -> list[str]:
    """Every problem of a config that does not load, in one pass: its own, then
    the query errors of its rules that have none yet."""
    if error.rules_config is None:
        return list(error.problems)
    return [*error.problems, *rule_problems(error.rules_config, skip=error.flagged_rules)]


def rule_problems(config: Config, *, skip: frozenset[str] = frozenset()) -> list[str]:
    """Every rule error (but those of ``skip``) as a ``file:line: rules[i].query: message``."""
    try:
        from alerts.matcher import check_rules
    except ImportError:  # the matcher stage is not installed: nothing to check here
        logger.debug("alerts.matcher not available; rules not compiled")
        return []
    index = {rule.id: i for i, rule in enumerate(config.rules)}
    checked = [rule for rule in config.rules if rule.id not in skip]
    errors = check_rules(checked, config.watchlists)
    if not errors:
        return []
    path = config.path or Path("config.yaml")
    root = compose_file(path)
    return [locate(path, root, ("rules", index.get(e.rule_id, 0), "query"), str(e)) for e in errors]


class ConfigReloader:
    """The ``config:reload`` job's watcher and record keeper.

    :meth:`poll` returns the change it noticed; ``scheduler.Service`` applies a
    valid one and calls :meth:`record_applied`. An invalid file is handled here:
    logged once as one ERROR line naming file:line, remembered as "invalid
    since" in the store for `vnawatch status`, and mailed to operators
    (``config:invalid``); fixing the file clears it.
    """

    def __init__(self, store: Store, path: Path) -> None:
        self.store = store
        self.watcher = ConfigWatcher(path, file_digest(path))
        self.state: ConfigState | None = None

    def record_start(self, config: Config, now: datetime) -> None:
        self.record_applied(config, now)

    def record_applied(self, config: Config, now: datetime) -> None:
        """``config`` is the one in force now: recorded as valid, its alarm cleared."""
        self._save(now, valid=True, loaded_at=now)
        alarms.review_config(self.store, config, None, now)

    def poll(self, current: Config) -> ConfigChange | None:
        """The edit noticed since the last poll; an invalid one is already reported."""
        change = self.watcher.poll()
        if change is not None and change.config is None:
            self._reject(change.problems, current, datetime.now(UTC))
        return change

    def _reject(self, problems: tuple[str, ...], current: Config, now: datetime) -> None:
        error = "; ".join(problems)
        loaded_at = self.state.loaded_at if self.state else None
        logger.error(
            "config invalid, still running on the config loaded %s: %s",
            loaded_at.isoformat() if loaded_at else None,
            error,
        )
        since = self.state.invalid_since if self.state else None
        self._save(now, valid=False, error=error, invalid_since=since)
        alarms.review_config(self.store, current, error, now)

    def _save(
        self,
        now: datetime,
        *,
        valid: bool,
        loaded_at: datetime | None = None,
        error: str | None = None,
        invalid_since: datetime | None = None,
    ) -> None:
        path = str(self.watcher.path)
        state = replace(
            self.state or ConfigState(path=path),
            path=path,
            digest=self.watcher.digest,
            valid=valid,
            error=error,
            invalid_since=None if valid else (invalid_since or now),
        )
        if loaded_at is not None:
            good_text = state.good_text
            # what `vnawatch status` falls back on while the file on disk is invalid
            with contextlib.suppress(OSError, UnicodeDecodeError):
                good_text = self.watcher.path.read_text(encoding="utf-8")
            state = replace(state, loaded_at=loaded_at, good_text=good_text)
        self.state = state
        self.store.set_config_state(state, now)
