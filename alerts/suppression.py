"""The suppression list seen from the stages: addresses in, keyed hashes to the store.

An address is added when its owner unsubscribes in one click or deletes
their data; from then on the config sync does not subscribe it, web sign-ups
send it nothing, and the send path drops any mail still queued for it. Only
an operator's explicit ``vnawatch suppression lift`` removes it, and the log
records that. The key is the app's secret (``$VNAWATCH_SECRET_KEY``): the
web app and the scheduler must share it, as they do for links.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from alerts.tokens import address_hash, normalise_address, secret_key
from store.records import Suppression

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)

UNSUBSCRIBE = "unsubscribe"
DELETION = "deletion"


def suppress(
    store: Store, email: str, reason: str, now: datetime, key: bytes | None = None
) -> bool:
    """Put ``email`` on the list; False when it already was."""
    digest = address_hash(email, key or secret_key())
    added = store.suppress(digest, reason, now)
    if added:
        logger.info("address suppressed address_hash=%s reason=%s", digest[:16], reason)
    return added


def is_suppressed(store: Store, email: str, key: bytes | None = None) -> bool:
    return bool(store.suppressed([address_hash(email, key or secret_key())]))


def suppressed_addresses(store: Store, emails: Iterable[str], key: bytes | None = None) -> set[str]:
    """The normalised addresses among ``emails`` that are on the list."""
    secret = key or secret_key()
    by_hash = {address_hash(email, secret): normalise_address(email) for email in emails}
    return {by_hash[digest] for digest in store.suppressed(by_hash)}


def lift(store: Store, email: str, key: bytes | None = None) -> Suppression | None:
    """The operator's explicit lift: remove ``email`` from the list, and log it.

    The subscriber's unsubscribe mark goes too: lifting means "mail them again".
    """
    digest = address_hash(email, key or secret_key())
    lifted = store.lift_suppression(digest)
    if lifted is not None:
        store.forget_unsubscribe(email)
    if lifted is None:
        logger.info("suppression not lifted: not on the list address_hash=%s", digest[:16])
        return None
    logger.warning(
        "suppression lifted by the operator address_hash=%s reason=%s since=%s",
        digest[:16],
        lifted.reason,
        lifted.created_at.isoformat(),
    )
    return lifted
