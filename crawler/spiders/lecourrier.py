"""Le Courrier du Vietnam (lecourrier.vn): quirks only.

Articles are ``/<slug>/<ID>.html``; slugs carry percent-encoded Unicode, baked-in
HTML entities and ``nbsp``, so identity is the numeric id alone (the base
spider's pattern) and the stored URL is the one the site links to,
as is. Category pages end in ``.html`` too but carry no id, so the pattern
already leaves them out.
"""

from __future__ import annotations

from crawler.spiders.base import SourceSpider


class LeCourrierSpider(SourceSpider):
    """Le Courrier du Vietnam."""

    name = "lecourrier"
