"""Extraction against peer extractors on generated layouts (tests/crawler/layouts.py).

    .venv/bin/python bench/extract_peers.py               # 500 pages
    .venv/bin/python bench/extract_peers.py --pages 100   # quicker

Renders N pages with the layout generator (the same seeds as the property test
in tests/crawler/test_layouts.py), then runs, in one invocation and on the same
pages: trafilatura (default, and ``favor_precision``), readability-lxml,
jusText, goose3, resiliparse and vnawatch (``extract_article`` with a source that
has no selectors). For each it prints the share of pages whose first and last
article paragraph are in the output (for a photo article, its caption), the share
with no box text in the output ("clean"), the pages with no text at all ("lost";
for vnawatch: extraction failed or no title) and CPU milliseconds per page
(``time.process_time``), as a Markdown table, then vnawatch's CPU per page
against trafilatura's precision mode. The peers need the ``bench`` extra:
``pip install -U pip && pip install -e '.[test,bench]'`` (pip 23.2, which
Python 3.11's venv brings, fails to resolve readability-lxml's ``lxml[html-clean]``
beside trafilatura's ``lxml[html_clean]``; pip 26 does).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import justext
import lxml.html
import trafilatura
from goose3 import Goose
from readability import Document
from resiliparse.extract.html2text import extract_plain_text

import config
from crawler.extract import extract_article
from tests.crawler.layouts import FIRST_SEED, Page, generate, judge

# (text, captions, stored) for one page
Extracted = tuple[str, tuple[str, ...], bool]


def _text(text: str | None) -> Extracted:
    return text or "", (), bool(text and text.strip())


def run_trafilatura(page: Page) -> Extracted:
    return _text(trafilatura.extract(page.html))


def run_trafilatura_precision(page: Page) -> Extracted:
    return _text(trafilatura.extract(page.html, favor_precision=True))


def run_readability(page: Page) -> Extracted:
    summary = Document(page.html).summary(html_partial=True)
    return _text(" ".join(lxml.html.fromstring(summary).itertext()) if summary.strip() else "")


STOPLIST = justext.get_stoplist("French")


def run_justext(page: Page) -> Extracted:
    paragraphs = justext.justext(page.html.encode("utf-8"), STOPLIST, encoding="utf-8")
    return _text("\n\n".join(p.text for p in paragraphs if not p.is_boilerplate))


GOOSE = Goose({"enable_image_fetching": False})


def run_goose(page: Page) -> Extracted:
    return _text(GOOSE.extract(raw_html=page.html).cleaned_text)


def run_resiliparse(page: Page) -> Extracted:
    return _text(extract_plain_text(page.html, main_content=True))


# a new outlet configured without selectors, as in tests/crawler/test_layouts.py
SOURCE = config.Source(
    name="Généré", base_url="https://example.vn", credit="VNA", article_url_pattern=r"-(\d+)\.html$"
)


def run_vnawatch(page: Page) -> Extracted:
    fields = extract_article(page.html, page.url, SOURCE)
    stored = fields.extraction != "failed" and bool(fields.title.strip())
    return fields.body, tuple(fields.captions), stored


EXTRACTORS: dict[str, Callable[[Page], Extracted]] = {
    "trafilatura (default)": run_trafilatura,
    "trafilatura (favor_precision)": run_trafilatura_precision,
    "readability-lxml": run_readability,
    "jusText": run_justext,
    "goose3": run_goose,
    "resiliparse": run_resiliparse,
    "vnawatch": run_vnawatch,
}


@dataclass
class Score:
    first: int = 0
    last: int = 0
    clean: int = 0
    lost: int = 0
    cpu: float = 0.0


def measure(extract: Callable[[Page], Extracted], pages: list[Page]) -> Score:
    extract(pages[0])  # imports, caches and stoplists load outside the timing
    score = Score()
    for page in pages:
        start = time.process_time()
        text, captions, stored = extract(page)
        score.cpu += time.process_time() - start
        verdict = judge(page, text, captions, stored=stored)
        score.first += verdict.first
        score.last += verdict.last
        score.clean += verdict.clean
        score.lost += verdict.lost
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=FIRST_SEED, help="first page's seed")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # trafilatura and goose log every page they discard
    pages = [generate(args.seed + i) for i in range(args.pages)]
    load = os.getloadavg()[0]
    scores = {name: measure(extract, pages) for name, extract in EXTRACTORS.items()}
    n = len(pages)
    print(
        f"extraction on {n} generated layouts (seeds {args.seed}..{args.seed + n - 1}), "
        f"load {load:.2f} at start, {os.getloadavg()[0]:.2f} at end\n"
    )
    print("| extractor | first % | last % | clean % | lost | ms/page (CPU) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in scores.items():
        print(
            f"| {name} | {100 * s.first / n:.1f} | {100 * s.last / n:.1f} | "
            f"{100 * s.clean / n:.1f} | {s.lost} | {1000 * s.cpu / n:.1f} |"
        )
    ours, precision = scores["vnawatch"].cpu, scores["trafilatura (favor_precision)"].cpu
    print(
        f"\nvnawatch {1000 * ours / n:.1f} ms/page vs trafilatura favor_precision "
        f"{1000 * precision / n:.1f} ms/page: ratio {ours / precision:.2f}"
    )


if __name__ == "__main__":
    main()
