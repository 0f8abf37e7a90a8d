"""Le Vietnam Illustré (vietnam.vnanet.vn/french): quirks only.

Articles are ``/french/tin-van/<slug>-<ID>.html`` or ``/french/<slug>/<ID>.html``;
the monthly sitemaps are ``news-{month}-{year}.xml`` (expanded by the base
spider). Print views (``/french/print/…``) repeat an article, so they are not
fetched.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.spiders.base import SourceSpider


class VietnamIllustreSpider(SourceSpider):
    """Le Vietnam Illustré, French edition."""

    name = "vietnamillustre"

    def is_article_url(self, url: str) -> bool:
        return "/print/" not in urlsplit(url).path
