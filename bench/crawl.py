"""Crawl benchmark: the real crawl pipeline against a plain Scrapy download of the same pages.

    .venv/bin/python bench/crawl.py                  # 1,000 article pages
    .venv/bin/python bench/crawl.py --pages 500      # quicker

Writes N generated article pages and a sitemap listing them into a temporary
directory, serves it with ``demo.localsite`` in a child process, then runs
in the same invocation:

1. the floor: a plain Scrapy spider that reads the sitemap and downloads every
   page, doing nothing with them (same Scrapy settings: concurrency, timeouts);
2. the real thing: ``crawler.run.crawl`` (child process, discovery, store
   look-up, extraction, validate/normalise/store pipelines) into SQLite;
3. extraction alone, CPU per page, on the generated pages and on the sample
   site's article pages: with the cross-check (every selector body held
   against trafilatura) beside the path before it (``check_selectors=False``:
   the first selector body wins unchecked), and their ratio.

Both use the settings a real crawl uses (``crawler.settings.settings_for``:
two concurrent requests per host, no delay here). It prints pages/s from
Scrapy's own ``elapsed_time_seconds``, the wall time including the child
process start, the CPU time per page of the crawl process, peak RSS (Scrapy's
``memusage/max``) and the ratios real/floor.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scrapy
from scrapy.crawler import CrawlerProcess

import config as config_module
from crawler import feeds
from crawler.extract import extract_article
from crawler.run import crawl
from crawler.settings import settings_for
from demo.sitegen import Entry, article_page, sitemap
from store import open_store

ROOT = Path(__file__).resolve().parents[1]
HANOI = timezone(timedelta(hours=7))
SENTENCE = (
    "le Vietnam et la Chine renforcent leur coopération commerciale frontalière dans la "
    "province de Lang Son selon le ministère de l'Industrie et du Commerce qui a publié "
    "mardi les chiffres des dix premiers mois de l'année"
)


def write_site(root: Path, pages: int) -> None:
    """``pages`` article pages under /lecourrier/ and a sitemap of them."""
    words = SENTENCE.split()
    entries = []
    start = datetime(2026, 11, 1, 8, 0, tzinfo=HANOI)
    for n in range(pages):
        article_id = 1_400_000 + n
        path = f"/lecourrier/article-de-test-{n}/{article_id}.html"
        published = start + timedelta(minutes=10 * n)
        body = "\n\n".join(
            "Hanoï (VNA) – " + " ".join(words[(n + k) % 7 :] + words[: (n + k) % 7]) + "."
            for k in range(8)
        )
        title = f"Article de test numéro {n} sur la coopération"
        page = root / path.lstrip("/")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(article_page(title, published, body, "Chapô de l'article."), "utf-8")
        entries.append(Entry(path, title, published))
    (root / "lecourrier").mkdir(parents=True, exist_ok=True)
    (root / "lecourrier/sitemap.xml").write_text(sitemap(entries), "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")


def bench_config(site_url: str, database_url: str) -> config_module.Config:
    base = config_module.load_config(ROOT / "config.yaml")
    source = base.sources["lecourrier"].model_copy(
        update={
            "base_url": f"{site_url}/lecourrier",
            "feeds": [],
            "sitemaps": [f"{site_url}/lecourrier/sitemap.xml"],
            "listings": [],
            "backfill_days": 36500,
        }
    )
    crawl_settings = config_module.Crawl(
        download_delay_seconds=0, autothrottle=False, retry_times=0, timeout_seconds=30
    )
    return base.model_copy(
        update={
            "database_url": database_url,
            "sources": {"lecourrier": source},
            "crawl": crawl_settings,
        }
    )


class FloorSpider(scrapy.Spider):
    """Download the sitemap's pages and nothing else."""

    name = "floor"

    def __init__(self, sitemap_url: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sitemap_url = sitemap_url

    async def start(self) -> Any:
        yield scrapy.Request(self.sitemap_url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: scrapy.http.Response) -> Any:
        for link in feeds.sitemap_links(response.body).articles:
            yield scrapy.Request(response.urljoin(link), callback=self.parse_page)

    def parse_page(self, response: scrapy.http.Response) -> None:
        return None


def run_floor(site_url: str, out: Path) -> None:
    """Child side of the floor run: crawl, then write Scrapy's stats as JSON."""
    cfg = bench_config(site_url, "sqlite://")
    settings = settings_for(cfg)
    settings.update(ITEM_PIPELINES={}, LOG_LEVEL="WARNING")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(FloorSpider)
    process.crawl(crawler, sitemap_url=f"{site_url}/lecourrier/sitemap.xml")
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    out.write_text(json.dumps({k: v for k, v in stats.items() if isinstance(v, int | float)}))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_floor(site_url: str, workdir: Path) -> tuple[dict[str, Any], float, float]:
    """Scrapy stats, wall seconds and CPU seconds of the floor crawl."""
    out = workdir / "floor.json"
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, __file__, "--floor", site_url, str(out)], check=True, cwd=ROOT)
    return json.loads(out.read_text()), time.perf_counter() - started, _children_cpu() - cpu


