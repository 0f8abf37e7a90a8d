"""Render once, personalise per subscriber: a digest's email from a cached rendering.

Subscribers whose digests say the same thing (the same live rules, window,
zone, language and articles) get the same email but for a few values: the
name in the greeting, their signed links (manage, unsubscribe, feed, ...) and
the headers To, Message-ID and List-Unsubscribe. The digest is rendered once
with a unique token in place of each such value (:func:`frame`), the text and
HTML are cut at the tokens, and each subscriber's email is assembled from that
:class:`Frame` (:func:`assemble`):

- the HTML gets each value escaped exactly as the full render leaves it
  (Jinja2's autoescape, then css-inline's parse and serialisation: ``&`` and
  the no-break space become entities); a value with a character whose escaping
  depends on where it stands (``" < >``) or that the HTML parser rewrites
  (control characters) is not substituted: that subscriber's email is rendered
  in full instead (:func:`fits`);
- the text part gets the raw values;
- both parts are quoted-printable encoded per subscriber, after the
  substitution, so a soft line break never cuts a value;
- the headers are the mailer's (:func:`alerts.mailer.message_headers`), each
  parsed and folded by the email package's policies as ``message_bytes`` does.

The result is the full render's bytes (tests/alerts/test_personalise.py and the
five-day replay in test_queueing.py compare them byte for byte). A template
that transforms a token (a filter on a personal value) leaves a trace of it,
and :func:`frame` refuses the rendering (None): the caller renders in full.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from alerts.digest import Digest, Rendered
from alerts.mailer import BOUNDARY, Header, quoted_printable, wire_header

NAME = "name"  # the slot of the subscriber's name (the greeting)
# values the full render does not keep as they are in both HTML contexts
_UNFIT = re.compile(r'["<>\x00-\x1f\x7f]')
_PART_HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Type: text/{subtype}; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
)
_TEXT_HEAD = _PART_HEAD.format(subtype="plain").encode("ascii")
_HTML_HEAD = ("\r\n" + _PART_HEAD.format(subtype="html")).encode("ascii")
_CLOSE = f"\r\n--{BOUNDARY}--\r\n".encode("ascii")

# a segment is literal UTF-8 or the name of the slot standing there
Segment = bytes | str


@dataclass(frozen=True)
class Frame:
    """A digest rendered once, cut at its personal values."""

    subject: str
    text: tuple[Segment, ...]
    html: tuple[Segment, ...]

    def fill(self, values: Mapping[str, str]) -> tuple[bytes, bytes]:
        """The text and HTML parts (UTF-8) with ``values`` in their slots."""
        escaped = {slot: html_value(value) for slot, value in values.items()}
        return _join(self.text, values), _join(self.html, escaped)


def shape(values: Mapping[str, str]) -> tuple[str, ...]:
    """Which slots hold a value: templates test them (``{% if feed_url %}``), so two
    subscribers share a frame only with the same shape."""
    return tuple(sorted(slot for slot, value in values.items() if value))


def fits(values: Mapping[str, str]) -> bool:
    """True when every value can be substituted into a frame and give the full render."""
    return not any(_UNFIT.search(value) for value in values.values())


def html_value(value: str) -> str:
    """``value`` as the full render's HTML holds it (for values that :func:`fits`)."""
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;")


def frame(
    digest: Digest,
    values: Mapping[str, str],
    render: Callable[[Digest, Mapping[str, str]], Rendered],
) -> Frame | None:
    """Render ``digest`` once with tokens for ``values`` (the name is ``values[NAME]``);
    None when the rendering cannot be personalised safely (a token was transformed,
    or one stands in the subject)."""
    nonce = secrets.token_hex(8)
    slots = [slot for slot, value in values.items() if value]
    tokens = {slot: f"z{nonce}{i:02d}z" for i, slot in enumerate(slots)}
    person = replace(digest.subscriber, name=tokens.get(NAME, ""))
    links = {slot: tokens.get(slot, "") for slot in values if slot != NAME}
    rendered = render(replace(digest, subscriber=person), links)
    if nonce in rendered.subject.lower():
        return None
    found = re.compile(f"z{nonce}(\\d\\d)z")
    text, html = _cut(rendered.text, found, slots), _cut(rendered.html, found, slots)
    literal = b"".join(s for s in (*text, *html) if isinstance(s, bytes)).lower()
    if nonce.encode("ascii") in literal:
        return None
    return Frame(subject=rendered.subject, text=text, html=html)


def _cut(rendered: str, found: re.Pattern[str], slots: list[str]) -> tuple[Segment, ...]:
    pieces = found.split(rendered)
    # split() alternates literal text and the captured slot number
    return tuple(
        piece.encode("utf-8") if i % 2 == 0 else slots[int(piece)]
        for i, piece in enumerate(pieces)
        if i % 2 or piece
    )


def _join(segments: tuple[Segment, ...], values: Mapping[str, str]) -> bytes:
    return b"".join(s if isinstance(s, bytes) else values[s].encode("utf-8") for s in segments)


def assemble(headers: list[Header], text: bytes, html: bytes) -> bytes:
    """Wire bytes of a multipart/alternative message, as ``message_bytes(build_message())``."""
    head = b"".join(wire_header(name, value) for name, value in headers)
    return b"".join(
        (
            head,
            CONTENT_TYPE,
            b"\r\n",
            _TEXT_HEAD,
            _crlf(quoted_printable(text)),
            _HTML_HEAD,
            _crlf(quoted_printable(html)),
            _CLOSE,
        )
    )


def _crlf(encoded: bytes) -> bytes:
    return encoded.replace(b"\n", b"\r\n")


CONTENT_TYPE = wire_header("Content-Type", f'multipart/alternative; boundary="{BOUNDARY}"')
