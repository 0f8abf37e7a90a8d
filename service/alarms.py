"""Operator alarms: conditions that need a person, mailed once when they start and
once when they clear.

Conditions live in the store (``conditions``), so a restart neither forgets
an alarm nor repeats it: a source turned unhealthy (``source:<id>:failing``,
``:silent``, ``:extraction``, ``:selectors``), deliveries that failed for good
(``deliveries:failed``), the config on disk invalid (``config:invalid``).
A notice that cannot be mailed stays owed and is retried on the next check.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from config import Config
from store.records import Delivery

if TYPE_CHECKING:
    from service.health import StatusReport
    from store import Store
    from store.health import Condition

logger = logging.getLogger(__name__)


def review_health(store: Store, config: Config, report: StatusReport, now: datetime) -> int:
    """Fold a status report into the source and delivery conditions; mail what changed."""
    sources = {
        f"source:{s.source}:{kind}": reason
        for s in report.sources
        for kind, reason in s.problems.items()
    }
    store.set_conditions(sources, now, prefix="source:")
    failed = report.outbox.failed_24h
    deliveries = (
        {"deliveries:failed": f"{failed} deliveries failed for good in the last 24 h"}
        if failed
        else {}
    )
    store.set_conditions(deliveries, now, prefix="deliveries:")
    return notify_operators(store, config, now)


def review_config(store: Store, config: Config, problem: str | None, now: datetime) -> int:
    """Record whether the config on disk is invalid; mail when that starts or clears."""
    store.set_conditions({"config:invalid": problem} if problem else {}, now, prefix="config:")
    return notify_operators(store, config, now)


# (key, active, since) of the starts and clears this process has logged: while
# the operator mail cannot go out it is retried at every check, the log line not
_logged: set[tuple[str, bool, datetime]] = set()


# The health job and the config reload run on separate scheduler threads; both
# tell operators what is owed, and each notice must be mailed once, not once each.
_telling = threading.Lock()


def notify_operators(store: Store, config: Config, now: datetime) -> int:
    """Log and mail every condition whose start or clear operators were not told of."""
    with _telling:
        return _notify(store, config, now)


def _notify(store: Store, config: Config, now: datetime) -> int:
    told = 0
    for condition in store.conditions():
        if not condition.needs_notice:
            continue
        seen = (condition.key, condition.active, condition.since)
        if seen not in _logged:
            _logged.add(seen)
            _log(condition)
        if config.operators and not _mail(config, condition, now):
            continue
        store.mark_condition_notified(condition.key, condition.active, now)
        told += 1
    return told


# conditions whose cause its owner has already logged as an ERROR (configwatch
# names file:line): one ERROR per problem, so their start is only noted here
LOGGED_BY_OWNER = ("config:",)


def _log(condition: Condition) -> None:
    if condition.active and condition.key.startswith(LOGGED_BY_OWNER):
        logger.info("needs attention condition=%s (the error is logged above)", condition.key)
    elif condition.active:
        logger.error("needs attention condition=%s %s", condition.key, condition.detail)
    else:
        logger.info("cleared condition=%s (was: %s)", condition.key, condition.detail)


def _mail(config: Config, condition: Condition, now: datetime) -> bool:
    message = operator_message(config, condition, now)
    try:
        send_operator_message(config, message)
    except (OSError, OperatorMailError) as exc:
        logger.warning(
            "operator mail failed condition=%s error=%s; retried at the next check",
            condition.key,
            exc,
        )
        return False
    logger.info("operator mail sent condition=%s to=%s", condition.key, len(config.operators))
    return True


def operator_message(config: Config, condition: Condition, now: datetime) -> EmailMessage:
    """A plain-text notice; French like everything vnawatch mails."""
    state = "PROBLÈME" if condition.active else "RÉSOLU"
    message = EmailMessage()
    message["Subject"] = f"[vnawatch] {state}: {condition.key}"
    message["From"] = f"{config.mail.from_name} <{config.mail.from_address}>"
    message["To"] = ", ".join(config.operators)
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(domain=config.mail.from_address.split("@")[-1])
    message["Auto-Submitted"] = "auto-generated"
    since = condition.since.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"{state}: {condition.key}",
        "",
        condition.detail if condition.active else f"Résolu (c'était : {condition.detail})",
        "",
        f"Depuis : {since}",
        "Détails : lancez `vnawatch status` sur le serveur.",
    ]
    message.set_content("\n".join(lines))
    return message


class OperatorMailError(Exception):
    """An operator notice was not accepted for every operator; it stays owed."""


def send_operator_message(config: Config, message: EmailMessage) -> None:
    """Send a notice: through the mailer's SMTP sender, or as an .eml file.

    Operators are not subscribers, so notices do not take an outbox row; they
    are few, and the health check retries one that was not accepted.
    """
    mail = config.mail
    from alerts.mailer import Outcome, message_bytes, send_smtp, write_atomic

    if mail.backend == "file":
        folder = Path(mail.outbox_dir) / "operators"
        folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_")
        write_atomic(folder / f"{name}.eml", bytes(message))
        return

    raw = message_bytes(message)
    now = datetime.now(UTC)
    deliveries = [
        Delivery(
            id=0,
            subscriber=address,
            kind="operator",
            key=f"operator-{index}",
            subject=str(message["Subject"]),
            message=raw,
            status="pending",
            attempts=0,
            created_at=now,
        )
        for index, address in enumerate(config.operators)
    ]
    outcomes: list[Outcome] = []
    asyncio.run(send_smtp(deliveries, mail, outcomes.append))
    refused = [f"{o.delivery.subscriber}: {o.reply}" for o in outcomes if o.status != "sent"]
    if refused or len(outcomes) < len(deliveries):
        raise OperatorMailError("; ".join(refused) or "not every operator was tried")
