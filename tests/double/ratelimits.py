"""Discord's rate limits, as a bot meets them: per-route buckets keyed by major parameter, and a global cap.

Opt-in (``double.enable_discord_rate_limits()``), for load tests and benchmarks: a bot that respects
the limits reads ``X-RateLimit-Remaining``/``Reset-After`` and waits before it is refused; one that
does not gets 429s, which the double counts (``double.rate_limited``). Interaction callbacks and the
interaction webhook are exempt from the global cap, as on Discord.

Sliding windows stand in for Discord's fixed ones: the headers stay truthful, which is what matters
to a client that plans its requests from them.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass, field

# (method, route template) -> (requests, per seconds). Discord's documented and observed values for
# the routes a bot uses in bulk.
DEFAULT_BUCKETS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{channel_id}/messages"): (5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): (5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): (5, 1.0),
    ("POST", "/users/@me/channels"): (10, 10.0),
    ("POST", "/guilds/{guild_id}/scheduled-events"): (5, 5.0),
    ("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}"): (5, 5.0),
}
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id")
GLOBAL_EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass(frozen=True)
class RateLimited:
    route: str
    bucket_key: str
    retry_after: float
    is_global: bool
    at: float


@dataclass
class _Window:
    limit: int
    per: float
    stamps: deque[float] = field(default_factory=deque)

    def prune(self, now: float) -> None:
        while self.stamps and now - self.stamps[0] >= self.per:
            self.stamps.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        self.prune(now)
        if len(self.stamps) < self.limit:
            return 0.0
        return self.per - (now - self.stamps[0])


def generous_headers(route: str) -> dict[str, str]:
    """Headers for a route with room to spare: what the double sends when limits are off."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": hashlib.sha1(route.encode()).hexdigest()[:16],
        "X-RateLimit-Scope": "user",
    }


class DiscordRateLimits:
    def __init__(
        self,
        buckets: dict[tuple[str, str], tuple[int, float]] | None = None,
        global_per_second: int = 50,
    ) -> None:
        self._bucket_rules = dict(DEFAULT_BUCKETS if buckets is None else buckets)
        self._windows: dict[str, _Window] = {}
        self._global = _Window(global_per_second, 1.0)

    def check(
        self, method: str, template: str, params: dict[str, str]
    ) -> tuple[dict[str, str], RateLimited | None]:
        """Count one request. Returns the response headers and, when refused, why."""
        now = time.monotonic()
        route = f"{method} {template}"
        rule = self._bucket_rules.get((method, template))
        major = ":".join(params[name] for name in MAJOR_PARAMETERS if name in params)
        bucket_hash = hashlib.sha1(route.encode()).hexdigest()[:16]
        key = f"{bucket_hash}:{major}"
        window = None
        if rule is not None:
            window = self._windows.setdefault(key, _Window(*rule))
            wait = window.wait(now)
            if wait > 0:
                headers = self._headers(bucket_hash, window, now)
                # Discord's 429s come through its proxy: without Via, discord.py takes one for a
                # Cloudflare ban and raises instead of waiting and retrying.
                headers.update({"Retry-After": f"{wait:.3f}", "Via": "1.1 google"})
                return headers, RateLimited(route, key, wait, False, now)
        if not template.startswith(GLOBAL_EXEMPT_PREFIXES):
            wait = self._global.wait(now)
            if wait > 0:
                headers = {
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": f"{wait:.3f}",
                    "Via": "1.1 google",
                }
                return headers, RateLimited(route, "global", wait, True, now)
            self._global.stamps.append(now)
        if window is None:
            return generous_headers(route), None
        window.stamps.append(now)
        return self._headers(bucket_hash, window, now), None

    @staticmethod
    def _headers(bucket_hash: str, window: _Window, now: float) -> dict[str, str]:
        remaining = max(0, window.limit - len(window.stamps))
        reset_after = window.per - (now - window.stamps[0]) if window.stamps else window.per
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
            "X-RateLimit-Scope": "user",
        }
