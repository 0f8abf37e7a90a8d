"""Benchmark of the trends: the counting's cost in the match job, and the trends pages.

Run: ``.venv/bin/python -m bench.trends`` (SQLite) and ``--postgres URL`` for
PostgreSQL too (a scratch schema is created and dropped). Two parts, each
printing its figures and a ratio against a baseline measured in the same run:

1. Counting overhead. The same generated articles (``bench.search``'s French
   dispatches, ``--match-articles``, 3,000) go into two databases; the match
   job (:func:`alerts.jobs.match_new_articles`, 1,000 generated rules plus the
   leaders' rules, 20 watchlist entities) runs over each, once without
   counting (``count_trends=False``: the baseline) and once with it, then
   again after marking every article unmatched (a re-match, which replaces
   matches and hits). Compiling the rules is done before timing, for both.
   Printed: seconds of each run and the ratio with / without. Before it, the
   counting's own CPU per article (the entities' extra matching and the
   batch write of the hits) against the matching and ``replace_matches``,
   which a busy machine disturbs less than the job's wall time.
2. Pages. ``--articles`` (100,000) generated articles bulk-inserted; their
   trend hits are GENERATED, NOT MATCHED (matching 100,000 articles one
   transaction each takes longer than this bench should): each article
   counts for the leaders its text names and for 0-3 of the 1,000 rules drawn
   with Zipf weights; the counts are then built from the hits
   (``recount_trends``). Then the pages through the ASGI app (Starlette's test
   client, an operator logged in): entity and rule pages at 30, 90 and 365
   days, the compare view and the index, each URL once with the chart cache
   empty (cold) and once warm. p50/p95 per kind. Baseline: counting at each
   view, the matcher over the window's articles (what ``rule test`` does),
   measured over the last 30 days and extrapolated to 365; the count query is
   also timed against grouping the per-article hits at each view.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select, text, update
from starlette.testclient import TestClient

from alerts.jobs import match_new_articles
from alerts.matcher import compile_rules
from alerts.matching import compile_for_archive
from alerts.trends import entity_rules, rebuild_trends
from bench.match import Corpus
from bench.search import LEADERS, analyze, generate, insert_articles, percentile
from config import Config, Rule, parse_config
from store import Store, open_store
from store.models import ArticleRow, TrendHitRow
from store.records import ArticleTrend, TrendHit
from web.app import create_app
from web.charts import render_chart

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
KEY = b"bench-secret-key-0123456789abcdef0123456789"
PASSWORD = "bench-password"
OTHERS = [
    "Xi Jinping", "Li Qiang", "Wang Yi", "Emmanuel Macron", "Hun Manet", "Sonexay Siphandone",
    "Anwar Ibrahim", "Prabowo Subianto", "Narendra Modi", "Shigeru Ishiba", "Yoon Suk Yeol",
    "Anthony Albanese", "Ferdinand Marcos", "Lawrence Wong",
]  # fmt: skip


def bench_config(folder: str, rules: int = 1000) -> Config:
    """1,000 generated rules, the leaders' rules first; 20 entities in two watchlists."""
    corpus = Corpus(seed=23)
    leaders = "\n".join(
        f"      - {{id: l{i}, name: '{name}'}}" for i, (_office, name) in enumerate(LEADERS)
    )
    others = "\n".join(f"      - {{id: o{i}, name: '{name}'}}" for i, name in enumerate(OTHERS))
    lines = [f"  - {{id: leader{i}, name: L{i}, query: 'entity:l{i}'}}" for i in range(6)]
    lines += [
        f"  - {{id: r{i}, name: R{i}, query: '{corpus.query().replace(chr(39), chr(39) * 2)}'}}"
        for i in range(rules - 6)
    ]
    text = f"""
timezone: Asia/Ho_Chi_Minh
sources:
  vietnamplus: {{name: VietnamPlus, base_url: 'https://fr.vietnamplus.vn', credit: VNA,
                article_url_pattern: '-post(\\d+)\\.vnp$'}}
  lecourrier: {{name: Le Courrier du Vietnam, base_url: 'https://lecourrier.vn', credit: CVN,
               article_url_pattern: '/(\\d+)\\.html$'}}
  vietnamillustre: {{name: Le Vietnam Illustré, base_url: 'https://vietnamillustre.vn',
                    credit: VNA/VI, article_url_pattern: '/(\\d+)\\.html$'}}
watchlists:
  - id: dirigeants
    name: Dirigeants
    entities:
{leaders}
  - id: etrangers
    name: Dirigeants étrangers
    entities:
{others}
rules:
{chr(10).join(lines)}
subscribers: []
mail: {{backend: file, outbox_dir: {folder}, from_address: v@example.org,
       public_url: 'https://veille.example.org'}}
"""
    return parse_config(text, Path(folder) / "config.yaml")


