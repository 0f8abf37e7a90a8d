"""Benchmark of the archive search: index pre-filter + verification, against a naive scan.

Run: ``.venv/bin/python -m bench.search`` (SQLite, 100,000 articles) and
``--postgres URL`` for PostgreSQL (a scratch schema is created and dropped);
``--articles N`` for another size. It generates an archive of French news in
the outlets' style (seeded; sentences made here, leaders' names with their
accents, a few rare words), inserts it in bulk, indexes it
(:func:`alerts.search.index_pending`), then runs ~20 typical queries (names,
phrases, AND/OR/NOT, fields, wildcards, rare and common words, a facet
filter, a query with no word to look up) through
:func:`alerts.search.search_archive` as the web page does, first page of 20.

It prints each query's median time, candidates and matches, then p50/p95 over
every run, and the ratio against the naive baseline measured in the same run:
the matcher over every article (``Matcher.match`` on each stored article,
read newest first). The baseline runs on a sample of the archive and is
extrapolated to the whole archive, and labelled so.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import create_engine, insert, text

from alerts.search import compile_query, index_pending, search_archive
from config import Config, parse_config
from store import Store, open_store
from store.articles import row_values_from_article
from store.models import ArticleRow
from store.records import Article

HANOI = timezone(timedelta(hours=7))
RUNS = 5
BASELINE_SAMPLE = 2000
CONFIG = """
timezone: Asia/Ho_Chi_Minh
sources:
  vietnamplus: {name: VietnamPlus, base_url: 'https://fr.vietnamplus.vn', credit: VNA,
                article_url_pattern: '-post(\\d+)\\.vnp$'}
  lecourrier: {name: Le Courrier du Vietnam, base_url: 'https://lecourrier.vn', credit: VNA/CVN,
               article_url_pattern: '/(\\d+)\\.html$'}
  vietnamillustre: {name: Le Vietnam Illustré, base_url: 'https://vietnamillustre.vn',
                    credit: VNA/VI, article_url_pattern: '/(\\d+)\\.html$'}
watchlists:
  - id: dirigeants
    name: Dirigeants
    entities:
      - {id: to_lam, name: Tô Lâm, aliases: [To Lam]}
      - {id: pham_minh_chinh, name: Phạm Minh Chính}
      - {id: luong_cuong, name: Lương Cường}
rules:
  - {id: bench, name: bench, query: Chine}
subscribers: []
mail: {backend: file, outbox_dir: OUTBOX, from_address: veille@example.org,
       public_url: 'https://veille.example.org'}
