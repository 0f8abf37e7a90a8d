"""Benchmark of ``vnawatch names``: rising names over a large archive, against a naive scan.

Run: ``.venv/bin/python -m bench.names`` (SQLite, 100,000 articles) and
``--postgres URL`` for PostgreSQL (a scratch schema, dropped after);
``--articles N`` for another size. It generates an archive in the outlets'
style (seeded; sentences made here, two thousand Vietnamese names built from
common surnames, middle and given names, with and without their accents,
foreign names, photo credits and the glued-word defects), every article
inside the names window: ``--since 7d`` and the 28 days before, so the run
reads all of them. It times :func:`alerts.rising.rising_names` as the
command runs it (store read, extraction, ranking), best of 3.

Baseline, measured in the same run: the first way one would write it, the
articles read as full records (``Store.iter_articles``), each text split on
spaces and every capitalised run folded word by word with unicodedata, no
regex pass and no cache. It runs on a sample and is extrapolated, and
labelled so.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import unicodedata
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import create_engine, text

from alerts.rising import rising_names
from bench.search import CONFIG, insert_articles
from config import Config, parse_config
from store import Store, open_store
from store.records import Article

RUNS = 3
BASELINE_SAMPLE = 10_000
DAYS = 35  # the window (7 days) and its baseline (28)
SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLES = [
    "Văn",
    "Thị",
    "Minh",
    "Đức",
    "Thanh",
    "Quốc",
    "Hữu",
    "Xuân",
    "Hồng",
    "Ngọc",
    "Anh",
    "Công",
]
GIVENS = [
    "Hùng",
    "Dũng",
    "Cường",
    "Hải",
    "Lan",
    "Hương",
    "Tuấn",
    "Sơn",
    "Nam",
    "Phúc",
    "Thắng",
    "Long",
    "Trung",
    "Hà",
    "Mai",
    "Bình",
    "Tâm",
    "Khánh",
    "Vinh",
    "Hiếu",
    "Quang",
    "Thành",
    "Tùng",
    "Linh",
]
FOREIGN = [
    "Jean-Noël Barrot", "Marie Dufresne", "Olaf Brandt", "Kenji Watanabe", "Park Min-jun",
    "Sonexay Siphandone", "Hun Manet", "Anwar Ibrahim", "Ferdinand Marcos", "Wang Yi",
    "Li Qiang", "Antonio Guterres", "Ursula Lindqvist", "Pierre Martel", "Hélène Carbonnier",
]  # fmt: skip
PLACES = [
    "Hanoï", "Hô Chi Minh-Ville", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Quảng Ninh", "Lào Cai",
    "Nghệ An", "Bà Rịa-Vũng Tàu", "Thừa Thiên-Huế",
]  # fmt: skip
OFFICES = [
    "le vice-ministre des Affaires étrangères", "l'ambassadeur du Vietnam en France",
    "le président du Comité populaire provincial", "la directrice du département",
    "le secrétaire du Comité du Parti de la province", "le ministre de l'Industrie",
]  # fmt: skip
SENTENCES = [
    "Les deux parties ont passé en revue la coopération dans les domaines de l'économie,"
    " du commerce et de l'investissement.",
    "Selon le ministère, les exportations du premier semestre ont dépassé les prévisions.",
    "Le Vietnam reste attaché à une politique extérieure d'indépendance et d'autonomie.",
    "La province a lancé un programme de formation destiné aux jeunes travailleurs ruraux.",
    "Des experts estiment que la croissance pourrait atteindre sept pour cent cette année.",
    "Les autorités locales ont mobilisé des moyens importants pour soutenir les habitants.",
    "Lors de la séance, les délégués ont débattu du projet de loi sur le foncier.",
    "Le Courrier du Vietnam rappelle que le projet avait été approuvé l'an dernier.",
]


def vietnamese_names(rng: random.Random, count: int = 2000) -> list[str]:
    names = {
        f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}" for _ in range(count)
    }
    return sorted(names)


def ascii_form(name: str) -> str:
    """The outlets often write names without their accents."""
    folded = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def generate(count: int, now: datetime, seed: int = 23) -> list[Article]:
    """``count`` articles spread over the 35 days before ``now``, oldest first; a few
    names are planted to rise in the last week."""
    rng = random.Random(seed)
    people = vietnamese_names(rng) + FOREIGN
    rising = people[:5]
    step = timedelta(days=DAYS) / count
    start = now - timedelta(days=DAYS)
    window = now - timedelta(days=7)
    articles = []
    for n in range(count):
        published = start + (n + 0.5) * step
        cast = [rng.choice(people) for _ in range(rng.randint(1, 4))]
        if published >= window and rng.random() < 0.05:
            cast.append(rng.choice(rising))
        articles.append(_article(rng, n, published, cast))
    return articles


def _mention(rng: random.Random, name: str) -> str:
    spelled = ascii_form(name) if rng.random() < 0.4 else name
    if rng.random() < 0.02:  # the outlets' glue: "Nguyen Van Hunga insisté"
        return spelled + "a insisté sur"
    return f"{rng.choice(OFFICES)} {spelled} a souligné"


def _article(rng: random.Random, n: int, published: datetime, cast: list[str]) -> Article:
    place = rng.choice(PLACES)
    sentences = [
        f"{place}, {published.day} décembre (VNA) – Selon {cast[0]}, la réunion a eu lieu."
    ]
    for name in cast:
        sentences.append(f"À {rng.choice(PLACES)}, {_mention(rng, name)} l'importance du projet.")
        sentences += rng.sample(SENTENCES, k=3)
    sentences.append(f"Photo : {rng.choice(cast)}/VNA")
    source = ("vietnamplus", "lecourrier", "vietnamillustre")[n % 3]
    return Article(
        url=f"https://example.org/{source}/{n}.html",
        source=source,
        article_id=str(n),
        title=f"{cast[0]} reçoit une délégation à {place}",
        summary=f"{place} (VNA) – {cast[-1]} a présidé une séance de travail.",
        body=" ".join(sentences),
        published_at=published,
        section="Politique",
        content_hash=f"h{n}",
    )


def naive_count(store: Store, since: datetime, now: datetime, limit: int) -> float:
    """The naive tally over ``limit`` articles; its seconds."""
    started = time.perf_counter()
    current: Counter[str] = Counter()
    for i, article in enumerate(store.iter_articles(since=since - timedelta(days=28), until=now)):
        if i >= limit:
            break
        found: set[str] = set()
        run: list[str] = []
        for word in f"{article.title} {article.summary} {article.body} .".split():
            clean = word.strip(".,;:()«»\"'")
            if clean[:1].isupper() and clean[1:].islower() and clean == word:
                run.append(clean)
                continue
            if len(run) >= 2:
                found.add(" ".join(_naive_fold(w) for w in run))
            run = [clean] if clean[:1].isupper() and clean[1:].islower() else []
        current.update(found)
    return time.perf_counter() - started


def _naive_fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def bench(url: str, count: int, config: Config) -> None:
    store = open_store(url)
    store.upgrade()
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    insert_articles(store, generate(count, now), now)
    print(f"{store.dialect}: {count:,} articles inserted in {time.perf_counter() - started:.0f} s")
    since = now - timedelta(days=7)
    timings = []
    cpu = []
    for _ in range(RUNS):
        started, cpu_started = time.perf_counter(), time.process_time()
        report = rising_names(store, config, since, now)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    sample = min(BASELINE_SAMPLE, count)
    naive = naive_count(store, since, now, sample) * count / sample
    store.close()
    best = min(timings)
    print(
        f"  rising_names over {report.articles + report.baseline_articles:,} articles: "
        f"best {best:.1f} s of {RUNS} ({', '.join(f'{t:.1f}' for t in timings)}; this "
        f"process's CPU {min(cpu):.1f} s); "
        f"top: {', '.join(n.name for n in report.rising[:5])}"
    )
    print(
        f"  baseline (naive split-and-fold; measured on {sample:,} articles, EXTRAPOLATED to "
        f"{count:,}): {naive:.1f} s; ratio {naive / best:.1f}x"
    )


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true")
    options = parser.parse_args(argv)
    print(f"load average before: {load_average()}")
    with TemporaryDirectory() as folder:
        config = parse_config(CONFIG.replace("OUTBOX", folder), Path(folder) / "config.yaml")
        if not options.no_sqlite:
            bench(f"sqlite:///{folder}/bench.db", options.articles, config)
    if options.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(options.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
        try:
            bench(f"{options.postgres}?options=-csearch_path%3D{schema}", options.articles, config)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema "{schema}" cascade'))
            admin.dispose()
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