@contextmanager
def database(url: str | None, folder: str, name: str) -> Iterator[Store]:
    """A migrated store: a SQLite file in ``folder``, or a scratch schema of ``url``."""
    if url is None:
        store = open_store(f"sqlite:///{folder}/{name}.db")
        store.upgrade()
        yield store
        store.close()
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    store = open_store(f"{url}?options=-csearch_path%3D{schema}")
    try:
        store.upgrade()
        yield store
    finally:
        store.close()
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


# --- 1. the counting's cost in the match job --------------------------------------


def timed_match(store: Store, config: Config, counting: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one match job."""
    started, cpu = time.perf_counter(), time.process_time()
    report = match_new_articles(store, config, now=datetime.now(UTC), count_trends=counting)
    assert report.errors == 0
    return time.perf_counter() - started, time.process_time() - cpu


def unmatch(store: Store, first_id: int, last_id: int) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            update(ArticleRow)
            .where(ArticleRow.id.between(first_id, last_id))
            .values(matched_at=None)
        )


def bench_counting(url: str | None, count: int, chunk: int = 250) -> None:
    """Chunks of articles matched in both databases in turn (the order alternating), so
    the machine's load weighs on both alike; then each chunk re-matched likewise."""
    with TemporaryDirectory() as folder:
        config = bench_config(folder)
        articles = generate(count, seed=5)
        now = datetime.now(UTC)
        totals = {(phase, counting): [0.0, 0.0] for phase in ("first", "again")
                  for counting in (False, True)}  # fmt: skip
        with database(url, folder, "plain") as plain, database(url, folder, "counted") as counted:
            stores = {False: plain, True: counted}
            counted.set_trend_timezone(config.timezone, now)  # no first-run rebuild
            insert_articles(plain, articles[:200], now)  # the presearch sample, then compile
            insert_articles(counted, articles[:200], now)
            compile_for_archive(plain, config, config.rules)
            compile_for_archive(counted, config, [*config.rules, *entity_rules(config.watchlists)])
            for phase in ("first", "again"):
                for i in range(0, count, chunk):
                    if phase == "first" and i:
                        for store in stores.values():
                            insert_articles(store, articles[i : i + chunk], now)
                    elif phase == "again":
                        for store in stores.values():
                            unmatch(store, i + 1, i + chunk)
                    order = (False, True) if (i // chunk) % 2 else (True, False)
                    for counting in order:
                        wall, cpu = timed_match(stores[counting], config, counting)
                        totals[phase, counting][0] += wall
                        totals[phase, counting][1] += cpu
            hits = counted.trend_totals("rule", date(2000, 1, 1), date(2100, 1, 1))
            dialect = plain.dialect
    print(f"{dialect}: match job over {count} articles in chunks of {chunk}, "
          f"{len(config.rules)} rules and 20 entities, {sum(hits.values())} rule hits")  # fmt: skip
    for phase, label in (("first", "first match"), ("again", "re-match   ")):
        (wall0, cpu0), (wall1, cpu1) = totals[phase, False], totals[phase, True]
        print(f"  {label}: without counting {wall0:.1f} s (CPU {cpu0:.1f}), with "
              f"{wall1:.1f} s (CPU {cpu1:.1f}): ratio {wall1 / wall0:.3f} wall, "
              f"{cpu1 / cpu0:.3f} CPU")  # fmt: skip
    wall = sum(totals[p, True][0] for p in ("first", "again")) / sum(
        totals[p, False][0] for p in ("first", "again")
    )
    print(f"  overhead of counting: {(wall - 1) * 100:+.1f} % of the match job (wall)")


def bench_components(url: str | None, count: int = 1000, batch: int = 200) -> None:
    """The counting's own CPU per article, against the rest of the job's (steadier than the
    job's wall time on a busy machine): the entities' extra matching and the batch write
    of the hits, against the matching and ``replace_matches``."""
    with TemporaryDirectory() as folder:
        config = bench_config(folder)
        with database(url, folder, "parts") as store:
            insert_articles(store, generate(count, seed=5), datetime.now(UTC))
            articles = list(store.iter_articles())
            plain = compile_for_archive(store, config, config.rules)
            counted = compile_for_archive(
                store, config, [*config.rules, *entity_rules(config.watchlists)]
            )
            cpu: dict[str, float] = {}
            for label, matcher in (("match", plain), ("match+entities", counted)) * 2:
                started = time.process_time()
                found = {a.id: matcher.match_counting(a) for a in articles}
                cpu[label] = time.process_time() - started  # the second round counts
            now = datetime.now(UTC)
            started = time.process_time()
            for a in articles:
                assert a.id is not None
                store.replace_matches(a.id, found[a.id][0], now)
            cpu["replace_matches"] = time.process_time() - started
            started = time.process_time()
            for i in range(0, len(articles), batch):
                store.replace_trend_hits([
                    ArticleTrend(a.id, a.published_day(ZONE),
                                 tuple(sorted({m.rule_id for m in found[a.id][0]})),
                                 tuple(found[a.id][1]))
                    for a in articles[i : i + batch] if a.id is not None
                ])  # fmt: skip
            cpu["trend write"] = time.process_time() - started
            dialect = store.dialect
    per = {label: seconds / len(articles) * 1000 for label, seconds in cpu.items()}
    job = per["match"] + per["replace_matches"]
    extra = per["match+entities"] - per["match"] + per["trend write"]
    print(f"{dialect}: CPU per article over {len(articles)} articles: match "
          f"{per['match']:.3f} ms, + entities {per['match+entities'] - per['match']:+.3f} ms, "
          f"replace_matches {per['replace_matches']:.3f} ms, trend write (batches of {batch}) "
          f"{per['trend write']:.3f} ms")  # fmt: skip
    print(f"  the counting's own CPU: {extra:.3f} ms an article, {extra / job * 100:.1f} % of "
          f"the job's matching and storing ({job:.3f} ms)")  # fmt: skip


# --- 2. the pages -----------------------------------------------------------------


def generate_hits(store: Store, config: Config, seed: int = 11) -> int:
    """Trend hits for every stored article: the leaders it names, 0-3 Zipf-drawn rules."""
    rng = random.Random(seed)
    rules = [rule.id for rule in config.rules]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(rules))]
    names = {
        e.id: e.name.replace("'", "’") for w in config.watchlists for e in w.entities
    }  # fmt: skip
    hits: list[TrendHit] = []
    written = 0
    for article in store.iter_articles(batch=2000):
        assert article.id is not None
        day = article.published_day(ZONE)
        text_ = f"{article.title} {article.summary} {article.body}"
        named = [key for key, name in names.items() if name in text_]
        hits += [TrendHit(article.id, "entity", key, day) for key in named]
        drawn = set(rng.choices(rules, weights, k=rng.choice([0, 0, 1, 1, 2, 3])))
        hits += [TrendHit(article.id, "rule", key, day) for key in drawn]
        if len(hits) > 20_000:
            store.add_trend_hits(hits)
            written, hits = written + len(hits), []
    store.add_trend_hits(hits)
    store.recount_trends(None)
    store.set_trend_timezone(config.timezone, datetime.now(UTC))
    analyze(store)
    return written + len(hits)


