"""Spike alert job (re-exported by :mod:`alerts.jobs`): a rule far above its usual level.

For the subscribers who asked (``spike_alerts``), each of their live rules is
tested today and yesterday (local days of config.yaml's ``timezone``;
yesterday so that articles found after midnight still count on their day)
with :func:`alerts.spikes.check_day` over the daily counts the match job
keeps (:mod:`alerts.trends`), computed once per rule per run. A rule's
history starts at its first counted article (not before the archive's): a
rule added last week, re-matched over a few days, has no zeros before that. A spike becomes
an outbox row like any alert, keyed ``spike-<day>-<rule>-<subscriber>``: the
outbox's unique key is the once-a-day guard (at most one spike alert per
rule, subscriber and day, however often the job runs or restarts), and the
sending, retries and chat/webhook channels are the outbox's. The email shows
the day's count against the usual level, the last 28 days as a bar chart with
the numbers, and the day's articles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from textwrap import shorten

from alerts.charts import BarChart, bar_chart, trend_labels, usual_number
from alerts.digest import ENVIRONMENT, Rendered, inline_css, source_name
from alerts.labels import Formatter
from alerts.mailer import build_message, manage_url, message_bytes, safe_key, unsubscribe_url
from alerts.spikes import SpikeSettings, Verdict, check_day
from alerts.subscriptions import with_stored_rules
from alerts.tokens import secret_key
from alerts.trends import archive_first_day, local_today, trend_series_many
from config import Config
from store import Store
from store.records import Article, ChannelMessage, DayCount, DeliveryDraft, Subscriber

logger = logging.getLogger(__name__)

CHART_DAYS = 28
ARTICLES_SHOWN = 10
CHANNEL_ARTICLES = 5


@dataclass
class SpikeReport:
    """What one spike check did."""

    rules: int = 0
    spikes: int = 0
    queued: int = 0
    already_queued: int = 0
    errors: int = 0
    found: list[str] = field(default_factory=list)  # "rule@day", for the log

    def __str__(self) -> str:
        return (
            f"spikes rules={self.rules} spikes={self.spikes} queued={self.queued} "
            f"already_queued={self.already_queued} errors={self.errors}"
        )

    def summary(self) -> str:
        return f"spike_alerts_queued={self.queued} spike_errors={self.errors}"


@dataclass(frozen=True)
class Spike:
    """One rule's spike on one day, with what its alert shows."""

    rule_id: str
    rule_name: str
    verdict: Verdict
    chart: tuple[DayCount, ...]  # the CHART_DAYS days ending on the spike's day
    articles: tuple[Article, ...]  # the day's newest articles (at most ARTICLES_SHOWN)

    @property
    def day(self) -> date:
        return self.verdict.day


def queue_spike_alerts(store: Store, config: Config, *, now: datetime) -> SpikeReport:
    """Queue a spike alert for each subscriber who asked, each rule of theirs that spikes."""
    config = with_stored_rules(store, config)
    report = SpikeReport()
    subscribers = [s for s in store.spike_subscribers() if s.id is not None]
    known = {rule.id for rule in config.rules}
    rules = sorted({rule for s in subscribers for rule in s.rules if rule in known})
    report.rules = len(rules)
    if not rules:
        return report
    spikes = find_spikes(store, config, rules, local_today(config, now))
    report.spikes = sum(len(found) for found in spikes.values())
    report.found = [f"{rule}@{s.day}" for rule, found in spikes.items() for s in found]
    wanted = [
        (subscriber, spike)
        for subscriber in subscribers
        for rule in subscriber.rules
        for spike in spikes.get(rule, ())
    ]
    taken = store.queued_keys([spike_key(s, spike) for s, spike in wanted])
    report.already_queued = sum(spike_key(s, spike) in taken for s, spike in wanted)
    for subscriber, spike in wanted:
        if spike_key(subscriber, spike) not in taken:
            _queue_one(store, config, subscriber, spike, now, report)
    logger.info("spike check finished %s found=%s", report, ",".join(report.found) or "-")
    return report


def _queue_one(
    store: Store,
    config: Config,
    subscriber: Subscriber,
    spike: Spike,
    now: datetime,
    report: SpikeReport,
) -> None:
    """Render and queue one alert; a failure is logged and counted, never fatal."""
    try:
        draft = spike_draft(config, subscriber, spike, now)
        queued = store.queue_delivery(draft, now)
    except Exception:
        report.errors += 1
        logger.exception(
            "spike alert not queued subscriber=%s rule=%s", subscriber.email, spike.rule_id
        )
        return
    if queued is None:  # another run got there first
        report.already_queued += 1
    else:
        report.queued += 1
        logger.info("spike alert queued id=%s key=%s", queued, draft.key)