def measure_pipeline(site_url: str, workdir: Path) -> tuple[dict[str, Any], float, float, int]:
    """Scrapy stats, wall seconds, CPU seconds and articles stored of the real crawl."""
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    store = open_store(database_url)
    store.upgrade()
    cfg = bench_config(site_url, database_url)
    started, cpu = time.perf_counter(), _children_cpu()
    report = crawl(cfg, "lecourrier")
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    stored = store.count_articles("lecourrier")
    store.close()
    return report.stats["lecourrier"], wall, cpu, stored


EXTRACT_ROUNDS = 3


def extraction_pages(site: Path) -> list[tuple[bytes, str, str]]:
    """(html, url, source) of the generated pages and of the sample site's articles."""
    pages = [
        (p.read_bytes(), "http://127.0.0.1/" + p.name, "lecourrier") for p in site.rglob("*.html")
    ]
    for case in json.loads((ROOT / "tests/fixtures/articles/expected.json").read_text("utf-8")):
        if case["path"].startswith("demo/"):
            pages.append(((ROOT / case["path"]).read_bytes(), case["url"], case["source"]))
    return pages


def measure_extraction(pages: list[tuple[bytes, str, str]], *, check: bool) -> float:
    """CPU seconds per page of ``extract_article``, best of a few rounds."""
    sources = config_module.load_config(ROOT / "config.yaml").sources
    best = float("inf")
    for _ in range(EXTRACT_ROUNDS):
        started = time.process_time()
        for html, url, source in pages:
            extract_article(html, url, sources[source], check_selectors=check)
        best = min(best, (time.process_time() - started) / len(pages))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--floor", nargs=2, metavar=("SITE_URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        run_floor(args.floor[0], Path(args.floor[1]))
        return
    with tempfile.TemporaryDirectory(prefix="vnawatch-bench-") as tmp:
        workdir = Path(tmp)
        write_site(workdir / "site", args.pages)
        server = subprocess.Popen(
            [sys.executable, "-m", "demo.localsite", str(workdir / "site")],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            assert server.stdout is not None
            site_url = server.stdout.readline().strip()
            floor = measure_floor(site_url, workdir)
            real = measure_pipeline(site_url, workdir)
        finally:
            server.kill()
            server.wait()
        pages = extraction_pages(workdir / "site")
        before = measure_extraction(pages, check=False)
        checked = measure_extraction(pages, check=True)
    report(args.pages, floor, real)
    print(
        f"  extraction, {len(pages)} pages: before the cross-check {1000 * before:5.2f} ms/page, "
        f"with it {1000 * checked:5.2f} ms/page, ratio {checked / before:.2f}"
    )


def report(
    pages: int,
    floor: tuple[dict[str, Any], float, float],
    real: tuple[dict[str, Any], float, float, int],
) -> None:
    (floor_stats, floor_wall, floor_cpu), (real_stats, real_wall, real_cpu, stored) = floor, real
    floor_rate = pages / floor_stats["elapsed_time_seconds"]
    real_rate = stored / real_stats["elapsed_time_seconds"]
    mib = 1024 * 1024
    print(f"crawl benchmark: {pages} article pages, one host, {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"  floor (plain Scrapy download): {floor_rate:7.1f} pages/s    "
        f"engine {floor_stats['elapsed_time_seconds']:6.2f}s  wall {floor_wall:6.2f}s  "
        f"cpu {1000 * floor_cpu / pages:5.1f} ms/page  "
        f"peak RSS {floor_stats.get('memusage/max', 0) / mib:.0f} MiB"
    )
    print(
        f"  vnawatch crawl (stored)      : {real_rate:7.1f} articles/s "
        f"engine {real_stats['elapsed_time_seconds']:6.2f}s  wall {real_wall:6.2f}s  "
        f"cpu {1000 * real_cpu / max(stored, 1):5.1f} ms/page  "
        f"peak RSS {real_stats.get('memusage/max', 0) / mib:.0f} MiB  stored={stored}"
    )
    print(
        f"  ratio vnawatch/floor: throughput {real_rate / floor_rate:.2f}, "
        f"cpu per page {(real_cpu / max(stored, 1)) / (floor_cpu / pages):.2f}"
    )


if __name__ == "__main__":
    main()
