"""Benchmark: what the digests' volume lines and the spike job cost.

    .venv/bin/python -m bench.volumes                 # 1,000 subscribers, SQLite
    .venv/bin/python -m bench.volumes --subscribers 5000 --rounds 5

One SQLite database gets ``bench.population``'s articles, matches and
subscribers (all daily digests due at ``NOW``), and its trend counts are
built (``rebuild_trends``). Then, on fresh copies of that file, rounds of
``queue_due_digests`` (one process, so the render pool's start-up does not
blur the figure) alternate between the real job and the same job with the
volume reads and lines turned off (the baseline, measured in the same run).
Printed: the median seconds of each and their ratio. Then the spike job
(``queue_spike_alerts``) with every subscriber asking for spike alerts,
median seconds per run (it reads the counts of every rule once a run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("VNAWATCH_SECRET_KEY", "benchmark-only-key")

from sqlalchemy import update

import alerts.queueing
from alerts.jobs import queue_due_digests, queue_spike_alerts
from alerts.trends import rebuild_trends
from bench.population import NOW, bench_config, populate
from store import open_store
from store.models import SubscriberRow


@contextmanager
def volumes_off() -> Iterator[None]:
    """The baseline: the queueing job without the volume reads (and so without the lines)."""
    real = alerts.queueing.VolumeCache.of
    alerts.queueing.VolumeCache.of = lambda self, rule_ids, frequency: ()  # type: ignore[method-assign]
    try:
        yield
    finally:
        alerts.queueing.VolumeCache.of = real  # type: ignore[method-assign]


def queue_seconds(template: Path, work: Path, outbox: str) -> float:
    """One digest run on a fresh copy of ``template``; its seconds."""
    shutil.copyfile(template, work)
    store = open_store(f"sqlite:///{work}")
    try:
        started = time.perf_counter()
        report = queue_due_digests(store, bench_config(9, outbox), now=NOW, processes=1)
        seconds = time.perf_counter() - started
        assert report.errors == 0 and report.queued > 0, report
        return seconds
    finally:
        store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        template, work = Path(scratch) / "template.db", Path(scratch) / "work.db"
        outbox = str(Path(scratch) / "outbox")
        store = open_store(f"sqlite:///{template}")
        store.upgrade()
        populate(store, args.subscribers)
        print(rebuild_trends(store, bench_config(9, outbox), NOW))
        store.close()
        with_lines: list[float] = []
        without: list[float] = []
        for _ in range(args.rounds):
            with_lines.append(queue_seconds(template, work, outbox))
            with volumes_off():
                without.append(queue_seconds(template, work, outbox))
        on, off = statistics.median(with_lines), statistics.median(without)
        print(f"digests={args.subscribers} rounds={args.rounds}")
        print(f"queue_due_digests with volume lines: {on:.2f} s (median)")
        print(f"queue_due_digests without (baseline): {off:.2f} s (median)")
        print(f"ratio with / without: {on / off:.3f}")
        shutil.copyfile(template, work)
        store = open_store(f"sqlite:///{work}")
        with store.engine.begin() as connection:
            connection.execute(update(SubscriberRow).values(spike_alerts=True))
        spikes = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            queue_spike_alerts(store, bench_config(9, outbox), now=NOW)
            spikes.append(time.perf_counter() - started)
        store.close()
        print(f"queue_spike_alerts, {args.subscribers} asking: {statistics.median(spikes):.3f} s")
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
