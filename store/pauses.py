"""Per-rule pause: a subscriber pauses one of its rules and keeps the others.

A paused rule keeps its ``subscriptions`` row, with ``paused_at`` set. The
subscriber records leave it out of ``Subscriber.rules`` and list it in
``Subscriber.paused_rules``, so the queueing code never sees it. Resuming sets
``resumed_at``, and the rule starts again from that moment, like a new
subscription: articles first seen before the resume are never delivered for
it, so a fortnight's pause does not come back as a fortnight of mail.
:func:`rule_is_live` is the SQL condition the outbox and feed queries apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session, aliased

from store.base import StoreBase
from store.models import ArticleRow, MatchRow, SubscriberRow, SubscriptionRow

RuleLists = tuple[tuple[str, ...], tuple[str, ...]]


def rule_is_live(subscriber_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """SQL: the match's rule is not paused for the subscriber, and its article was
    first seen since the rule's last resume. True when no subscription row says
    otherwise. Correlates with ``MatchRow`` and ``ArticleRow`` in the outer query;
    ``subscriber_id`` may be a column (``SubscriberRow.id``) for set-based queries."""
    # an alias of its own, so an outer query that joins subscriptions too (a set-based
    # queueing query) does not swallow this one's FROM by auto-correlation
    own = aliased(SubscriptionRow)
    blocked = (
        select(own.id)
        .where(
            own.subscriber_id == subscriber_id,
            own.rule_id == MatchRow.rule_id,
            or_(own.paused_at.is_not(None), own.resumed_at > ArticleRow.first_seen_at),
        )
        .correlate_except(own)
        .exists()
    )
    return ~blocked


def rule_lists(rows: Iterable[SubscriptionRow]) -> RuleLists:
    """(active rule ids, paused rule ids) of one subscriber's subscription rows, sorted."""
    active = sorted(row.rule_id for row in rows if row.paused_at is None)
    paused = sorted(row.rule_id for row in rows if row.paused_at is not None)
    return tuple(active), tuple(paused)


def rule_lists_by_subscriber(rows: Iterable[SubscriptionRow]) -> dict[int, RuleLists]:
    """:func:`rule_lists` for every subscriber of ``rows``."""
    grouped: dict[int, list[SubscriptionRow]] = {}
    for row in rows:
        grouped.setdefault(row.subscriber_id, []).append(row)
    return {key: rule_lists(value) for key, value in grouped.items()}


def set_pause(row: SubscriptionRow, paused: bool, now: datetime) -> bool:
    """Pause or resume one subscription row; False when it already was in that state."""
    if paused == (row.paused_at is not None):
        return False
    if paused:
        row.paused_at = now
    else:
        row.paused_at = None
        row.resumed_at = now
    return True


def sync_config_rules(
    session: Session,
    subscriber_id: int,
    rules: Sequence[str],
    paused: Sequence[str],
    now: datetime,
) -> None:
    """Make a config subscriber's rows ``rules``, ``paused`` ones paused, in place,
    so a rule paused or resumed earlier keeps its times across config syncs."""
    rows = {
        row.rule_id: row
        for row in session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.subscriber_id == subscriber_id)
        )
    }
    gone = [rule_id for rule_id in rows if rule_id not in rules]
    if gone:
        session.execute(
            delete(SubscriptionRow).where(
                SubscriptionRow.subscriber_id == subscriber_id, SubscriptionRow.rule_id.in_(gone)
            )
        )
    for rule_id in dict.fromkeys(rules):
        row = rows.get(rule_id)
        if row is None:
            row = SubscriptionRow(subscriber_id=subscriber_id, rule_id=rule_id)
            session.add(row)
            if rule_id in paused:
                row.paused_at = now
        else:
            set_pause(row, rule_id in paused, now)


class PauseQueries(StoreBase):
    """Facade methods pausing and resuming one rule of one subscriber."""

    def set_rule_paused(self, email: str, rule_id: str, paused: bool, now: datetime) -> bool:
        """Pause (or resume) ``rule_id`` for ``email``; False when it has no such rule."""
        with self._transaction() as session:
            row = session.scalar(
                select(SubscriptionRow)
                .join(SubscriberRow, SubscriberRow.id == SubscriptionRow.subscriber_id)
                .where(SubscriberRow.email == email.lower(), SubscriptionRow.rule_id == rule_id)
            )
            if row is None:
                return False
            set_pause(row, paused, now)
            return True