def operator_client(config: Config, store: Store, now: datetime) -> TestClient:
    os.environ["VNAWATCH_WEB_PASSWORD"] = PASSWORD
    client = TestClient(create_app(config, store, key=KEY, clock=lambda: now))
    page = client.get("/operator")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    login = client.post(
        "/operator/login",
        data={"csrf_token": token, "user": "admin", "password": PASSWORD},
        follow_redirects=False,
    )
    assert login.status_code == 303, login.text[:300]
    return client


def page_urls(config: Config, rng: random.Random) -> list[tuple[str, str]]:
    entities = [e.id for w in config.watchlists for e in w.entities]
    rules = [rule.id for rule in config.rules]
    urls = [("index", "/tendances")] * 3
    for days in (30, 90, 365):
        urls += [("entity", f"/tendances/entite/{k}?jours={days}") for k in rng.sample(entities, 6)]
        urls += [("rule", f"/tendances/regle/{k}?jours={days}") for k in rng.sample(rules, 20)]
        picked = "&".join(f"e={k}" for k in rng.sample(entities, 3))
        urls += [("compare", f"/tendances/comparer?{picked}&jours={days}")] * 2
    return urls


def time_pages(
    client: TestClient, urls: list[tuple[str, str]], cold: bool
) -> tuple[dict[str, list[float]], list[float]]:
    """Wall milliseconds per request by kind, and the process's CPU milliseconds of each
    (the app runs in this process: a busy machine stretches the wall time, less the CPU)."""
    found: dict[str, list[float]] = {}
    cpu: list[float] = []
    for kind, url in urls:
        if cold:
            render_chart.cache_clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = client.get(url)
        found.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
    return found, cpu


