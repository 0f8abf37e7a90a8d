"""Sending workers benchmark: one `vnawatch worker` against two, on PostgreSQL.

    .venv/bin/python bench/workers.py                   # 3,000 messages, each setting twice
    .venv/bin/python bench/workers.py --messages 1000 --repeat 1   # quicker
    .venv/bin/python bench/workers.py --smtp-delay-ms 20           # a remote relay's latency

For each run it fills the outbox of a fresh PostgreSQL schema with rendered
rows directly (``tests.outbox_fill``: generation is not measured), with the
real `vnawatch worker` processes already started and idle, then times from
the commit of the rows until every row is marked sent. The SMTP server is
aiosmtpd's Sink in ``--smtp-processes`` child processes sharing one port
(SO_REUSEPORT), so it can use more than one core. It prints messages/s for
1 and 2 workers, their ratio (goal: at least 1.6x), and what limited the
run: the SMTP server (its processes busy over 85% of the time), or the
machine (all its cores busy, other people's work included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from store import Store, open_store  # noqa: E402
from tests.outbox_fill import fill_outbox  # noqa: E402

POSTGRES_URL = os.environ.get(
    "VNAWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GOAL = 1.6
BUSY = 0.85  # a process busy this share of the wall time is what limits the run


# --- the SMTP server ------------------------------------------------------------


def serve_smtp(port: int, delay: float) -> None:
    """Child mode: aiosmtpd's Sink on 127.0.0.1:port, sharing the port with its siblings."""
    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import SMTP

    class SlowSink(Sink):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if delay:
                await asyncio.sleep(delay)
            return "250 OK"

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    loop = asyncio.new_event_loop()
    handler = SlowSink()
    loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, hostname="bench", data_size_limit=None), sock=sock)
    )
    print("ready", flush=True)
    loop.run_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_servers(count: int, delay_ms: float) -> tuple[list[subprocess.Popen[str]], int]:
    port = free_port()
    servers = []
    for _ in range(count):
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve-smtp", str(port), "--smtp-delay-ms", str(delay_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the SMTP server did not start")
        servers.append(server)
    return servers, port


# --- one run ------------------------------------------------------------------


@dataclass
class Run:
    workers: int
    messages: int
    seconds: float
    server_busy: float  # busiest SMTP server process: CPU seconds / wall seconds
    workers_busy: float  # mean over the workers
    machine_busy: float  # all cores, every process on the machine

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def fresh_schema() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    admin.dispose()
    return schema, f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def write_config(folder: Path, url: str, port: int, connections: int) -> Path:
    data = {
        "database_url": url,
        "sources": {},
        "mail": {
            "backend": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "connections": connections,
            "timeout_seconds": 30,
        },
        "scheduler": {"worker_idle_seconds": 0.05},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def cpu_seconds(processes: list[psutil.Process]) -> list[float]:
    return [sum(p.cpu_times()[:2]) for p in processes]


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_once(
    count: int, messages: int, port: int, servers: list[psutil.Process], args: argparse.Namespace
) -> Run:
    schema, url = fresh_schema()
    store = open_store(url)
    folder = Path(tempfile.mkdtemp(prefix="vnawatch-bench-"))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        store.upgrade()
        config = write_config(folder, url, port, args.connections)
        for i in range(count):
            log = (folder / f"worker{i}.log").open("wb")
            command = [sys.executable, "-m", "cli", "--config", str(config), "worker"]
            workers.append(
                subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            )
        # started and idle: each has looked at the empty outbox once
        wait_until(
            lambda: len(store.senders(datetime(2000, 1, 1, tzinfo=UTC))) == count, 120, "workers"
        )
        watched = [psutil.Process(w.pid) for w in workers]
        return _timed(store, messages, watched, servers, count)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(60)
        store.close()
        drop_schema(schema)


def _timed(
    store: Store,
    messages: int,
    workers: list[psutil.Process],
    servers: list[psutil.Process],
    count: int,
) -> Run:
    psutil.cpu_percent()  # starts the machine-wide measure
    before_workers, before_servers = cpu_seconds(workers), cpu_seconds(servers)
    fill_outbox(store, messages, datetime.now(UTC))
    started = time.monotonic()
    wait_until(lambda: store.delivery_counts() == {"sent": messages}, 1800, "every row sent")
    seconds = time.monotonic() - started
    machine = psutil.cpu_percent() / 100
    worker_cpu = [a - b for a, b in zip(cpu_seconds(workers), before_workers, strict=True)]
    server_cpu = [a - b for a, b in zip(cpu_seconds(servers), before_servers, strict=True)]
    return Run(
        workers=count,
        messages=messages,
        seconds=seconds,
        server_busy=max(server_cpu) / seconds,
        workers_busy=sum(worker_cpu) / len(worker_cpu) / seconds,
        machine_busy=machine,
    )


# --- report -------------------------------------------------------------------


def limits(run: Run) -> str:
    found = []
    if run.server_busy >= BUSY:
        found.append("SMTP server")
    if run.machine_busy >= 0.9:
        found.append(f"all {psutil.cpu_count()} cores busy")
    return ", ".join(found) or "—"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each setting, interleaved")
    parser.add_argument("--connections", type=int, default=4, help="mail.connections per worker")
    parser.add_argument("--smtp-processes", type=int, default=2)
    parser.add_argument("--smtp-delay-ms", type=float, default=0.0)
    parser.add_argument("--serve-smtp", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_smtp:
        serve_smtp(args.serve_smtp, args.smtp_delay_ms / 1000)
        return 0
    os.environ.setdefault("VNAWATCH_SECRET_KEY", "benchmark-only-key")
    popens, port = start_servers(args.smtp_processes, args.smtp_delay_ms)
    servers = [psutil.Process(p.pid) for p in popens]
    print(
        f"python {sys.version.split()[0]}, {psutil.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}; PostgreSQL; {args.messages} messages of 12 KiB; "
        f"{args.connections} connections per worker; aiosmtpd Sink x{args.smtp_processes} "
        f"on one port, {args.smtp_delay_ms:g} ms per message"
    )
    runs: list[Run] = []
    try:
        for _ in range(args.repeat):
            for count in (1, 2):
                run = run_once(count, args.messages, port, servers, args)
                runs.append(run)
                print(
                    f"  {count} worker(s): {run.rate:7.0f} msg/s  ({run.seconds:.1f} s; "
                    f"worker CPU {run.workers_busy:.0%}, SMTP server CPU {run.server_busy:.0%}, "
                    f"machine {run.machine_busy:.0%}; limit: {limits(run)})",
                    flush=True,
                )
    finally:
        for server in popens:
            server.kill()
            server.wait()
    return report(runs)


def report(runs: list[Run]) -> int:
    one = max(r.rate for r in runs if r.workers == 1)
    two = max(r.rate for r in runs if r.workers == 2)
    ratio = two / one
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"\nbest of each: 1 worker {one:.0f} msg/s, 2 workers {two:.0f} msg/s")
    print(f"ratio 2 workers / 1 worker: {ratio:.2f}x (goal >= {GOAL}x: {verdict})")
    pair = [r for r in runs if r.workers == 2]
    if any(r.server_busy >= BUSY for r in pair):
        print("the SMTP server was the limit with 2 workers: the ratio understates the workers")
    if any(r.machine_busy >= 0.9 for r in pair):
        print(
            f"all {psutil.cpu_count()} cores were busy with 2 workers (workers, SMTP server, "
            "PostgreSQL and anything else running): the CPU, not the claims, bounds the ratio"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