def find_spikes(
    store: Store, config: Config, rule_ids: list[str], today: date
) -> dict[str, list[Spike]]:
    """The rules whose yesterday or today is a spike (one read of the counts for all)."""
    settings = SpikeSettings(
        config.spikes.sensitivity, config.spikes.min_count, config.spikes.min_ratio
    )
    archive = archive_first_day(store, config)
    firsts = store.first_counted_days(rule_ids)
    series = trend_series_many(store, config, "rule", rule_ids, days=CHART_DAYS, end=today)
    names = {rule.id: rule.name for rule in config.rules}
    found: dict[str, list[Spike]] = {}
    for rule_id, trend in series.items():
        if rule_id not in firsts:
            continue  # nothing ever counted: nothing to test
        counts = {point.day: point.articles for point in trend.history}
        since = max(firsts[rule_id], archive) if archive else firsts[rule_id]
        for day in (today - timedelta(days=1), today):
            verdict = check_day(counts, day, settings, since=since)
            if not verdict.is_spike:
                continue
            chart = tuple(p for p in trend.history if 0 <= (day - p.day).days < CHART_DAYS)
            articles = store.trend_articles(
                "rule", rule_id, start=day, end=day, limit=ARTICLES_SHOWN
            )
            spike = Spike(rule_id, names[rule_id], verdict, chart, tuple(articles))
            found.setdefault(rule_id, []).append(spike)
    return found


def spike_key(subscriber: Subscriber, spike: Spike) -> str:
    """Unique per (local day, rule, subscriber): the once-a-day guard."""
    day = spike.day.strftime("%Y%m%d")
    return safe_key(f"spike-{day}-{spike.rule_id}-{subscriber.id}-{subscriber.email}")


# --- the message ------------------------------------------------------------


def spike_draft(
    config: Config, subscriber: Subscriber, spike: Spike, now: datetime
) -> DeliveryDraft:
    """The outbox row of one spike alert, with its chat/webhook messages."""
    secret = secret_key()
    today = local_today(config, now)
    rendered = render_spike(
        spike,
        subscriber,
        config,
        today=today,
        unsubscribe_url=unsubscribe_url(config.mail, subscriber.email, secret),
        manage_url=manage_url(config.mail, subscriber.email, secret),
    )
    key = spike_key(subscriber, spike)
    message = build_message(
        rendered,
        mail=config.mail,
        to_email=subscriber.email,
        to_name=subscriber.name,
        key=key,
        list_name="alerts",
        now=now,
        secret=secret,
    )
    channels = tuple(
        ChannelMessage(
            url=url, title=rendered.subject, body=channel_text(spike, subscriber, config, today)
        )
        for url in subscriber.channels
    )
    return DeliveryDraft(
        subscriber_id=subscriber.id or 0,
        kind="spike",
        channel="spike",
        key=key,
        subject=str(message["Subject"]),
        message=message_bytes(message),
        email=subscriber.email_delivery or not subscriber.channels,
        channels=channels,
    )


@dataclass(frozen=True)
class _Words:
    """The spike's sentences in the reader's language."""

    headline: str  # "18 articles aujourd'hui"
    usual: str  # "habituellement 3 par jour"
    chart: BarChart


def _words(spike: Spike, fmt: Formatter, today: date) -> _Words:
    tr = trend_labels(fmt)
    if spike.day == today:
        when = tr["today"]
    elif spike.day == today - timedelta(days=1):
        when = tr["yesterday"]
    else:
        when = tr["on_day"].format(day=fmt.day_month(spike.day))
    expected = spike.verdict.baseline.expected if spike.verdict.baseline else 0.0
    usual = tr["usual_day"].format(usual=usual_number(expected, fmt))
    chart = bar_chart(spike.chart, fmt, {spike.day})
    return _Words(f"{fmt.count(spike.verdict.count)} {when}", usual, chart)


def render_spike(
    spike: Spike,
    subscriber: Subscriber,
    config: Config,
    *,
    today: date,
    unsubscribe_url: str,
    manage_url: str = "",
) -> Rendered:
    """Subject, text and HTML of one spike alert."""
    fmt = Formatter(subscriber.language, subscriber.timezone)
    words = _words(spike, fmt, today)
    tr = trend_labels(fmt)
    subject = (
        f"[{config.mail.from_name}] {tr['spike']}{fmt.labels['colon']} {spike.rule_name} — "
        f"{words.headline}, {words.usual}"
    )
    context = {
        "subject": subject,
        "lang": fmt.locale,
        "brand": config.mail.from_name,
        "subscriber": subscriber,
        "spike": spike,
        "headline": words.headline,
        "usual_line": words.usual,
        "chart": words.chart,
        "articles": [(a, source_name(config, a.source)) for a in spike.articles],
        "more": max(spike.verdict.count - len(spike.articles), 0),
        "fmt": fmt,
        "t": fmt.labels,
        "tr": tr,
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
    }
    text = ENVIRONMENT.get_template("spike.txt.j2").render(context)
    html = ENVIRONMENT.get_template("spike.html.j2").render(context)
    return Rendered(subject=subject, text=text, html=inline_css(html))


def channel_text(spike: Spike, subscriber: Subscriber, config: Config, today: date) -> str:
    """The chat/webhook message: the numbers, the sparkline, the day's top articles."""
    fmt = Formatter(subscriber.language, subscriber.timezone)
    words = _words(spike, fmt, today)
    lines = [
        f"{spike.rule_name} — {words.headline}, {words.usual}",
        f"{words.chart.spark} ({words.chart.first_label} → {words.chart.last_label})",
        "",
    ]
    for article in spike.articles[:CHANNEL_ARTICLES]:
        title = shorten(article.title, 200, placeholder=" …")
        lines += [f"• {title} ({source_name(config, article.source)})", f"  {article.url}"]
    return "\n".join(lines)
