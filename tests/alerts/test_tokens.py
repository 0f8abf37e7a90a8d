"""The one signer: new itsdangerous links, old HMAC links still accepted, nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.tokens import (
    Signer,
    TokenError,
    address_hash,
    digest_token,
    legacy_manage_token,
    legacy_token,
    manage_token,
    unsubscribe_token,
    verify_digest_token,
    verify_manage_token,
    verify_unsubscribe_token,
)

KEY = b"test-secret"
EMAIL = "analyste@example.org"


def test_new_tokens_round_trip_and_are_bound_to_key_and_purpose() -> None:
    token = unsubscribe_token("Analyste@Example.org ", KEY)
    assert verify_unsubscribe_token(token, KEY) == EMAIL
    assert verify_unsubscribe_token(token, b"other-key") is None
    assert verify_manage_token(token, KEY) is None
    manage = manage_token(EMAIL, KEY)
    assert verify_manage_token(manage, KEY) == EMAIL
    assert verify_unsubscribe_token(manage, KEY) is None
    # a lasting link is the same in every mail: no issue time inside
    assert unsubscribe_token(EMAIL, KEY) == token
    assert token != legacy_token(EMAIL, KEY)


def test_links_mailed_before_the_one_signer_still_work() -> None:
    old = legacy_token(EMAIL, KEY)
    assert verify_unsubscribe_token(old, KEY) == EMAIL
    assert verify_manage_token(old, KEY) is None
    old_manage = legacy_manage_token(EMAIL, KEY)
    assert verify_manage_token(old_manage, KEY) == EMAIL
    assert verify_unsubscribe_token(old_manage, KEY) is None


def test_forged_tokens_of_both_kinds_are_refused() -> None:
    for token in (unsubscribe_token(EMAIL, KEY), legacy_token(EMAIL, KEY)):
        payload, signature = token.split(".", 1)
        victim = legacy_token("victim@example.org", b"guess").split(".")[0]
        assert verify_unsubscribe_token(f"{victim}.{signature}", KEY) is None
        assert verify_unsubscribe_token(f"{payload}.{signature[:-2]}AA", KEY) is None
    assert verify_unsubscribe_token("garbage", KEY) is None


@pytest.mark.parametrize(
    "suffix", [".é", ".%C3%A9", ".\u00e9\u00e9", "\udc80", ".\x00", "..", "." + "A" * 5000]
)
def test_malformed_tokens_give_none_never_raise(suffix: str) -> None:
    """Non-ASCII in the signature part made hmac.compare_digest raise TypeError (a 500)."""
    base = legacy_token(EMAIL, KEY).split(".")[0]
    for token in (base + suffix, unsubscribe_token(EMAIL, KEY) + suffix, suffix):
        assert verify_unsubscribe_token(token, KEY) is None
        assert verify_manage_token(token, KEY) is None


@given(st.text(max_size=300))
def test_verification_is_total(token: str) -> None:
    assert verify_unsubscribe_token(token, KEY) is None
    assert verify_manage_token(token, KEY) is None
    assert verify_digest_token(token, KEY) is None
    with pytest.raises(TokenError):
        Signer(KEY).loads("confirm", token, 60)


def test_digest_tokens_carry_address_and_batch_and_open_nothing_else() -> None:
    token = digest_token("Analyste@Example.org", "digest:7:2026-11-22", KEY)
    assert verify_digest_token(token, KEY) == (EMAIL, "digest:7:2026-11-22")
    assert verify_digest_token(token, b"other-key") is None
    assert verify_manage_token(token, KEY) is None
    assert verify_unsubscribe_token(token, KEY) is None
    assert verify_digest_token(manage_token(EMAIL, KEY), KEY) is None


def test_address_hash_is_keyed_and_normalised() -> None:
    digest = address_hash(" Analyste@Example.ORG", KEY)
    assert digest == address_hash(EMAIL, KEY)
    assert len(digest) == 64 and EMAIL not in digest
    assert digest != address_hash(EMAIL, b"other-key")
