"""Scrapy settings: polite defaults, the pipeline order and the VNAWATCH_* settings.

The module-level names are what ``scrapy crawl <source>`` starts from (via
``scrapy.cfg``); the spider then applies :func:`settings_for` for the loaded
config. ``crawler.run`` builds its settings with :func:`settings_for` directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import config

BOT_NAME = "vnawatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Longest Retry-After we honour; a longer one is capped (and logged).
RETRY_AFTER_MAX_SECONDS = 120
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.NormalisePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.OffsiteRedirectMiddleware": 650,
}

LOG_FORMATTER = "crawler.pipelines.DropLogFormatter"
ROBOTSTXT_OBEY = True
USER_AGENT = "vnawatch/0.1 (+https://github.com/vnawatch/vnawatch)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5_000_000
DOWNLOAD_WARNSIZE = 2_500_000
RETRY_ENABLED = True
RETRY_TIMES = 3
# real sites need one or two hops; a loop is reported after this many
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
VNAWATCH_RETRY_AFTER_MAX = RETRY_AFTER_MAX_SECONDS
VNAWATCH_RETRY_BACKOFF = 2.0


def settings_for(config: config.Config, source_id: str | None = None) -> dict[str, Any]:
    """Scrapy settings for crawling ``source_id`` (or every source) with ``config``."""
    crawl = config.crawl
    settings: dict[str, Any] = {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "ITEM_PIPELINES": dict(ITEM_PIPELINES),
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "USER_AGENT": crawl.full_user_agent,
        "CONCURRENT_REQUESTS": CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": min(2, crawl.concurrent_requests_per_host),
        "DOWNLOAD_DELAY": crawl.download_delay_seconds,
        "DOWNLOAD_DELAY_JITTER": 0.5 if crawl.download_delay_seconds > 0 else 0,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay_seconds, 0.5),
        "AUTOTHROTTLE_MAX_DELAY": AUTOTHROTTLE_MAX_DELAY,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": AUTOTHROTTLE_TARGET_CONCURRENCY,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": crawl.max_page_bytes // 2,
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "REDIRECT_MAX_TIMES": REDIRECT_MAX_TIMES,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": LOG_LEVEL,
        "LOG_FORMATTER": LOG_FORMATTER,
        "VNAWATCH_DATABASE_URL": config.database_url,
        "VNAWATCH_TIMEZONE": config.timezone,
        "VNAWATCH_RETRY_AFTER_MAX": RETRY_AFTER_MAX_SECONDS,
        "VNAWATCH_RETRY_BACKOFF": crawl.retry_backoff_seconds,
        "VNAWATCH_CONFIG_APPLIED": True,
    }
    if source_id is not None:
        settings["VNAWATCH_SOURCE"] = source_id
    if crawl.http_cache_dir:
        settings.update(HTTPCACHE_ENABLED=True, HTTPCACHE_DIR=crawl.http_cache_dir)
    return settings