"""
LEADERS = [
    ("le secrétaire général", "Tô Lâm"),
    ("le Premier ministre", "Phạm Minh Chính"),
    ("le président", "Lương Cường"),
    ("le président de l'Assemblée nationale", "Trần Thanh Mẫn"),
    ("le vice-Premier ministre", "Bùi Thanh Sơn"),
    ("la vice-présidente", "Võ Thị Ánh Xuân"),
]
COUNTRIES = [
    "Chine", "Laos", "Cambodge", "Japon", "Corée", "France", "Allemagne", "Inde", "Australie",
    "Thaïlande",
]  # fmt: skip
PLACES = [
    "Hanoï", "Hô Chi Minh-Ville", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Huế", "Quảng Ninh",
    "Lào Cai", "Nghệ An", "Điện Biên",
]  # fmt: skip
TOPICS = """coopération économique|investissement étranger|exportation de riz|café robusta|
industrie des semiconducteurs|sécurité maritime|zone frontalière|transition énergétique|
tourisme international|santé publique|éducation numérique|infrastructures de transport|
agriculture verte|pêche durable|commerce électronique|patrimoine culturel|réforme administrative|
lutte contre la corruption|typhon et inondations|textile et chaussure""".replace("\n", "").split(
    "|"
)
VERBS = [
    "a reçu", "s'est entretenu avec", "a présidé une réunion sur", "a salué les progrès de",
    "a appelé à renforcer", "a inauguré un projet consacré à", "a souligné l'importance de",
]  # fmt: skip
FILLERS = [
    "Les deux parties ont convenu d'intensifier les échanges de délégations à tous les niveaux.",
    "Selon le ministère, les résultats du premier semestre dépassent les prévisions.",
    "Cette visite intervient à l'occasion du cinquantième anniversaire des relations.",
    "Les entreprises locales attendent des mesures concrètes pour les petites exploitations.",
    "Le Vietnam reste attaché à une politique extérieure d'indépendance et de multilatéralisme.",
    "Des experts estiment que la croissance pourrait atteindre sept pour cent cette année.",
    "La province a lancé un programme de formation destiné aux jeunes travailleurs.",
    "L'ASEAN joue un rôle central dans la stabilité de la région, a-t-il rappelé.",
    "Le montant total des investissements s'élève à plusieurs milliards de dollars.",
    "Les autorités ont mobilisé des moyens importants pour soutenir les habitants.",
]
RARE = ["Zorvesiure", "Kelmardine", "Trovalène", "Quintabex", "Sarnoville", "Vimexco"]
SECTIONS = ["Politique", "Économie", "Société", "Culture", "Monde", "Environnement"]
QUERIES = [
    '"Tô Lâm"',
    "To Lam",
    '"Phạm Minh Chính" AND Japon',
    '"Lương Cường" AND (Laos OR Cambodge)',
    '"Tô Lâm" AND Chine',
    "Chine OR Laos",
    "coopération AND NOT Chine",
    "title:ASEAN",
    "semiconduct*",
    "frontali*",
    '"Bùi Thanh Sơn" AND (Japon OR Corée)',
    "Zorvesiure",
    "Kelmardine AND café",
    "Vietnam",
    '"Assemblée nationale"',
    "section:Économie AND investissement",
    "source:lecourrier AND riz",
    '"Tô Lâm Chine"~10',
    "@dirigeants AND Australie",
    "entity:to_lam AND typhon",
    "(typhon OR inondations) AND NOT Hanoï",
    "exportation AND café AND Allemagne",
    "北京 OR Pékin",  # a word outside the index (another script): a bounded scan
]


def generate(count: int, seed: int = 17) -> list[Article]:
    """``count`` articles over about three years, newest last."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 6, tzinfo=HANOI)
    step = timedelta(days=3 * 365) / count
    sources = ["vietnamplus", "lecourrier", "vietnamillustre"]
    return [_article(rng, n, sources[n % 3], start + n * step) for n in range(count)]


def _article(rng: random.Random, n: int, source: str, published: datetime) -> Article:
    """One dispatch: a main leader, country, place and topic, a second leader now and
    then, sentences of the house style around them, a rare name in a few."""
    office, name = rng.choice(LEADERS) if rng.random() < 0.6 else ("", "")
    country, place, topic = rng.choice(COUNTRIES), rng.choice(PLACES), rng.choice(TOPICS)
    facts = [
        f"À {place}, {office} {name} {rng.choice(VERBS)} la {topic} avec la délégation de "
        f"{country}."
        if name
        else f"À {place}, les autorités ont présenté un plan sur la {topic}.",
        f"Les échanges avec {country} dans le domaine de la {rng.choice(TOPICS)} progressent.",
    ]
    if rng.random() < 0.2:
        other_office, other = rng.choice(LEADERS)
        facts.append(f"Auparavant, {other_office} {other} avait visité {rng.choice(PLACES)}.")
    if rng.random() < 0.01:
        facts.append(f"Le groupe {rng.choice(RARE)} prévoit d'investir dans la {topic}.")
    body = facts + rng.sample(FILLERS, k=rng.randint(4, len(FILLERS)))
    rng.shuffle(body)
    lead = f"{place} (VNA) – " + (f"{office.capitalize()} {name} " if name else "Le gouvernement ")
    title = f"{name or place} et {country} : {topic}"
    return Article(
        url=f"https://example.org/{source}/{n}.html",
        source=source,
        article_id=str(n),
        title=title,
        summary=f"{lead}{rng.choice(VERBS)} la {topic}.",
        body=" ".join(body),
        published_at=published,
        section=rng.choice(SECTIONS),
        content_hash=f"h{n}",
    )