def grouped_from_hits(store: Store, kind: str, key: str, start: date, end: date) -> int:
    """A baseline count query: the daily series grouped from the hits at each view."""
    query = (
        select(TrendHitRow.day, func.count())
        .where(TrendHitRow.kind == kind, TrendHitRow.key == key)
        .where(TrendHitRow.day.between(start, end))
        .group_by(TrendHitRow.day)
    )
    with store.engine.connect() as connection:
        return len(connection.execute(query).all())


def scanned_ms(store: Store, config: Config, days: int, end: datetime) -> float:
    """The baseline a page would be without counts: the matcher over the window's articles
    (an entity's query), measured on the last 30 days and EXTRAPOLATED to ``days``."""
    matcher = compile_rules([Rule(id="probe", name="probe", query="entity:l0")], config.watchlists)
    started = time.perf_counter()
    articles = list(store.iter_articles(since=end - timedelta(days=30)))
    found = sum(bool(matcher.match(article)) for article in articles)
    assert found
    return (time.perf_counter() - started) * 1000 * days / 30


def bench_pages(url: str | None, count: int, *, rebuild: bool = False) -> None:
    with TemporaryDirectory() as folder:
        config = bench_config(folder)
        with database(url, folder, "pages") as store:
            started = time.perf_counter()
            insert_articles(store, generate(count), datetime.now(UTC))
            hits = generate_hits(store, config)
            built = time.perf_counter() - started
            span = store.published_range()
            assert span is not None
            now = span[1] + timedelta(hours=1)
            client = operator_client(config, store, now)
            urls = page_urls(config, random.Random(3))
            client.get("/tendances")  # the first request builds the app's caches
            cold, cold_cpu = time_pages(client, urls, cold=True)
            warm, warm_cpu = time_pages(client, urls, cold=False)
            end = span[1].astimezone(ZONE).date()
            queries = {"counts": [], "grouped hits": []}
            for rule in [r.id for r in config.rules][:200:10]:
                start = end - timedelta(days=364)
                began = time.perf_counter()
                store.daily_counts("rule", rule, start, end)
                queries["counts"].append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                grouped_from_hits(store, "rule", rule, start, end)
                queries["grouped hits"].append((time.perf_counter() - began) * 1000)
            scan = scanned_ms(store, config, 365, span[1])
            dialect = store.dialect
            # the first match after the upgrade counts the archive once (no matches are
            # stored here, so the rule hits come out empty: it measures the entities' part)
            rebuilt = rebuild_trends(store, config, now) if rebuild else None
    print(f"{dialect}: {count} articles, {hits} hits GENERATED (not matched), built in "
          f"{built:.0f} s; {len(urls)} page URLs, each cold then warm")  # fmt: skip
    for label, runs, cpu in (("cold", cold, cold_cpu), ("warm", warm, warm_cpu)):
        every = [ms for values in runs.values() for ms in values]
        parts = ", ".join(
            f"{kind} p95 {percentile(values, 0.95):.0f}" for kind, values in runs.items()
        )
        print(f"  {label}: p50 {percentile(every, 0.5):.0f} ms, p95 "
              f"{percentile(every, 0.95):.0f} ms ({parts}); CPU p50 "
              f"{percentile(cpu, 0.5):.0f} ms, p95 {percentile(cpu, 0.95):.0f} ms")  # fmt: skip
    counts, grouped = (statistics.median(v) for v in queries.values())
    print(f"  a 365-day series: read from the counts {counts:.1f} ms; grouped from the hits "
          f"{grouped:.1f} ms (ratio {grouped / counts:.1f}x); the matcher over the window's "
          f"articles (baseline, measured on 30 days, EXTRAPOLATED to 365) {scan:.0f} ms "
          f"(ratio {scan / counts:.0f}x)")  # fmt: skip
    warm_p95 = percentile([ms for values in warm.values() for ms in values], 0.95)
    print(f"  page p95 (warm) against the baseline's count alone: {scan / warm_p95:.0f}x")
    if rebuilt is not None:
        print(f"  the one-off count of the archive after the upgrade: {rebuilt}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--match-articles", type=int, default=3000)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="time the one-off archive count")
    parser.add_argument(
        "--skip", choices=["counting", "job", "pages"], action="append", default=[],
        help="counting: both counting parts; job: the whole match jobs only",
    )  # fmt: skip
    options = parser.parse_args(argv)
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    print(f"uptime: {load.strip()}")
    backends = [None] if not options.no_sqlite else []
    backends += [options.postgres] if options.postgres else []
    for url in backends:
        if "counting" not in options.skip:
            bench_components(url)
            if "job" not in options.skip:
                bench_counting(url, options.match_articles)
        if "pages" not in options.skip:
            bench_pages(url, options.articles, rebuild=options.rebuild)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
