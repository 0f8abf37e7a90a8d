"""Trend charts: daily counts drawn by pygal as inline SVG, made to live under the CSP.

pygal writes its CSS and a config script inside each SVG; the app's
Content-Security-Policy (``style-src 'self'; script-src 'self'``) would block
both. So every chart carries the same id (``chart-trend``, one chart a page)
and its CSS is served once as a stylesheet (:func:`chart_css`, at
``/trends/chart.css``), while the rendered tree loses its ``<style>``,
``<script>``, tooltip and inline ``style`` attributes. The SVG is decorative
for assistive technology (``aria-hidden``, links out of the tab order): the
page gives the same numbers as a table with the same links. Nothing runs in
the browser and nothing is fetched: it works offline.

Rendering 365 linked dots costs tens of milliseconds, so charts are cached by
what they show (the counts change only when the match job runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import pygal
from lxml import etree
from markupsafe import Markup
from pygal.style import Style

PALETTE = ("#8a1c1c", "#1d4f91", "#2e7d32", "#b35c00", "#6a1b9a")
USUAL_COLOUR = "#1d2327"  # the usual level: near black, dashed


@dataclass(frozen=True)
class Line:
    """One series: a value per day (None: no point), and the link of each day's dot."""

    title: str
    values: tuple[float | None, ...]
    links: tuple[str, ...] = ()
    dashed: bool = False


@dataclass(frozen=True)
class Chart:
    """What one chart shows; frozen and hashable, so equal charts render once."""

    kind: str  # "trend" (counts and usual level) or "compare" (up to five counts)
    day_labels: tuple[str, ...]
    lines: tuple[Line, ...]
    narrow: bool = False

    @property
    def uuid(self) -> str:
        """pygal's chart id: its CSS selectors are ``#chart-<uuid> ...``."""
        return f"{self.kind}-{'narrow' if self.narrow else 'wide'}"


def _style(narrow: bool, colours: Sequence[str]) -> Style:
    size = 15 if narrow else 14
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1d2327",
        foreground_strong="#1d2327",
        foreground_subtle="#dcdcde",
        colors=tuple(colours),
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        label_font_size=size,
        major_label_font_size=size,
        legend_font_size=size,
        title_font_size=size + 2,
        opacity="1",
        opacity_hover="1",
        stroke_opacity="1",
        stroke_opacity_hover="1",
        guide_stroke_color="#dcdcde",
        major_guide_stroke_color="#8c8f94",
        guide_stroke_dasharray="none",
        major_guide_stroke_dasharray="none",
    )


def _colours(lines: Sequence[Line]) -> list[str]:
    plain = iter(PALETTE)
    return [USUAL_COLOUR if line.dashed else next(plain, USUAL_COLOUR) for line in lines]


def _pygal_chart(chart: Chart) -> pygal.Line:
    """The pygal chart (not rendered): sized for a phone (``narrow``) or a desktop."""
    width, height = (360, 300) if chart.narrow else (900, 340)
    days = len(chart.day_labels)
    graph = pygal.Line(
        width=width,
        height=height,
        style=_style(chart.narrow, _colours(chart.lines)),
        js=[],
        disable_xml_declaration=True,
        show_dots=not chart.narrow,
        dots_size=2 if days > 120 else 3,
        show_minor_x_labels=False,
        x_labels_major_count=4 if chart.narrow else 7,
        truncate_label=-1,
        legend_at_bottom=True,
        legend_at_bottom_columns=1 if chart.narrow else 2,
        truncate_legend=-1,
        include_x_axis=True,
        min_scale=3,
        max_scale=6,
        margin=8,
        margin_right=28,  # room for the last day's label
        spacing=8,
    )
    graph.uuid = chart.uuid
    graph.title = None
    graph.x_labels = list(chart.day_labels)
    for line in chart.lines:
        graph.add(
            line.title,
            [_point(v, line.links[i] if line.links else None) for i, v in enumerate(line.values)],
            show_dots=not line.dashed and not chart.narrow,
            stroke_style={"width": 2.5, "dasharray": "7,5"} if line.dashed else {"width": 2},
        )
    return graph


def _point(value: float | None, link: str | None) -> object:
    if link is None or value is None:
        return value
    return {"value": value, "xlink": {"href": link, "target": "_self"}}


def _local(node: etree._Element) -> str:
    """A node's tag without its namespace (pygal's lxml tree has none; be sure)."""
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


@lru_cache(maxsize=512)
def render_chart(chart: Chart) -> Markup:
    """The chart as inline SVG markup, with no style, script or tab stop of its own."""
    tree = _pygal_chart(chart).render_tree()
    doomed = [
        node
        for node in tree.iter()
        if _local(node) in ("style", "script")
        or not isinstance(node.tag, str)  # pygal's credit comments
        or (_local(node) == "g" and "tooltip" in (node.get("class") or "").split())
    ]
    for node in doomed:
        node.getparent().remove(node)
    for node in tree.iter():
        node.attrib.pop("style", None)
        if _local(node) == "a":
            node.set("tabindex", "-1")
    tree.set("aria-hidden", "true")
    tree.set("focusable", "false")
    tree.set("class", f"trend-chart {'narrow' if chart.narrow else 'wide'}")
    return Markup(etree.tostring(tree, encoding="unicode"))


@cache
def chart_css() -> str:
    """pygal's stylesheet for each kind and size of chart (its colours follow the lines)."""
    shapes = {
        "trend": (Line("n", (1.0,)), Line("usual", (1.0,), dashed=True)),
        "compare": tuple(Line(f"n{i}", (1.0,)) for i in range(len(PALETTE))),
    }
    css: list[str] = []
    for kind, lines in shapes.items():
        for narrow in (False, True):
            tree = _pygal_chart(Chart(kind, ("d",), lines, narrow)).render_tree()
            css.extend(node.text or "" for node in tree.iter() if _local(node) == "style")
    return "\n".join(css)
