"""Benchmark of the matcher: presearch-indexed Matcher against a naive baseline.

Run: ``.venv/bin/python -m bench.match`` (1,000 and 10,000 rules, a few
minutes) or ``--full`` to add 100,000 rules. Two sections: the usual mix of
rules, where matches per article grow with the rule count (each builds its
evidence), and a flat one, the smallest count of the usual mix plus rules
that match no article (names sharing the articles' family and middle names,
absent words paired with frequent ones), where the matches stay the same
and only the rule count grows. Prints, per rule count: compile
time, memory of the compiled rules (RSS and tracemalloc), per-article latency
(median, p95), articles per second, candidates per article (selected by the
presearch keys, then left after the substring test and verified), and the
ratio against the naive baseline measured in the same run: one compiled
regular expression per rule (every rule's terms as a ``\\b(?:...)\\b``
alternation over the folded text), every rule tried on every article.

Rules and articles are generated (seeded), French words with Zipf-like
frequencies, Vietnamese names, some glued text; nothing is read from disk.
A separate "archive" of generated articles stands for the stored articles:
its word shares choose each rule's presearch keys, as ``vnawatch match``
does from the real archive (``--keys guess`` uses the built-in guess
instead), and it is matched once before timing, as a running matcher has
already seen the vocabulary of the news (its word cache is warm).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import time
import tracemalloc
from datetime import UTC, datetime

import psutil

from alerts.evaluate import ArticleView
from alerts.matcher import Matcher, compile_rules, word_shares
from alerts.presearch import WordFrequencies
from alerts.query import Term, iter_terms
from alerts.text import fold
from config import Rule
from store.records import Article


def _words(text: str) -> list[str]:
    return text.split()


COMMON = _words(
    """le la les de des du un une et en à au aux pour par sur dans avec que qui est sont a ont
été être cette ce ces son sa ses leur leurs plus ainsi selon lors entre deux trois après avant
notamment également aussi très tout tous toutes afin comme mais ou où il elle ils elles on nous
vous se ne pas même depuis contre sous vers chez dont donc car si bien encore déjà"""
)
TOPICS = _words(
    """coopération développement économie investissement commerce exportation importation
sécurité défense frontière frontalière souveraineté mer île archipel pêche navire port
agriculture riz café caoutchouc industrie énergie électricité pétrole gaz charbon solaire éolien
santé hôpital vaccin épidémie éducation université étudiant école culture patrimoine festival
tourisme visiteur aéroport autoroute métro chemin transport logistique numérique technologie
innovation startup banque finance inflation croissance budget impôt douane accord traité sommet
délégation ambassadeur ministre président gouvernement assemblée parti congrès plénum résolution
élection député province ville district commune village delta fleuve montagne typhon inondation
sécheresse climat environnement forêt pollution déchets recyclage emploi salaire syndicat
entreprise usine textile chaussure électronique semiconducteur automobile moto vélo"""
)
FAMILY = _words("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
MIDDLE = _words("Văn Thị Minh Hữu Đức Thanh Xuân Quốc Công Đình Ngọc Hoài Phú Bảo Trọng")
GIVEN = _words(
    """An Bình Cường Dũng Giang Hà Hải Hiếu Hòa Hùng Hưng Khánh Khoa Lâm Linh Long Mai Nam
Nga Ngọc Nhân Phong Phúc Quang Sơn Tâm Thắng Thành Thảo Thu Tiến Trung Tú Tuấn Việt Vinh Yến
Châu Chính Diệp Hạnh Huệ Kiên Lộc Mẫn Nhàn Oanh Quý Sang Tín Toàn Uyên Vân Xuyến"""
)
PLACES = _words(
    """Hanoï Hô Chi Minh-Ville Da Nang Haiphong Cần Thơ Huế Nha Trang Quảng Ninh Lào Cai
