"""Channel URLs are secrets: ${VAR} expansion, Apprise validation, redaction in text and logs."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import unquote

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_channel(url: str) -> str:
    """A channel URL with each ``${VAR}`` taken from the environment; Apprise must know it.

    Messages never repeat the URL (a secret): only its scheme and the variable's name.
    """

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set (used in a channel URL)")
        return os.environ[name]

    expanded = _ENV_REFERENCE.sub(value, url.strip())
    if not is_channel_url(expanded):
        scheme = expanded.split("://", 1)[0] if "://" in expanded else ""
        shown = f"a {scheme}:// URL" if scheme.isalnum() else "this value"
        raise ValueError(
            f"{shown} is not a channel Apprise recognises "
            "(see https://appriseit.com/services/ for the URL forms)"
        )
    return expanded


def is_channel_url(url: str) -> bool:
    """Whether Apprise knows how to notify ``url`` (imported here: errors keep their line)."""
    import apprise  # here, so that only configs with channels pay for the import

    with redacted_logs([url]):  # Apprise logs the whole URL it loads
        return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None


_URL_PART = re.compile(r"[/:@?&=#,;+\s]+")
# parts of a channel URL this short are scheme words or ports, not secrets
_SECRET_PART_MIN = 4


def redact_channel(url: str) -> str:
    """A channel URL as logs, status, views and exports show it: scheme and fingerprint.

    The fingerprint (8 hex digits of a SHA-256) tells two channels apart
    without revealing the tokens an Apprise URL carries in its host, path or query.
    """
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return f"{scheme if scheme.isalnum() else '?'}://[redacted {digest}]"


def redact_secrets(text: str, urls: Iterable[str]) -> str:
    """``text`` (an error, a log line) with every channel URL and each of its parts redacted.

    Services echo parts of the URL (a host, a path) in their errors, so each
    part long enough to be a token is replaced too, raw and percent-decoded.
    """
    for url in urls:
        text = text.replace(url, redact_channel(url))
        rest = url.split("://", 1)[-1]
        parts = {p for p in _URL_PART.split(rest) if len(p) >= _SECRET_PART_MIN}
        parts |= {unquote(p) for p in parts}
        for part in sorted(parts, key=len, reverse=True):
            text = text.replace(part, "[redacted]")
    return text


# the loggers that print a channel URL, or parts of it, while Apprise loads or sends it
CHANNEL_LOGGERS = ("apprise", "urllib3.connectionpool")


class _RedactFilter(logging.Filter):
    """Rewrites a record's message with the given URLs and their parts redacted."""

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__()
        self.urls = list(urls)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_secrets(record.getMessage(), self.urls)
        record.args = None
        return True


@contextmanager
def redacted_logs(urls: Sequence[str]) -> Iterator[None]:
    """While inside, what Apprise and urllib3 log has ``urls`` redacted (they log hosts, paths)."""
    redactor = _RedactFilter(urls)
    loggers = [logging.getLogger(name) for name in CHANNEL_LOGGERS]
    for each in loggers:
        each.addFilter(redactor)
    try:
        yield
    finally:
        for each in loggers:
            each.removeFilter(redactor)
