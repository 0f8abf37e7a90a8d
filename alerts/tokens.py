"""Signed tokens: the one signer for every link mailed or served, and the address hash.

Every token is signed with the key from ``$VNAWATCH_SECRET_KEY`` by
itsdangerous (HMAC-SHA256, a salt per purpose so one kind never opens
another). Unsubscribe, manage and digest-page links never expire: a subscriber may click
one in a years-old email. Confirmation links and the operator session carry
their issue time and expire.

Links mailed before this signer existed were ``<base64url(email)>.<base64url(
HMAC-SHA256(key, email))>``; they are still accepted (checked on bytes, in
constant time) but never issued. Verification is total: any string, however
malformed, gives an address or ``None``, never an exception.

:func:`address_hash` is the keyed hash the suppression list stores instead of
an address.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from itsdangerous import (
    BadData,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from config import SECRET_KEY_ENV

logger = logging.getLogger(__name__)

DEVELOPMENT_KEY = b"vnawatch-development-key-NOT-SECRET"
# purposes whose tokens never expire (links in sent mail and chat, feed links in readers)
LASTING = frozenset({"unsubscribe", "manage", "feed", "rule-feed", "digest"})
_TOKEN = re.compile(r"[A-Za-z0-9_\-.]+", re.ASCII)
_warned_no_secret = False


class TokenError(Exception):
    """A token is forged, malformed (``expired`` False) or too old (``expired`` True)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def secret_key() -> bytes:
    """The signing key from $VNAWATCH_SECRET_KEY, else a public development key."""
    global _warned_no_secret
    value = os.environ.get(SECRET_KEY_ENV)
    if value:
        return value.encode("utf-8")
    if not _warned_no_secret:
        _warned_no_secret = True
        logger.warning(
            "%s is not set: links are signed with a public development key "
            "and can be forged; set it before sending to real subscribers",
            SECRET_KEY_ENV,
        )
    return DEVELOPMENT_KEY


class Signer:
    """Purpose-bound signed payloads; lasting purposes untimed, the others timed."""

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time) -> None:
        self.key = key  # read at each call, so a test can swap it
        clock_of_app = clock

        class _Signer(TimestampSigner):
            # issue and expiry times come from the app's clock, so tests can age a link
            def get_timestamp(self) -> int:
                return int(clock_of_app())

        self._signer_class = _Signer

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        options: dict[str, Any] = {"digest_method": hashlib.sha256}
        if purpose in LASTING:
            return _untimed(self.key, purpose)
        return URLSafeTimedSerializer(
            self.key, salt=f"vnawatch-{purpose}", signer=self._signer_class, signer_kwargs=options
        )

    def dumps(self, purpose: str, payload: Any) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def loads(self, purpose: str, token: str, max_age_seconds: float | None = None) -> Any:
        """The payload; raises :class:`TokenError` for a forged, altered, malformed or
        expired token (``max_age_seconds`` applies to timed purposes)."""
        if not _TOKEN.fullmatch(token):
            # itsdangerous would skip non-ASCII and non-alphabet characters when
            # decoding: refuse them, so only the exact token it issued opens anything
            raise TokenError(expired=False)
        serializer = self._serializer(purpose)
        try:
            if isinstance(serializer, URLSafeTimedSerializer):
                return serializer.loads(token, max_age=max_age_seconds)
            return serializer.loads(token)
        except SignatureExpired:
            raise TokenError(expired=True) from None
        # BadData: bad signature, timestamp or payload; UnicodeError: a string
        # that is not even encodable (lone surrogates)
        except (BadData, UnicodeError, ValueError):
            raise TokenError(expired=False) from None


@functools.lru_cache(maxsize=32)
def _untimed(key: bytes, purpose: str) -> URLSafeSerializer:
    options: dict[str, Any] = {"digest_method": hashlib.sha256}
    return URLSafeSerializer(key, salt=f"vnawatch-{purpose}", signer_kwargs=options)


@functools.lru_cache(maxsize=8)
def _lasting(key: bytes) -> Signer:
    """One signer per key for the links mailed by the thousand (their purposes are untimed,
    so the clock plays no part)."""
    return Signer(key)


