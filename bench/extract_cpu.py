"""Extraction CPU per page: this tree against an earlier commit, on the same pages, one run.

    .venv/bin/python bench/extract_cpu.py                       # against b4f3a01, 300 pages
    .venv/bin/python bench/extract_cpu.py --baseline HEAD~5 --pages 500

Renders N pages with the layout generator (tests/crawler/layouts.py) and the
sample site's article pages into a temporary directory, checks the baseline
commit out beside it (``git worktree add --detach``, removed afterwards), then
times ``extract_article`` over every page in a child process per tree,
alternating baseline and current ``--rounds`` times (the machine's load moves
both the same way). Prints CPU ms per page (``time.process_time``) for each and
the ratio current/baseline, the figure issue 22 bounds at 2x.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# session start of issue 22: the extraction before boxes, the recall pass and the stand-ins
DEFAULT_BASELINE = "b4f3a01"

CHILD = """
import json, logging, sys, time
logging.disable(logging.WARNING)
from pathlib import Path
import config
from crawler.extract import extract_article
source = config.Source(name="B", base_url="https://example.vn", credit="VNA",
                       article_url_pattern=r"(\\d+)")
pages = [p.read_text("utf-8") for p in sorted(Path(sys.argv[1]).glob("*.html"))]
started = time.process_time()
for html in pages:
    extract_article(html, "https://example.vn/a-1.html", source)
print(json.dumps({"pages": len(pages), "cpu": time.process_time() - started}))
"""


def write_pages(folder: Path, count: int) -> int:
    """The generated layouts and the sample site's articles, one file each."""
    from tests.crawler.layouts import FIRST_SEED, generate

    for i in range(count):
        (folder / f"gen-{i:04d}.html").write_text(generate(FIRST_SEED + i).html, "utf-8")
    sample = sorted((ROOT / "demo").rglob("*.html"))
    for i, path in enumerate(p for p in sample if "index" not in p.name):
        (folder / f"site-{i:04d}.html").write_text(path.read_text("utf-8"), "utf-8")
    return len(list(folder.glob("*.html")))


def time_tree(tree: Path, pages: Path) -> float:
    """CPU seconds of one pass of ``tree``'s extraction over ``pages``, in a child process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(pages)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="commit to compare with")
    parser.add_argument("--pages", type=int, default=300, help="generated pages")
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed passes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pages, old = Path(tmp) / "pages", Path(tmp) / "baseline"
        pages.mkdir()
        count = write_pages(pages, args.pages)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            times: dict[str, list[float]] = {"baseline": [], "current": []}
            for _ in range(args.rounds):
                times["baseline"].append(time_tree(old, pages))
                times["current"].append(time_tree(ROOT, pages))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT)
    best = {name: min(values) * 1000 / count for name, values in times.items()}
    print(f"{count} pages ({args.pages} generated layouts + the sample site's articles)")
    rounds = f"best of {args.rounds}"
    print(f"baseline {args.baseline}: {best['baseline']:.2f} ms CPU per page ({rounds})")
    print(f"current:  {best['current']:.2f} ms CPU per page ({rounds})")
    print(f"ratio current/baseline: {best['current'] / best['baseline']:.2f}x (issue 22 bound: 2x)")


if __name__ == "__main__":
    main()
