"""VietnamPlus (fr.vietnamplus.vn): quirks only.

One article is served as ``/<slug>-post<ID>.vnp`` (current CMS, the canonical
form), ``/<slug>/<ID>.vnp`` (legacy) and ``/<slug>/<ID>.amp``; whichever form
was discovered, the stored URL is the ``-post<ID>.vnp`` one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from crawler.items import ArticleFields
from crawler.spiders.base import SourceSpider

LEGACY_PATH = re.compile(r"^(?P<head>.*)/(?P<slug>[^/]+)/(?P<id>\d+)\.(?:vnp|amp)$")
POST_PATH = re.compile(r"-post\d+\.vnp$")


def post_form(url: str) -> str:
    """``…/<slug>/<ID>.vnp`` or ``.amp`` -> ``…/<slug>-post<ID>.vnp``; other URLs unchanged."""
    parts = urlsplit(url)
    match = LEGACY_PATH.match(parts.path)
    if not match or POST_PATH.search(parts.path):
        return url
    path = f"{match['head']}/{match['slug']}-post{match['id']}.vnp"
    return urlunsplit(parts._replace(path=path, query="", fragment=""))


class VietnamPlusSpider(SourceSpider):
    """VietnamPlus in French."""

    name = "vietnamplus"

    def canonical_url(self, url: str, article_id: str, fields: ArticleFields) -> str:
        return post_form(super().canonical_url(url, article_id, fields))