Lạng Sơn Pékin Vientiane Phnom Penh Bangkok Tokyo Séoul Paris Moscou Washington Canberra
Singapour Jakarta Manille Kuala Lumpur New Delhi"""
)


def _synthetic_words(rng: random.Random, count: int) -> list[str]:
    """Extra French-looking topic words, so the vocabulary is as large as a real one."""
    heads = _words(
        """bor cal dé fra gli mar no pré ré sta tra vi con per pro sou ent inter
        sub hy mé ca lu pa fer gou cham bri"""
    )
    middles = _words("ba ci da fé ga li mo na ra si to vu lé mi po gra plu tor ve sé")
    tails = _words(
        """ation ique ement age eur isme ité ance oire iste ure ade ette ier iste
        al ien ible eux ant"""
    )
    found = {
        rng.choice(heads) + rng.choice(middles) + rng.choice(["", *middles]) + rng.choice(tails)
        for _ in range(count * 2)
    }
    words = sorted(found)
    rng.shuffle(words)  # no alphabetical bias in the Zipf ranks
    return words[:count]


class Corpus:
    """A seeded generator of names, articles and rules."""

    def __init__(self, seed: int = 4) -> None:
        self.rng = random.Random(seed)
        self.topics = TOPICS + _synthetic_words(self.rng, 30000)
        self.weights = [1 / (rank + 1) ** 1.1 for rank in range(len(self.topics))]  # Zipf

    def name(self) -> str:
        rng = self.rng
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"

    def topic(self, rare: bool = False) -> str:
        if rare:
            return self.rng.choice(self.topics[1000:])
        return self.rng.choices(self.topics, self.weights)[0]

    def sentence(self) -> str:
        rng = self.rng
        words = [rng.choice(COMMON) if rng.random() < 0.55 else self.topic() for _ in range(18)]
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), self.name())
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), rng.choice(PLACES))
        return " ".join(words).capitalize() + "."

    def article(self, number: int) -> Article:
        body = " ".join(self.sentence() for _ in range(self.rng.randint(20, 40)))
        if self.rng.random() < 0.1:  # the glued-words defect: a space lost every ~66 chars
            body = re.sub(r" (?=\S{0,20}$)", "", body)
            body = "".join(body[i : i + 66].replace(" ", "", 1) for i in range(0, len(body), 66))
        return Article(
            source=self.rng.choice(["vietnamplus", "lecourrier"]),
            article_id=str(number),
            url=f"https://example.vn/{number}.html",
            title=self.sentence(),
            summary=self.sentence(),
            body=body,
            published_at=datetime(2025, 1, 1, tzinfo=UTC),
            id=number,
        )

    def rule(self, number: int) -> Rule:
        return Rule(id=f"r{number}", name="r", query=self.query())

    def query(self) -> str:
        rng, kind = self.rng, self.rng.random()
        if kind < 0.35:
            return f'"{self.name()}"'
        if kind < 0.55:
            return f'"{self.name()}" AND ({self.topic()} OR {self.topic()})'
        if kind < 0.65:
            return f'"{self.topic(True)} {self.name()}"~10'
        if kind < 0.75:
            return f'{self.topic(True)}* OR "{self.topic(True)} {self.topic()}"'
        if kind < 0.9:
            return f"{self.topic(True)} AND {self.topic(True)} -{self.topic()}"
        return f'title:{self.topic(True)} OR ("{rng.choice(PLACES)}" AND {self.topic(True)})'


# no article word starts so (see _synthetic_words and the name lists)
ABSENT_HEADS = _words("zor kel yan wic xam qov juk huv yol zib")
ABSENT_TAILS = _words(
    """ation ique ement age eur isme ité ance oire iste ure ade ette ier al ant
    eau oir ise ude ence erie esse ine ule ive ole ace ois ard elle on"""
)


def absent_words(rng: random.Random, count: int) -> list[str]:
    """Distinct made-up words that no generated article holds, ``count`` of them.

    10 x 20 x 20 x 32 = 128,000 possible words, as long as the generated
    topic words (so the built-in guess, which goes by length, does not
    simply prefer them).
    """
    middles = _words("ba ci da fé ga li mo na ra si to vu lé mi po gra plu tor ve sé")
    found: set[str] = set()
    while len(found) < count:
        parts = [rng.choice(ABSENT_HEADS), *rng.choices(middles, k=2), rng.choice(ABSENT_TAILS)]
        found.add("".join(parts))
    return sorted(found)


def flat_rules(base: list[str], count: int, corpus: Corpus) -> list[Rule]:
    """``base`` (the usual mix) and rules up to ``count`` that match no generated article.

    The extra rules name people under the articles' own family and middle
    names ("Nguyễn Văn ..."), or pair an absent word with a frequent one, so
    the presearch meets shared keys; the matches per article stay those of
    ``base`` and what grows is the rule count alone.
    """
    rng = random.Random(count)
    extra = count - len(base)
    absent = absent_words(rng, max(1, extra))
    queries = list(base)
    for i in range(extra):
        word, kind = absent[i].capitalize(), i % 4
        if kind < 2:
            queries.append(f'"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {word}"')
        elif kind == 2:
            queries.append(f'"{word} {corpus.topic()}"')
        else:
            queries.append(f"{word} AND {corpus.topic()}")
    return [Rule(id=f"r{i}", name="r", query=query) for i, query in enumerate(queries)]


def naive_baseline(rules: list[Rule], matcher: Matcher) -> list[re.Pattern[str]]:
    """One regular expression per rule: its positive terms as a word-bounded alternation."""
    patterns = []
    for rule in matcher.rules:
        terms = [t for t, positive in iter_terms(rule.tree) if positive and isinstance(t, Term)]
        parts = [r"\s+".join(map(re.escape, t.words)) for t in terms]
        patterns.append(re.compile(r"\b(?:" + "|".join(parts) + r")\b"))
    assert len(patterns) == len(rules)
    return patterns


def _naive_match(patterns: list[re.Pattern[str]], article: Article) -> int:
    text = fold(" ".join([article.title, article.summary, article.body]))
    return sum(1 for pattern in patterns if pattern.search(text))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(
    rules: list[Rule],
    articles: list[Article],
    naive_articles: int,
    archive: list[Article],
    frequencies: WordFrequencies | None,
) -> dict[str, float]:
    count = len(rules)
    gc.collect()
    rss_before = psutil.Process().memory_info().rss
    started = time.perf_counter()
    matcher = compile_rules(rules, frequencies=frequencies)
    compile_s = time.perf_counter() - started
    rss_mb = (psutil.Process().memory_info().rss - rss_before) / 2**20
    gc.freeze()  # the compiled rules live as long as the process: keep them out of GC scans
    tracemalloc.start()
    compile_rules(rules[: min(count, 10_000)])  # traced on 10k at most (tracing is slow)
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20 * max(1, count / 10_000)
    tracemalloc.stop()
    for item in archive:  # not timed: a running matcher has seen the news vocabulary
        matcher.match(item)
    latencies, cpu, candidates, verified, matched = [], [], [], [], 0
    for item in articles:
        started, cpu_started = time.perf_counter(), time.thread_time()
        matched += len(matcher.match(item))
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        view = ArticleView(item)
        selected = matcher.index.candidates(view.vocabulary(), view.spaced())
        candidates.append(len(selected))
        verified.append(len(list(matcher.index.verified(selected, view.streams()))))
    patterns = naive_baseline(rules, matcher)
    naive = []
    for item in articles[:naive_articles]:
        started = time.perf_counter()
        _naive_match(patterns, item)
        naive.append((time.perf_counter() - started) * 1000)
    median = statistics.median(latencies)
    # the ratio compares the same articles: the baseline only runs on the first few
    same = statistics.median(latencies[:naive_articles])
    gc.unfreeze()
    return {
        "rules": count,
        "compile_s": compile_s,
        "rss_mb": rss_mb,
        "traced_mb": traced_mb,
        "median_ms": median,
        "p95_ms": _percentile(latencies, 0.95),
        "cpu_median_ms": statistics.median(cpu),
        "articles_per_s": len(articles) / (sum(latencies) / 1000),
        "candidates": statistics.median(candidates),
        "verified": statistics.median(verified),
        "matches_per_article": matched / len(articles),
        "naive_median_ms": statistics.median(naive),
        "speedup": statistics.median(naive) / same,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--naive-articles", type=int, default=20)
    parser.add_argument(
        "--archive", type=int, default=200, help="articles sampled for word shares and warm-up"
    )
    parser.add_argument(
        "--keys",
        choices=["archive", "guess"],
        default="archive",
        help="presearch keys chosen by the archive's word shares or by the built-in guess",
    )
    parser.add_argument("--full", action="store_true", help="also 100,000 rules")
    parser.add_argument(
        "--rules", type=int, nargs="+", help="rule counts to run (default 1000 10000)"
    )
    args = parser.parse_args(argv)
    counts = args.rules or [1_000, 10_000] + ([100_000] if args.full else [])
    corpus = Corpus()
    articles = [corpus.article(i) for i in range(args.articles)]
    archive = [corpus.article(args.articles + i) for i in range(args.archive)]
    frequencies = word_shares(archive) if args.keys == "archive" else None
    words = statistics.median(len(a.body.split()) for a in articles)
    print(f"{len(articles)} articles, median body {words:.0f} words")
    print(f"keys chosen by: {args.keys} ({len(archive)} archive articles, matched before timing)")
    _load("before")
    print("\nthe usual mix: every rule may match, so matches grow with the rule count")
    print(HEADER)
    for count in counts:
        rules = [corpus.rule(i) for i in range(count)]
        _report(run(rules, articles, args.naive_articles, archive, frequencies))
    print(f"\nflat: {min(counts):,} rules of the usual mix, the rest match no article")
    print(HEADER)
    base = [corpus.query() for _ in range(min(counts))]
    for count in counts:
        rules = flat_rules(base, count, corpus)
        _report(run(rules, articles, args.naive_articles, archive, frequencies))
    _load("after")


HEADER = (
    "rules    compile_s  rss_MB  traced_MB  median_ms  p95_ms  cpu_ms  art/s  "
    "candidates  verified  matches/art  naive_ms  speedup"
)


def _load(when: str) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} ({when})")


def _report(r: dict[str, float]) -> None:
    print(
        f"{r['rules']:<8.0f} {r['compile_s']:9.2f} {r['rss_mb']:7.1f} {r['traced_mb']:10.1f} "
        f"{r['median_ms']:10.3f} {r['p95_ms']:7.3f} {r['cpu_median_ms']:7.3f} "
        f"{r['articles_per_s']:6.0f} "
        f"{r['candidates']:11.0f} {r['verified']:9.0f} {r['matches_per_article']:12.2f} "
        f"{r['naive_median_ms']:9.1f} {r['speedup']:7.0f}x",
        flush=True,
    )


if __name__ == "__main__":
    main()