def normalise_address(email: str) -> str:
    """The form addresses are signed, stored and hashed in."""
    return email.strip().lower()


def address_hash(email: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised address under a key derived for this use, hex."""
    derived = _purpose_key(key, b"suppression")
    return hmac.new(derived, normalise_address(email).encode("utf-8"), hashlib.sha256).hexdigest()


# --- links --------------------------------------------------------------------


def unsubscribe_token(email: str, key: bytes) -> str:
    return _lasting(key).dumps("unsubscribe", normalise_address(email))


def verify_unsubscribe_token(token: str, key: bytes) -> str | None:
    """The address an unsubscribe token (new or old kind) was signed for, or None."""
    return _verify("unsubscribe", token, key) or _verify_legacy(token, key)


def manage_token(email: str, key: bytes) -> str:
    return _lasting(key).dumps("manage", normalise_address(email))


def verify_manage_token(token: str, key: bytes) -> str | None:
    """The address a manage token (new or old kind) was signed for, or None."""
    return _verify("manage", token, key) or _verify_legacy(token, _purpose_key(key, b"manage"))


def feed_token(email: str, nonce: str, key: bytes) -> str:
    """A subscriber's feed link: the address and its current feed nonce, signed."""
    return _lasting(key).dumps("feed", [normalise_address(email), nonce])


def verify_feed_token(token: str, key: bytes) -> tuple[str, str] | None:
    """(address, nonce) a feed token was signed for, or None; the caller checks the nonce."""
    return _verify_pair("feed", token, key)


def rule_feed_token(rule_id: str, nonce: str, key: bytes) -> str:
    """An operator's feed link for one rule: the rule id and its feed nonce, signed."""
    return _lasting(key).dumps("rule-feed", [rule_id, nonce])


def verify_rule_feed_token(token: str, key: bytes) -> tuple[str, str] | None:
    """(rule id, nonce) a rule feed token was signed for, or None."""
    return _verify_pair("rule-feed", token, key)


def digest_token(email: str, batch_key: str, key: bytes) -> str:
    """The link to one batch's web page: the address and the batch's outbox key, signed."""
    return _lasting(key).dumps("digest", [normalise_address(email), batch_key])


def verify_digest_token(token: str, key: bytes) -> tuple[str, str] | None:
    """(address, batch key) a digest token was signed for, or None."""
    return _verify_pair("digest", token, key)


def _verify_pair(purpose: str, token: str, key: bytes) -> tuple[str, str] | None:
    try:
        payload = Signer(key).loads(purpose, token)
    except TokenError:
        return None
    if not (isinstance(payload, list) and len(payload) == 2):
        return None
    first, second = payload
    if not (isinstance(first, str) and first and isinstance(second, str) and second):
        return None
    return first, second


def _verify(purpose: str, token: str, key: bytes) -> str | None:
    try:
        payload = Signer(key).loads(purpose, token)
    except TokenError:
        return None
    return payload if isinstance(payload, str) and payload else None


# --- links mailed before the one signer (accepted, never issued) --------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def legacy_token(email: str, key: bytes) -> str:
    """``<base64url(email)>.<base64url(HMAC-SHA256(key, email))>``: how old links were made."""
    address = normalise_address(email).encode("utf-8")
    signature = hmac.new(key, address, hashlib.sha256).digest()
    return f"{_b64(address)}.{_b64(signature)}"


def legacy_manage_token(email: str, key: bytes) -> str:
    return legacy_token(email, _purpose_key(key, b"manage"))


def _verify_legacy(token: str, key: bytes) -> str | None:
    try:
        given = token.encode("utf-8")
        encoded = token.split(".", 1)[0]
        email = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (ValueError, UnicodeError):  # binascii.Error is a ValueError
        return None
    if not email or not hmac.compare_digest(legacy_token(email, key).encode("utf-8"), given):
        return None
    return email


def _purpose_key(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"vnawatch-purpose:" + purpose, hashlib.sha256).digest()
