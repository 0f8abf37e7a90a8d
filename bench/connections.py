"""Delivery benchmark: personalised digests rendered and sent to a local aiosmtpd.

    .venv/bin/python bench/connections.py          # 1,000 and 10,000 subscribers
    .venv/bin/python bench/connections.py --sizes 500     # quicker

For each size it prints the render time per digest (build + Jinja2 + CSS
inlining + MIME bytes), messages/s over one reused aiosmtplib connection
(``alerts.mailer.send_smtp``), messages/s of the naive baseline (a new SMTP
connection per message, ``aiosmtplib.send``) on a sample, and their ratio.
It then runs the whole path once on SQLite — ``queue_due_digests`` +
``send_pending`` (claim, send, commit each row) — for ``--e2e`` subscribers.
The SMTP server (aiosmtpd's Sink handler) runs in a child process so it does
not share the client's interpreter lock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import aiosmtplib
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("VNAWATCH_SECRET_KEY", "benchmark-only-key")

from alerts.digest import build_digest, digest_window
from alerts.jobs import queue_due_digests, send_pending, sync_subscribers
from alerts.queueing import delivery_key, render_message
from config import Config, Mail, parse_config
from store import open_store
from store.records import Article, Delivery, Match, Snippet, Span, Subscriber
from tests.servers import self_signed_certificate

HANOI = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
RULES = ["to_lam", "mer_orientale", "chine", "frontiere", "economie", "culture"]
ZONES = ["Asia/Ho_Chi_Minh", "Europe/Paris", "America/Montreal"]
SYLLABLES = [
    "co",
    "pé",
    "ra",
    "tion",
    "é",
    "no",
    "mi",
    "que",
    "dé",
    "lé",
    "ga",
    "han",
    "oï",
    "par",
    "te",
    "na",
    "riat",
    "stra",
    "té",
    "gie",
    "com",
    "merce",
]
WORDS = sorted({"".join(random.Random(n).sample(SYLLABLES, 3)) for n in range(3000)})


def config_for(port: int, subscribers: int, outbox: Path) -> Config:
    rules = "\n".join(
        f"  - {{id: {r}, name: {r.replace('_', ' ').title()}, query: {r}}}" for r in RULES
    )
    subs = "\n".join(_subscriber_yaml(i) for i in range(subscribers))
    text = f"""
sources:
  vietnamplus: {{name: VietnamPlus, base_url: 'https://fr.vietnamplus.vn', credit: VNA,
                article_url_pattern: '-post(\\d+)\\.vnp$'}}
  lecourrier: {{name: Le Courrier du Vietnam, base_url: 'https://lecourrier.vn', credit: VNA,
               article_url_pattern: '/(\\d+)\\.html$'}}
