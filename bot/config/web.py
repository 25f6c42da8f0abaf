"""The ``web`` block: the optional public web hub served by the bot's own process (``bot/web/``).

Off unless ``enabled: true``. ``bind`` and ``port`` are where the server listens (loopback by
default: a reverse proxy with TLS stands in front, see docs/deploy/); ``base_url`` is the public
address the proxy serves it at, used in the calendar subscription link that ``/event calendar``
offers and in the pages' own absolute links.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import msgspec

from bot.config._fields import ConfigError, Section, text


class WebConfig(msgspec.Struct, frozen=True):
    enabled: bool = False
    bind: str = "127.0.0.1"
    port: int = 8080
    base_url: str = "http://127.0.0.1:8080"

    def url(self, path: str) -> str:
        """``path`` ("/calendar.ics") under the public base URL."""
        return self.base_url.rstrip("/") + path


def _bind(path: str, value: Any) -> str:
    address = text(path, value, max_length=253)
    if address == "localhost":
        return address
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ConfigError(
            path, f"expected an IP address to listen on, such as 127.0.0.1 or 0.0.0.0, got {address!r}"
        ) from None
    return address


def _base_url(path: str, value: Any) -> str:
    url = text(path, value, max_length=512)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or any(ch.isspace() for ch in url):
        raise ConfigError(
            path, f"expected the hub's public address, such as https://hub.example.org, got {url!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(path, "expected an address without ?query or #fragment")
    return url.rstrip("/")


def read_web(root: Section) -> WebConfig:
    section = root.section("web", ("enabled", "bind", "port", "base_url"))
    enabled = section.data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(section.key("enabled"), f"expected true or false, got {enabled!r}")
    bind = _bind(section.key("bind"), section.data["bind"]) if section.has("bind") else "127.0.0.1"
    port = section.integer("port", 0, 65535, default=8080)  # 0: any free port (the demo, the tests)
    if section.has("base_url"):
        base_url = _base_url(section.key("base_url"), section.data["base_url"])
    else:
        base_url = f"http://{'127.0.0.1' if bind in ('0.0.0.0', '::') else bind}:{port}"  # noqa: S104
    return WebConfig(enabled=enabled, bind=bind, port=port, base_url=base_url)