def insert_articles(store: Store, articles: list[Article], now: datetime) -> None:
    """Bulk insert (the bench's own shortcut past ``save_article``'s one-by-one checks)."""
    rows = []
    for article in articles:
        values = row_values_from_article(article, now)
        values.update(first_seen_at=now, backfill=False)
        rows.append(values)
    with store.engine.begin() as connection:
        for i in range(0, len(rows), 2000):
            connection.execute(insert(ArticleRow), rows[i : i + 2000])
    analyze(store)


def analyze(store: Store) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) gives a running database."""
    with store.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_queries(store: Store, config: Config) -> list[float]:
    """Each query RUNS times (a warm-up first); prints a line per query."""
    samples: list[float] = []
    print(f"  {'query':44} {'median ms':>9} {'candidates':>10} {'found':>7}")
    for query in QUERIES:
        search_archive(store, config, query)
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            result = search_archive(store, config, query)
            times.append((time.perf_counter() - started) * 1000)
        samples.extend(times)
        found = f"{result.found}{'' if result.complete else '+'}"
        candidates = "scan" if result.candidates is None else str(result.candidates)
        candidates += "+" if result.more_candidates else ""
        print(f"  {query:44} {statistics.median(times):9.1f} {candidates:>10} {found:>7}")
    filtered = []
    for _ in range(RUNS):
        started = time.perf_counter()
        search_archive(store, config, '"Tô Lâm"', source="lecourrier", page=3)
        filtered.append((time.perf_counter() - started) * 1000)
    label = '"Tô Lâm", one outlet (facet), page 3'
    print(f"  {label:44} {statistics.median(filtered):9.1f}")
    return samples + filtered


def baseline_ms(store: Store, config: Config, total: int) -> float:
    """Milliseconds per query of the naive path: read and match every article.

    Measured on the newest BASELINE_SAMPLE articles, extrapolated to ``total``.
    """
    matchers = [compile_query(config, query) for query in QUERIES]
    started = time.perf_counter()
    articles = store.newest_articles(BASELINE_SAMPLE)
    read = time.perf_counter() - started
    started = time.perf_counter()
    for matcher in matchers:
        for article in articles:
            matcher.match(article)
    matched = (time.perf_counter() - started) / len(matchers)
    return (read + matched) * 1000 * total / len(articles)


def bench(url: str, count: int) -> None:
    with TemporaryDirectory() as folder:
        config = parse_config(CONFIG.replace("OUTBOX", folder), Path(folder) / "config.yaml")
        store = open_store(url)
        store.upgrade()
        now = datetime.now(UTC)
        started = time.perf_counter()
        insert_articles(store, generate(count), now)
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        index_pending(store)
        indexed = time.perf_counter() - started
        analyze(store)
        print(f"{store.dialect}: {count} articles inserted in {inserted:.0f} s, "
              f"indexed in {indexed:.0f} s")  # fmt: skip
        samples = run_queries(store, config)
        p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
        naive = baseline_ms(store, config, count)
        store.close()
    print(f"{url.split(':')[0]}: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(samples)} searches")
    print(
        f"  baseline (matcher over every article; measured on {BASELINE_SAMPLE} articles, "
        f"EXTRAPOLATED to {count}): {naive:.0f} ms per query; ratio at p95: {naive / p95:.0f}x"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true")
    options = parser.parse_args(argv)
    if not options.no_sqlite:
        with TemporaryDirectory() as folder:
            bench(f"sqlite:///{folder}/bench.db", options.articles)
    if options.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(options.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
        try:
            bench(f"{options.postgres}?options=-csearch_path%3D{schema}", options.articles)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema "{schema}" cascade'))
            admin.dispose()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