rules:
{rules}
subscribers:
{subs}
mail: {{backend: smtp, host: 127.0.0.1, port: {port}, outbox_dir: '{outbox}', timeout_seconds: 30}}
"""
    return parse_config(text, Path("bench.yaml"))


def _subscriber_yaml(i: int) -> str:
    rng = random.Random(i)
    rules = rng.sample(RULES, rng.randint(1, 4))
    language = "en" if i % 5 == 0 else "fr"
    zone = ZONES[i % len(ZONES)]
    return (
        f"  - {{email: s{i:05d}@example.org, name: Abonné {i}, language: {language}, "
        f"timezone: {zone}, rules: [{', '.join(rules)}]}}"
    )


def article_pool(size: int = 120) -> list[Article]:
    rng = random.Random(7)
    pool = []
    for i in range(size):
        body = " ".join(rng.choice(WORDS) for _ in range(120))
        source = "vietnamplus" if i % 3 else "lecourrier"
        pool.append(
            Article(
                source=source,
                article_id=str(10_000 + i),
                url=f"https://fr.vietnamplus.vn/article-post{10_000 + i}.vnp",
                title=" ".join(rng.choice(WORDS) for _ in range(9)).capitalize(),
                body=body,
                section="Politique",
                published_at=datetime(2026, 11, 20, 20, tzinfo=HANOI) + timedelta(minutes=20 * i),
                content_hash=str(i),
                id=i + 1,
            )
        )
    return pool


def match_for(item: Article, rule: str) -> Match:
    text = item.body[:160]
    return Match(
        article_id=item.id or 0,
        rule_id=rule,
        zones=("body",),
        alias=text.split()[0],
        spans=(Span("body", 0, len(text.split()[0]), rule),),
        snippet=Snippet(text, ((0, len(text.split()[0])),)),
    )


def render_all(config: Config, pool: list[Article]) -> tuple[list[Delivery], float]:
    """One personalised digest per subscriber; returns the outbox rows and seconds spent."""
    deliveries = []
    started = time.perf_counter()
    for i, spec in enumerate(config.subscribers):
        rng = random.Random(i)
        subscriber = Subscriber(
            email=spec.email,
            rules=tuple(spec.rules),
            name=spec.name,
            language=spec.language,
            timezone=spec.timezone,
            id=i + 1,
        )
        window = digest_window(subscriber, NOW)
        assert window is not None
        chosen = rng.sample(pool, rng.randint(3, 15))
        pairs = [(match_for(a, rng.choice(spec.rules)), a) for a in chosen]
        digest = build_digest("daily", subscriber, pairs, config, window=window, states=[], now=NOW)
        key = delivery_key(subscriber, "daily", window.end)
        subject, raw = render_message(config, digest, key, NOW)
        deliveries.append(
            Delivery(i + 1, spec.email, "daily", key, subject, raw, "pending", 0, NOW)
        )
    return deliveries, time.perf_counter() - started


def send_reused(deliveries: list[Delivery], mail: Mail) -> float:
    from alerts.mailer import send_smtp

    failures: list[str] = []
    started = time.perf_counter()
    asyncio.run(
        send_smtp(deliveries, mail, lambda o: o.status != "sent" and failures.append(o.reply))
    )
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"reused connection: {len(failures)} not sent: {failures[0]}")
    return elapsed


def send_naive(deliveries: list[Delivery], mail: Mail) -> float:
    async def each() -> None:
        for delivery in deliveries:
            await aiosmtplib.send(
                delivery.message,
                sender=mail.from_address,
                recipients=[delivery.subscriber],
                hostname=mail.host,
                port=mail.port,
                start_tls=mail.tls == "starttls",
            )

    started = time.perf_counter()
    asyncio.run(each())
    return time.perf_counter() - started


def end_to_end(
    port: int, subscribers: int, workdir: Path, pool: list[Article], synchronous: str
) -> None:
    config = config_for(port, subscribers, workdir / "outbox")
    store = open_store(f"sqlite:///{workdir / f'bench-{subscribers}-{synchronous}.db'}")
    if synchronous != "default":
        event.listen(
            store.engine, "connect", lambda c, _r: c.execute(f"PRAGMA synchronous={synchronous}")
        )
    store.upgrade()
    sync_subscribers(store, config, NOW - timedelta(days=30))
    rng = random.Random(3)
    for item in pool:
        found = min(item.published_at + timedelta(minutes=10), NOW - timedelta(minutes=5))
        store.save_article(replace(item, id=None), found)
        stored = store.article_by_identity(item.source, item.article_id)
        assert stored is not None and stored.id is not None
        rules = rng.sample(RULES, rng.randint(1, 2))
        store.replace_matches(stored.id, [match_for(stored, r) for r in rules], NOW)
    started = time.perf_counter()
    queued = queue_due_digests(store, config, now=NOW)
    queue_s = time.perf_counter() - started
    started = time.perf_counter()
    sent = send_pending(store, config, now=NOW)
    send_s = time.perf_counter() - started
    store.close()
    print(
        f"end-to-end SQLite (synchronous={synchronous}), {subscribers} subscribers: "
        f"queue {queued.queued} digests in {queue_s:.1f} s "
        f"({queue_s / max(queued.queued, 1) * 1000:.1f} ms each); "
        f"send_pending {sent.sent} in {send_s:.1f} s = {sent.sent / send_s:.0f} messages/s"
    )


def start_server(tls_dir: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """aiosmtpd's Sink in a child process; with ``tls_dir`` it offers STARTTLS."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
    if tls_dir is not None:
        command += ["--tlscert", str(tls_dir / "cert.pem"), "--tlskey", str(tls_dir / "key.pem")]
    server = subprocess.Popen(
        [*command, "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("aiosmtpd did not start")


def self_signed(directory: Path) -> Path:
    """A certificate for 127.0.0.1, trusted by this process through SSL_CERT_FILE."""
    self_signed_certificate(directory)
    os.environ["SSL_CERT_FILE"] = str(directory / "cert.pem")
    return directory


def compare(label: str, deliveries: list[Delivery], mail: Mail, sample_size: int) -> None:
    """Messages/s over one reused connection against one connection per message."""
    reused_s = send_reused(deliveries, mail)
    sample = deliveries[:sample_size]
    naive_s = send_naive(sample, mail)
    reused_rate, naive_rate = len(deliveries) / reused_s, len(sample) / naive_s
    print(
        f"    {label:<9} reused connection {reused_rate:6.0f} messages/s ({reused_s:5.1f} s)"
        f" | naive {naive_rate:5.0f} messages/s (sample of {len(sample)})"
        f" | ratio {reused_rate / naive_rate:.1f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--baseline-sample", type=int, default=500)
    parser.add_argument("--e2e", type=int, default=300, help="subscribers for the SQLite run")
    parser.add_argument("--no-tls", action="store_true", help="skip the STARTTLS comparison")
    parser.add_argument(
        "--sqlite-synchronous", default="default", help="e.g. default,normal to compare"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        servers = {"plain": start_server()}
        if not args.no_tls:
            servers["starttls"] = start_server(self_signed(workdir))
        try:
            run(args, workdir, {label: port for label, (_, port) in servers.items()})
        finally:
            for server, _ in servers.values():
                server.terminate()
                server.wait(timeout=10)
    return 0


def run(args: argparse.Namespace, workdir: Path, ports: dict[str, int]) -> None:
    pool = article_pool()
    print(f"python {sys.version.split()[0]}; aiosmtpd Sink in a child process on {ports}")
    for size in (int(s) for s in args.sizes.split(",")):
        config = config_for(ports["plain"], size, workdir / "outbox")
        deliveries, render_s = render_all(config, pool)
        size_kb = sum(len(d.message) for d in deliveries) / len(deliveries) / 1024
        print(
            f"{size} subscribers: render {render_s / size * 1000:.2f} ms/digest "
            f"(build, Jinja2, css-inline, MIME; {size_kb:.0f} KiB avg, {render_s:.1f} s)"
        )
        for label, port in ports.items():
            tls = "starttls" if label == "starttls" else "none"
            mail = config.mail.model_copy(update={"port": port, "tls": tls})
            compare(label, deliveries, mail, args.baseline_sample)
    if args.e2e:
        for synchronous in args.sqlite_synchronous.split(","):
            end_to_end(ports["plain"], args.e2e, workdir, pool, synchronous)


if __name__ == "__main__":
    raise SystemExit(main())
