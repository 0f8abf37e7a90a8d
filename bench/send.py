"""Delivery benchmark: N due personalised digests, from due to accepted by a local SMTP server.

    .venv/bin/python bench/send.py                                 # 1k, 10k on both, population a
    .venv/bin/python bench/send.py --sizes 1000 --backends sqlite  # quick look
    .venv/bin/python bench/send.py --population random --paths full,overlap
    .venv/bin/python bench/send.py --sizes 100000 --backends postgresql --paths overlap

For each backend and size a fresh database gets N subscribers of one
population (``--population``: ``watchlist``, population a, 1-3 of 12 topic
rules, many share their digest's content; ``random``, population b, 3-15
entries of their own; fr/en, three time zones, all due; see
``bench/population.py``), bulk-inserted and not timed. Then, in a child
process of its own (so peak RSS is this run's), one path (``--paths``):

- ``full``: ``queue_due_digests`` rendering every email in full, then
  ``send_pending`` (run 4's path);
- ``once``: each distinct digest rendered once and personalised, then
  ``send_pending``, one after the other;
- ``overlap``: the same queueing with ``send_while_queueing`` sending each page
  as soon as it is committed (what ``digest --send`` and the scheduler do);
- ``old``: ``bench/baseline.py``, one query chain and one transaction per
  subscriber and the one-commit-per-message sender (with ``--baseline N``).

Sending goes to a counting aiosmtpd server in another process. Every run is
checked: nothing pending, each subscriber received exactly one message, the
ledger (delivered_articles) holds exactly the owed (subscriber, article) pairs.
For ``overlap``, "queue s" is when the queueing ended and "send s" the sending
left after it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("VNAWATCH_SECRET_KEY", "benchmark-only-key")

from sqlalchemy import create_engine, text

from bench.population import KINDS, NOW, bench_config, ledger_pairs, owed_pairs, populate
from store import open_store

if TYPE_CHECKING:
    from alerts.queueing import QueueReport

POSTGRES = os.environ.get(
    "VNAWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# (population, backend, subscribers) -> seconds from due to accepted, issue 24's goals
GOALS = {
    ("watchlist", "postgresql", 10_000): 30,
    ("watchlist", "sqlite", 10_000): 45,
    ("watchlist", "postgresql", 100_000): 300,
    ("random", "postgresql", 10_000): 60,
}
TARGET_RATIO = 5.0


def measure(path: str, url: str, port: int) -> dict[str, object]:
    """Queue and send every due digest; the figures and checks of one run (a child process).

    With ``VNAWATCH_BENCH_PROFILE=FILE`` the run is profiled (cProfile, stats in FILE),
    rendering in this process (no pool), so the profile sees all of it."""
    profile_to = os.environ.get("VNAWATCH_BENCH_PROFILE")
    if not profile_to:
        return _measure(path, url, port)
    import cProfile

    from alerts import rendering

    rendering.POOL_MIN_JOBS = 10**9  # everything in the profiled process
    profiler = cProfile.Profile(time.process_time)  # CPU: the machine may be shared
    result = profiler.runcall(_measure, path, url, port)
    profiler.dump_stats(profile_to)
    return result


def _measure(path: str, url: str, port: int) -> dict[str, object]:
    from alerts.jobs import queue_due_digests, send_pending, send_while_queueing
    from bench.baseline import queue_due_digests_one_by_one, send_one_by_one

    store = open_store(url, create=False)
    config = bench_config(port, "unused")
    started = time.perf_counter()
    if path == "overlap":
        ended: list[float] = []

        def queue(committed: Callable[[], None]) -> QueueReport:
            report = queue_due_digests(store, config, now=NOW, committed=committed)
            ended.append(time.perf_counter())
            return report

        queued, report = send_while_queueing(store, config, queue, now=NOW)
        queue_s, send_s, sent = ended[0] - started, time.perf_counter() - ended[0], report.sent
        queue_cpu = 0.0  # the two overlap
    else:
        if path == "old":
            queued = queue_due_digests_one_by_one(store, config, now=NOW)
        else:
            queued = queue_due_digests(store, config, now=NOW, render_once=path != "full")
        queue_s = time.perf_counter() - started
        queue_cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        if path == "old":
            sent = send_one_by_one(store, config, now=NOW)
        else:
            sent = send_pending(store, config, now=NOW).sent
        send_s = time.perf_counter() - started
    rows, unique = ledger_pairs(store)
    counts = store.delivery_counts()
    owed = owed_pairs(store)
    store.close()
    return {
        "queue_s": queue_s,
        "send_s": send_s,
        "queued": queued.queued,
        "bodies": queued.bodies,
        "errors": queued.errors,
        "sent": sent,
        "pending": counts.get("pending", 0),
        "ledger_rows": rows,
        "ledger_unique": unique,
        "owed": owed,
        "cpu_s": _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN),
        "queue_cpu_s": queue_cpu,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pool_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database(backend: str, workdir: Path) -> tuple[str, str | None]:
    """A fresh database URL, and the PostgreSQL schema to drop afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    engine.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop(schema: str | None) -> None:
    if schema is None:
        return
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_one(
    path: str, backend: str, size: int, workdir: Path, population: str
) -> dict[str, object]:
    """Generate, then measure in a child process, with a fresh SMTP server; checked."""
    url, schema = database(backend, workdir)
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("smtpsink.py")), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        store = open_store(url)
        store.upgrade()
        populate(store, size, population)
        store.close()
        generated_s = time.perf_counter() - started
        child = subprocess.run(
            [sys.executable, __file__, "--measure", path, url, str(port)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise SystemExit(f"{path} {backend} {size} failed:\n{child.stderr[-3000:]}")
        result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        sink_cpu = process_cpu(sink.pid)
        sink.terminate()
        received = (sink.communicate(timeout=60)[0] or "").strip().splitlines()
        drop(schema)
    result.update(
        path=path, backend=backend, size=size, generated_s=generated_s, population=population
    )
    result["smtp"] = received[-1] if received else "?"
    result["sink_cpu_s"] = sink_cpu
    result["problems"] = problems(result)
    return result


def problems(r: dict[str, object]) -> list[str]:
    """What the run got wrong: lost, duplicated or unaccounted messages and ledger rows."""
    found = []
    if r["queued"] != r["size"] or r["errors"]:
        found.append(f"queued {r['queued']} of {r['size']} (errors {r['errors']})")
    if r["sent"] != r["queued"] or r["pending"]:
        found.append(f"sent {r['sent']} of {r['queued']}, pending {r['pending']}")
    expected = f"messages={r['size']} recipients={r['size']} duplicates=0"
    if r["smtp"] != expected:
        found.append(f"SMTP server saw {r['smtp']}")
    if not r["ledger_rows"] == r["ledger_unique"] == r["owed"]:
        found.append(
            f"ledger {r['ledger_rows']} rows, {r['ledger_unique']} unique, {r['owed']} owed"
        )
    return found


def rate(r: dict[str, object]) -> float:
    return float(r["sent"]) / (float(r["queue_s"]) + float(r["send_s"]))  # type: ignore[arg-type]


def table(results: list[dict[str, object]], baseline: dict[str, dict[str, object]]) -> None:
    print()
    print(
        "| population | path | backend | subscribers | bodies | queue s | send s | end-to-end s "
        "| msgs/s | vs baseline | CPU s (run (queue + send) / SMTP sink) "
        "| peak RSS MB (main / pool) | load | checks |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        e2e = float(r["queue_s"]) + float(r["send_s"])  # type: ignore[arg-type]
        base = baseline.get(str(r["backend"]))
        ratio = f"{rate(r) / rate(base):.1f}x" if base else "n/a"
        print(
            f"| {r['population']} | {r['path']} | {r['backend']} | {r['size']:,} "
            f"| {r['bodies']:,} | {r['queue_s']:.1f} "
            f"| {r['send_s']:.1f} | {e2e:.1f} | {rate(r):.0f} | {ratio} "
            f"| {r['cpu_s']:.0f} ({r['queue_cpu_s']:.0f} + {r['cpu_s'] - r['queue_cpu_s']:.0f}) "
            f"/ {r['sink_cpu_s']:.0f} "
            f"| {r['rss_mb']:.0f} / {r['pool_rss_mb']:.0f} | {r['load']} "
            f"| {'ok' if not r['problems'] else '; '.join(r['problems'])} |"  # type: ignore[arg-type]
        )
    print()
    for r in results:
        if r["path"] == "old":
            continue
        e2e = float(r["queue_s"]) + float(r["send_s"])  # type: ignore[arg-type]
        size = int(r["size"])  # type: ignore[call-overload]
        count = f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"
        label = f"{count} {'PG' if r['backend'] == 'postgresql' else 'SQLite'}"
        goal = GOALS.get((str(r["population"]), str(r["backend"]), int(r["size"])))  # type: ignore[call-overload]
        if goal is not None:
            verdict = "met" if e2e <= goal and not r["problems"] else "missed"
            print(f"goal: {r['population']} {r['path']} {label} {e2e:.0f} s <= {goal} s: {verdict}")
        base = baseline.get(str(r["backend"]))
        if base:
            ratio = rate(r) / rate(base)
            verdict = "met" if ratio >= TARGET_RATIO else "missed"
            print(
                f"goal: {label} {ratio:.1f}x today's end-to-end rate "
                f">= {TARGET_RATIO:.0f}x: {verdict}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--baseline", type=int, default=0, help="N: the old path at N too")
    parser.add_argument("--population", choices=KINDS, default="watchlist")
    parser.add_argument("--paths", default="once,overlap", help="full, once, overlap")
    parser.add_argument("--measure", nargs=3, metavar=("PATH", "URL", "PORT"), help="internal")
    args = parser.parse_args(argv)
    if args.measure:
        path, url, port = args.measure
        print(json.dumps(measure(path, url, int(port))))
        return 0
    load = os.getloadavg()
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} cores; load {load[0]:.1f}")
    results, baseline = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            if args.baseline:
                old = run_one("old", backend, args.baseline, Path(tmp), args.population)
                old["load"] = "-"
                baseline[backend] = old
                results.append(old)
            for size in (int(s) for s in args.sizes.split(",")):
                for path in args.paths.split(","):
                    load = os.getloadavg()[0]
                    results.append(run_one(path, backend, size, Path(tmp), args.population))
                    results[-1]["load"] = f"{load:.1f}-{os.getloadavg()[0]:.1f}"
                    print(
                        f"  done {path} {backend} {size}: {results[-1]['problems'] or 'ok'}",
                        flush=True,
                    )
    table(results, baseline)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
