"""Mailer stage: rendered digest -> EmailMessage bytes; outbox rows -> SMTP or .eml files.

Messages are built once, when queued, and the bytes are stored in the outbox
row, so a retry sends exactly what was queued. Header text from articles,
rule names or names is sanitised (no CR/LF, no look-alike encoded words)
before :class:`email.message.EmailMessage` encodes it.

Sending goes through reused aiosmtplib connections (``mail.connections`` at
once, each taking the next row of the batch). Each row's outcome is reported
to a callback as soon as the server answers, and a connection sends nothing
more until that report returns, so if the process dies between the server's
acceptance and the database commit, at most one message per connection is
sent twice. Failures are typed:
:class:`DeliveryError` says whether a retry can help.
"""

from __future__ import annotations

import asyncio
import binascii
import functools
import logging
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

import aiosmtplib

from alerts.digest import Rendered
from alerts.tokens import digest_token, feed_token, manage_token, unsubscribe_token
from config import Mail
from store.records import Delivery

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
_ENCODED_WORD = re.compile(r"=\?", re.ASCII)
_UNSAFE_KEY = re.compile(r"[^A-Za-z0-9._-]+")

OutcomeStatus = Literal["sent", "retry", "failed"]


class DeliveryError(Exception):
    """An email was not delivered; ``permanent`` means retrying cannot help.

    ``connection`` marks errors of the connection itself (refused, timed out,
    dropped, login refused): the rest of the batch is not tried either.
    """

    def __init__(
        self, message: str, *, code: int | None = None, permanent: bool, connection: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.connection = connection
        # set when the connection broke while sending a row (that row is reported)
        self.attempted_row = False


@dataclass(frozen=True)
class Outcome:
    """What happened to one outbox row."""

    delivery: Delivery
    status: OutcomeStatus
    reply: str
    # False for rows of a batch left untried after its connection failed
    attempted: bool = True


# --- building ---------------------------------------------------------------


def header_text(value: str, limit: int = 300) -> str:
    """Text safe for one header: control characters and line breaks folded to spaces,
    ``=?`` broken so article text cannot pose as an RFC 2047 encoded word."""
    text = _CONTROL.sub(" ", value)
    text = _ENCODED_WORD.sub("= ?", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def unsubscribe_url(mail: Mail, email: str, key: bytes) -> str:
    return f"{mail.public_url.rstrip('/')}/unsubscribe/{unsubscribe_token(email, key)}"


def manage_url(mail: Mail, email: str, key: bytes) -> str:
    """The subscriber's settings page (the web app), signed: every email carries it."""
    return f"{mail.public_url.rstrip('/')}/manage/{manage_token(email, key)}"


def feed_url(mail: Mail, email: str, nonce: str, key: bytes, kind: str = "atom.xml") -> str:
    """The subscriber's Atom feed (``kind="feed.json"``: JSON Feed), signed with its nonce."""
    return f"{mail.public_url.rstrip('/')}/feed/{feed_token(email, nonce, key)}/{kind}"


def digest_url(mail: Mail, email: str, batch_key: str, key: bytes) -> str:
    """The web page of one digest or alert batch (its outbox key), signed for its subscriber."""
    return f"{mail.public_url.rstrip('/')}/digest/{digest_token(email, batch_key, key)}"


def safe_key(text: str) -> str:
    """A file-name and Message-ID safe form of a delivery key."""
    return _UNSAFE_KEY.sub("_", text).strip("_")[:200]


# a fixed multipart boundary: both parts are quoted-printable, where "=" is always
# "=3D" or a soft line break, so "==" followed by text never occurs in a part; and the
# same content gives the same bytes (the render-once path is checked byte for byte)
BOUNDARY = "===============vnawatch-alternative=="
# EmailMessage stores headers with policy.SMTP; message_bytes folds them at 998
STORE_POLICY = policy.SMTP
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


def build_message(
    rendered: Rendered,
    *,
    mail: Mail,
    to_email: str,
    to_name: str,
    key: str,
    list_name: str,
    now: datetime,
    secret: bytes,
) -> EmailMessage:
    """A multipart/alternative UTF-8 message with list and auto-submitted headers."""
    message = EmailMessage(policy=STORE_POLICY)
    headers = message_headers(
        rendered.subject,
        mail=mail,
        to_email=to_email,
        to_name=to_name,
        key=key,
        list_name=list_name,
        now=now,
        secret=secret,
    )
    for name, value in headers:
        message[name] = value
    message.make_alternative()
    message.set_boundary(BOUNDARY)
    message.attach(quoted_printable_part(rendered.text, "plain"))
    message.attach(quoted_printable_part(rendered.html, "html"))
    return message


Header = tuple[str, "str | Address"]


def message_headers(
    subject: str,
    *,
    mail: Mail,
    to_email: str,
    to_name: str,
    key: str,
    list_name: str,
    now: datetime,
    secret: bytes,
) -> list[Header]:
    """The headers of a digest or alert, in order, their values sanitised."""
    domain = mail.from_address.rsplit("@", 1)[1]
    return [
        ("Subject", header_text(subject)),
        ("From", Address(header_text(mail.from_name, 100), addr_spec=mail.from_address)),
        ("To", Address(header_text(to_name, 100), addr_spec=to_email)),
        ("Date", format_datetime(now)),
        ("Message-ID", f"<{safe_key(key)}@{domain}>"),
        ("List-Id", f"{header_text(mail.from_name, 100)} <{list_name}.{domain}>"),
        (
            "List-Unsubscribe",
            f"<mailto:{mail.from_address}?subject=unsubscribe>, "
            f"<{unsubscribe_url(mail, to_email, secret)}>",
        ),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
    ]


def wire_header(name: str, value: str | Address) -> bytes:
    """One header line as :func:`message_bytes` writes it (parsed and folded by the email
    package's policies, so the same checks and encoding apply). Remembered: most
    headers are the same in every email of a run."""
    if isinstance(value, Address):
        return _wire_header(name, (value.display_name, value.addr_spec))
    return _wire_header(name, value)


@functools.lru_cache(maxsize=256)
def _wire_header(name: str, value: str | tuple[str, str]) -> bytes:
    if isinstance(value, tuple):
        display_name, addr_spec = value
        return WIRE_POLICY.fold_binary(
            *STORE_POLICY.header_store_parse(name, Address(display_name, addr_spec=addr_spec))
        )
    return WIRE_POLICY.fold_binary(*STORE_POLICY.header_store_parse(name, value))


def quoted_printable_part(text: str, subtype: str) -> MIMEPart:
    """A UTF-8 text part encoded by binascii's C quoted-printable encoder.

    The email package's own encoder is pure Python and cost most of a digest's
    rendering time (bench/send.py); the wire form is the same standard encoding.
    """
    part = MIMEPart(policy=policy.SMTP)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(quoted_printable(text.encode("utf-8")).decode("ascii"))
    return part


def quoted_printable(utf8: bytes) -> bytes:
    """A part's text, line ends normalised to LF and a final one added, in quoted-printable."""
    normalised = utf8.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not normalised.endswith(b"\n"):
        normalised += b"\n"
    return binascii.b2a_qp(normalised, istext=True)


def message_bytes(message: EmailMessage) -> bytes:
    """Wire form with CRLF line ends; long headers (the unsubscribe URL) not split."""
    return message.as_bytes(policy=policy.SMTP.clone(max_line_length=998))


def html_part(raw: bytes) -> str:
    """The HTML alternative of a stored message."""
    parsed = message_from_bytes(raw, policy=policy.default)
    body = parsed.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    return str(body.get_content()).replace("\r\n", "\n") if body is not None else ""


# --- sending ----------------------------------------------------------------

Report = Callable[[Outcome], None]


def write_files(deliveries: Sequence[Delivery], outbox_dir: Path, report: Report) -> None:
    """File backend: ``<key>.eml`` and, for a mail with an HTML part, ``<key>.html``
    per row, written atomically."""
    outbox_dir.mkdir(parents=True, exist_ok=True)
    for delivery in deliveries:
        name = safe_key(delivery.key)
        eml = outbox_dir / f"{name}.eml"
        write_atomic(eml, delivery.message)
        html = html_part(delivery.message)
        if html:  # a text-only mail (a confirmation) has no page to open
            write_atomic(outbox_dir / f"{name}.html", html.encode("utf-8"))
        report(Outcome(delivery, "sent", f"written {eml}"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so that a reader of ``path`` never sees a partial file."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)


def _smtp_client(mail: Mail) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=mail.host,
        port=mail.port,
        use_tls=mail.tls == "tls",
        start_tls=mail.tls == "starttls",
        timeout=mail.timeout_seconds,
    )


async def _connect(client: aiosmtplib.SMTP, mail: Mail) -> None:
    try:
        await client.connect()
        if mail.username:
            await client.login(mail.username, mail.password or "")
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"SMTP login refused for {mail.username}: {exc.code} {exc.message}",
            code=exc.code,
            permanent=False,
            connection=True,
        ) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryError(
            f"cannot connect to {mail.host}:{mail.port}: {exc}", permanent=False, connection=True
        ) from exc


def classify(exc: Exception) -> DeliveryError:
    """Map an aiosmtplib failure to retry-later or failed-for-good."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusal = exc.recipients[0]
        text = f"recipient refused: {refusal.code} {refusal.message}"
        return DeliveryError(text, code=refusal.code, permanent=refusal.code >= 500)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        # MAIL FROM refused (530 STARTTLS or AUTH required, sender not allowed):
        # the server set-up, not this message; every row waits for a fix
        text = f"sender {exc.sender} refused: {exc.code} {exc.message}"
        return DeliveryError(text, code=exc.code, permanent=False, connection=True)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPTimeoutError):
        return DeliveryError(f"connection lost: {exc}", permanent=False, connection=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"server replied {exc.code} {exc.message}"
        return DeliveryError(text, code=exc.code, permanent=exc.code >= 500)
    if isinstance(exc, OSError | TimeoutError):
        return DeliveryError(f"connection error: {exc}", permanent=False, connection=True)
    if isinstance(exc, ValueError):  # an address aiosmtplib will not put on the wire
        return DeliveryError(f"unusable address: {exc}", permanent=True)
    return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, connection=True)


async def send_smtp(
    deliveries: Sequence[Delivery],
    mail: Mail,
    report: Report,
    *,
    connections: int = 1,
    stop: Callable[[], bool] | None = None,
) -> None:
    """Send rows over up to ``connections`` connections at once; report each outcome.

    Each connection takes the next unsent row, sends it, and waits for its
    outcome to be reported (``report`` runs in a thread, so one connection's
    database write does not hold up the others) before taking another: at
    most one message per connection is ever accepted and not yet reported.
    A connection failure reports that connection's row as ``retry`` and ends
    that connection; a refusal concerns only its own row. Rows no connection
    could send are reported ``retry``. Once ``stop()`` is true no row is
    taken: the rows left are not reported at all (the caller releases them).
    """
    queue = deque(deliveries)
    failures: list[DeliveryError] = []
    count = max(1, min(connections, len(queue)))
    await asyncio.gather(
        *(_send_over_one(queue, mail, report, stop, failures) for _ in range(count))
    )
    if not queue or (stop is not None and stop()):
        return
    error = failures[-1] if failures else DeliveryError("not sent", permanent=False)
    # a refused login or sender needs the operator; an outage passes
    level = logging.ERROR if error.code is not None else logging.WARNING
    logger.log(
        level,
        "SMTP unusable host=%s port=%s error=%s; %d rows stay pending",
        mail.host,
        mail.port,
        error,
        len(queue),
    )
    # when no connection got as far as a row (the server is down), the first
    # row counts the attempt, so the back-off grows during an outage
    first_attempted = not any(failure.attempted_row for failure in failures)
    for i, delivery in enumerate(queue):
        outcome = Outcome(delivery, "retry", str(error), attempted=first_attempted and i == 0)
        await asyncio.to_thread(report, outcome)


async def _send_over_one(
    queue: deque[Delivery],
    mail: Mail,
    report: Report,
    stop: Callable[[], bool] | None,
    failures: list[DeliveryError],
) -> None:
    """One connection's share: take rows from ``queue`` until it is empty, stopped or broken."""
    client = _smtp_client(mail)
    delivery: Delivery | None = None
    try:
        await _connect(client, mail)
        while queue and not (stop is not None and stop()):
            delivery = queue.popleft()
            outcome = await _send_one(client, mail, delivery)
            delivery = None
            await asyncio.to_thread(report, outcome)
    except DeliveryError as error:
        failures.append(error)
        if delivery is not None:
            error.attempted_row = True
            await asyncio.to_thread(report, Outcome(delivery, "retry", str(error)))
            logger.warning(
                "SMTP connection lost host=%s port=%s error=%s", mail.host, mail.port, error
            )
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


async def _send_one(client: aiosmtplib.SMTP, mail: Mail, delivery: Delivery) -> Outcome:
    """One row's outcome; a failure of the connection itself is raised instead."""
    try:
        _errors, reply = await client.sendmail(
            mail.from_address, [delivery.subscriber], delivery.message
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
        error = classify(exc)
        if error.connection:
            raise error from exc
        return Outcome(delivery, "failed" if error.permanent else "retry", str(error))
    return Outcome(delivery, "sent", reply)
