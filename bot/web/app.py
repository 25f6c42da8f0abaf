"""The hub's aiohttp application: routes, language, bad input, conditional requests.

Read-only: every route is a GET (HEAD answered by aiohttp from it). Pages live under their language
(``/en/...``, ``/fr/...``, ``/es/...``); ``/`` sends the visitor to the language their browser asks
for (``Accept-Language``). An unknown path is a 404 page in the visitor's language, an oversized or
malformed query string a 400, and an unexpected error a 500 page with the traceback in the log: a
handler's failure never reaches the bot.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from urllib.parse import parse_qsl

from aiohttp import web

from bot.clock import Clock
from bot.config import WebConfig
from bot.i18n import LANGUAGES, Catalog
from bot.services.hub import CALENDAR_STAMP, HubService
from bot.web.cache import Built, Entry, PageCache
from bot.web.render import Page, environment, region_chart, render

log = logging.getLogger(__name__)

MAX_QUERY = 256  # bytes of query string; the hub's pages take none, a tracker's tag fits
HTML = "text/html; charset=utf-8"
ICS = "text/calendar; charset=utf-8"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_LANG_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$"
)
_STAMP = ("DTSTAMP:" + CALENDAR_STAMP.strftime("%Y%m%dT%H%M%SZ")).encode()


def negotiate(header: str | None, default: str) -> str:
    """The best of en/fr/es for an ``Accept-Language`` header; ``default`` when none is asked for."""
    best, best_q = default, 0.0
    for index, part in enumerate((header or "")[:512].split(",")[:20]):
        match = _LANG_RANGE.match(part)
        if not match:
            continue
        code, q = match.group(1).lower(), float(match.group(2) or 1)
        q -= index * 1e-4  # the earlier of two equal weights wins
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


class Hub:
    """The routes over a :class:`HubService`. ``Hub(config, service, catalog, clock).application()``."""

    def __init__(
        self, config: WebConfig, service: HubService, catalog: Catalog, clock: Clock, default_lang: str
    ) -> None:
        self.config = config
        self.service = service
        self.catalog = catalog
        self.clock = clock
        self.default_lang = default_lang
        self.env = environment()
        self.cache = PageCache(clock, service.data_version)
        self._static = {
            name: resources.files("bot.web").joinpath("static", name).read_bytes()
            for name in ("hub.css", "hub.js")
        }

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=1024)
        app.router.add_get("/", self.root)
        app.router.add_get("/calendar.ics", self.calendar)
        app.router.add_get("/wg/{key}/calendar.ics", self.calendar)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/robots.txt", self.robots)
        for lang in LANGUAGES:
            app.router.add_get(f"/{lang}", self.to_home)
            app.router.add_get(f"/{lang}/", self.page)
            for name in ("organisations", "events", "groups", "initiatives", "consultations", "digests"):
                app.router.add_get(f"/{lang}/{name}", self.page)
            app.router.add_get(f"/{lang}/groups/{{key}}", self.page)
            app.router.add_get(f"/{lang}/digests/{{week}}", self.page)
        return app

    # --- middleware -------------------------------------------------------------------------------

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        lang = self._lang_of(request)
        query = request.rel_url.raw_query_string
        if len(query) > MAX_QUERY or not _readable_query(query):
            return await self._error(lang, 400)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return await self._error(lang, 404)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("Web hub: %s %s failed", request.method, request.path)
            return await self._error(lang, 500)

    def _lang_of(self, request: web.Request) -> str:
        first = request.path.split("/", 2)[1] if request.path.count("/") >= 1 else ""
        if first in LANGUAGES:
            return first
        return negotiate(request.headers.get("Accept-Language"), self.default_lang)

    async def _error(self, lang: str, status: int) -> web.Response:
        name = {400: "bad_request", 404: "not_found"}.get(status, "server")
        page = Page(self.catalog, lang, "error", "/", self.config.base_url)
        body = render(
            self.env,
            "error.html",
            page,
            title=page.t(f"web.errors.{name}"),
            text=page.t(f"web.errors.{name}_text"),
        )
        return web.Response(
            body=body, status=status, content_type="text/html", charset="utf-8", headers=_headers(lang)
        )

    # --- routes ---------------------------------------------------------------------------------------

    async def root(self, request: web.Request) -> web.StreamResponse:
        lang = negotiate(request.headers.get("Accept-Language"), self.default_lang)
        raise web.HTTPFound(f"/{lang}/", headers={"Vary": "Accept-Language"})

    async def to_home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(request.path + "/")

    async def robots(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="User-agent: *\nAllow: /\n", content_type="text/plain")

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self._static:
            raise web.HTTPNotFound()
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        response = web.Response(body=self._static[name], content_type=kind, charset="utf-8")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    async def page(self, request: web.Request) -> web.StreamResponse:
        lang, _, rest = request.path[1:].partition("/")
        path = "/" + rest
        entry = await self.cache.get(
            ("page", lang, path), lambda: self._build(lang, path, request.match_info)
        )
        if entry.built.status == 404:
            raise web.HTTPNotFound()
        return _respond(request, entry, lang, "public, max-age=60")

    async def calendar(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info.get("key")
        if key is not None and not _KEY.match(key):
            raise web.HTTPNotFound()
        entry = await self.cache.get(("ics", key), lambda: self._calendar(key))
        if entry.built.status == 404:
            raise web.HTTPNotFound()
        # The feed's DTSTAMP is the time its content last changed (see HubService.calendar).
        stamp = ("DTSTAMP:" + entry.last_modified.strftime("%Y%m%dT%H%M%SZ")).encode()
        entry = Entry(
            Built(entry.built.body.replace(_STAMP, stamp), ICS),
            entry.version,
            entry.built_at,
            entry.etag,
            entry.last_modified,
        )
        return _respond(request, entry, None, "public, max-age=300")

    async def _calendar(self, key: str | None) -> Built:
        body = await self.service.calendar(key)
        return Built(b"", ICS, 404) if body is None else Built(body, ICS)

    # --- pages ---------------------------------------------------------------------------------

    async def _build(self, lang: str, path: str, params: dict[str, str]) -> Built:
        segments = path.strip("/").split("/") if path != "/" else []
        name = segments[0] if segments else "home"
        page = Page(self.catalog, lang, name, path, self.config.base_url)
        values: dict[str, object]
        if name == "home":
            organisations = await self.service.organisations()
            values = {
                "organisations": len(organisations),
                "regions": len({o.region for o in organisations}),
                "events": len(await self.service.upcoming_events()),
                "groups": len(await self.service.groups()),
                "results": len(await self.service.results()),
                "digests": len(await self.service.digest_weeks()),
            }
            template = "home.html"
        elif name == "organisations":
            organisations = await self.service.organisations()
            counts = Counter(o.region for o in organisations)
            by_region: dict[str, dict[str, list[object]]] = {}
            for o in sorted(
                organisations,
                key=lambda o: (page.region(o.region), page.country(o.country), o.name.casefold()),
            ):
                by_region.setdefault(o.region, {}).setdefault(o.country, []).append(o)
            chart = region_chart([(page.region(code), counts[code]) for code in by_region])
            values = {"by_region": by_region, "counts": counts, "total": len(organisations), "chart": chart}
            template = "organisations.html"
        elif name == "events":
            values = {
                "events": await self.service.upcoming_events(),
                "feed": self.config.url("/calendar.ics"),
            }
            template = "events.html"
        elif name == "groups" and len(segments) == 1:
            values = {"groups": await self.service.groups()}
            template = "groups.html"
        elif name == "groups":
            key = params.get("key", "")
            group = await self.service.group(key) if _KEY.match(key) else None
            if group is None:
                return Built(b"", HTML, 404)
            values = {"g": group, "feed": self.config.url(f"/wg/{key}/calendar.ics")}
            template = "group.html"
        elif name == "initiatives":
            values = {"initiatives": await self.service.initiatives()}
            template = "initiatives.html"
        elif name == "consultations":
            values = {"results": await self.service.results()}
            template = "consultations.html"
        elif name == "digests" and len(segments) == 1:
            values = {"weeks": await self.service.digest_weeks()}
            template = "digests.html"
        else:
            week = params.get("week", "")
            digest = await self.service.digest(week) if _WEEK.match(week) else None
            if digest is None:
                return Built(b"", HTML, 404)
            values = {"digest": digest}
            template = "digest.html"
        return Built(render(self.env, template, page, **values), HTML)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^\x21-\x7e]")


def _readable_query(query: str) -> bool:
    """A query of ``name=value`` pairs, percent-escapes well formed and UTF-8 underneath."""
    if not query:
        return True
    if _BAD_ESCAPE.search(query):
        return False
    try:
        parse_qsl(query, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _headers(lang: str | None) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    }
    if lang is not None:
        headers["Content-Language"] = lang
    return headers


def _respond(request: web.Request, entry: Entry, lang: str | None, cache_control: str) -> web.StreamResponse:
    headers = _headers(lang)
    headers.update(
        {"ETag": entry.etag, "Last-Modified": _http_date(entry.last_modified), "Cache-Control": cache_control}
    )
    if _not_modified(request, entry):
        return web.Response(status=304, headers=headers)
    content_type, _, charset = entry.built.content_type.partition("; charset=")
    return web.Response(
        body=entry.built.body, content_type=content_type, charset=charset or None, headers=headers
    )


def _not_modified(request: web.Request, entry: Entry) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or entry.etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is not None:
            return entry.last_modified <= moment
    return False
