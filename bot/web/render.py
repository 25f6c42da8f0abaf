"""Rendering the hub's pages: a Jinja2 environment (autoescaping on) over the package's templates,
the helpers the templates call, and the few pieces of text that need shaping first (a digest's
Discord markdown, the per-region chart's geometry).

Nothing here reads the database or knows aiohttp: ``bot/web/app.py`` hands in the service's values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup, escape

from bot.countries import country_name
from bot.i18n import LANGUAGES, Catalog

# (page name, URL path after the language, catalog key of its menu entry)
MENU: tuple[tuple[str, str, str], ...] = (
    ("home", "/", "web.nav.home"),
    ("organisations", "/organisations", "web.nav.organisations"),
    ("events", "/events", "web.nav.events"),
    ("groups", "/groups", "web.nav.groups"),
    ("initiatives", "/initiatives", "web.nav.initiatives"),
    ("consultations", "/consultations", "web.nav.consultations"),
    ("digests", "/digests", "web.nav.digests"),
)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["utc"] = utc_text
    env.filters["iso"] = iso
    env.filters["day"] = day_text
    env.filters["percent"] = percent
    return env


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(moment: datetime) -> str:
    """The server-rendered time: readable in every language, and what the script rewrites."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.isoformat()


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


class Bar(msgspec.Struct, frozen=True):
    label: str
    count: int
    y: int
    width: float


class Chart(msgspec.Struct, frozen=True):
    bars: tuple[Bar, ...]
    height: int
    label_width: int
    bar_area: int


def region_chart(counts: Sequence[tuple[str, int]]) -> Chart:
    """A horizontal bar per region, sized for an inline SVG of width 640 (scaled by the browser)."""
    label_width, bar_area, row = 280, 300, 28
    top = max((count for _, count in counts), default=0) or 1
    bars = tuple(
        Bar(label, count, 8 + index * row, max(2.0, bar_area * count / top))
        for index, (label, count) in enumerate(counts)
    )
    return Chart(bars, 16 + row * len(bars), label_width, bar_area)


# --- a digest's Discord markdown ----------------------------------------------------------------

_TIMESTAMP = re.compile(r"&lt;t:(-?\d{1,12})(?::([tTdDfFR]))?&gt;")
_CHANNEL_OR_ROLE = re.compile(r"&lt;(#|@&amp;)\d{1,20}&gt;")
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((https?://[^\s)]{1,500})\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_USER = re.compile(r"<@!?\d{1,20}>")


def discord_text(text: str) -> Markup:
    """A digest's text as HTML: bold, links and Discord timestamps kept; mentions of channels and
    roles dropped; a line naming a member (a mention) left out entirely, the hub lists no members."""
    lines = [line for line in text.splitlines() if not _USER.search(line)]
    html = str(escape("\n".join(lines)))

    def stamp(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), UTC)
        return f'<time datetime="{iso(moment)}" data-local>{utc_text(moment)}</time>'

    html = _TIMESTAMP.sub(stamp, html)
    html = _CHANNEL_OR_ROLE.sub("", html)
    html = _LINK.sub(r'<a href="\2">\1</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return Markup(html.replace("\n", "<br>\n"))  # noqa: S704 - built from escaped text above


class Page:
    """The context every template gets: the language, ``t``, the links of the menu and the switch."""

    def __init__(self, catalog: Catalog, lang: str, name: str, path: str, base_url: str) -> None:
        self.lang = lang
        self.name = name
        self.path = path  # after the language: "/groups/wg1"
        self.base_url = base_url
        self._catalog = catalog

    def t(self, key: str, **params: Any) -> str:
        return self._catalog.t(self.lang, key, **params)

    def url(self, path: str, lang: str | None = None) -> str:
        return f"/{lang or self.lang}{path}"

    @property
    def languages(self) -> list[tuple[str, str, str]]:
        """(code, name in that language, link to this page in it)."""
        return [
            (code, self._catalog.t(code, f"web.language.{code}"), self.url(self.path, code))
            for code in LANGUAGES
        ]

    @property
    def menu(self) -> list[tuple[str, str, str]]:
        return [(name, self.url(path), self.t(key)) for name, path, key in MENU]

    def country(self, code: str) -> str:
        return country_name(code, self.lang)

    def region(self, code: str) -> str:
        return self.t(f"orgs.regions.{code}")

    def status(self, value: str) -> str:
        return self.t(f"cmd.wg.choices.status.{value}")

    def kind(self, value: str) -> str:
        return self.t(f"cmd.wg.choices.kind.{value}")

    def initiative_kind(self, value: str) -> str:
        return self.t(f"cmd.wg.choices.initiative.{value}")

    def digest(self, text: str) -> Markup:
        return discord_text(text)

    def absolute(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def render(env: jinja2.Environment, template: str, page: Page, **values: Any) -> bytes:
    return env.get_template(template).render(page=page, t=page.t, **values).encode("utf-8")


Renderer = Callable[..., bytes]
