# ruff: noqa: E501 - the seeding SQL reads best one statement a line
"""A database for the hub's tests: public material the pages must show, and private material (each
piece carrying ``SECRET``, or a member's id) that no anonymous visitor may ever see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Config, parse_config
from bot.db import Database, Transaction
from bot.services.events import EventDraft, EventService
from bot.services.timers import TimerService
from bot.timeutil import utc_iso

GUILD = 1000
CHANNEL = 4000
PRIVATE_CHANNEL = 4001
LEADERS_ROLE = 5000
MEMBER_IDS = (987654321012345678, 876543210987654321)  # Discord ids that must never appear
MEMBER_NAMES = ("Margaux Lefèvre", "Lucía Quispe")


def hub_config(tmp_path: Path, **web: Any) -> Config:
    return parse_config(
        {
            "guild_ids": [GUILD],
            "timezone": "UTC",
            "web": {"enabled": True, "port": 0, "base_url": "https://hub.example.org", **web},
        },
        base_dir=tmp_path,
    )


@dataclass(frozen=True)
class Seeded:
    public_occurrence: int  # the first date of the public event
    public_series: int


def _texts(en: str) -> str:
    return json.dumps({"en": en, "fr": f"{en} (fr)", "es": f"{en} (es)"})


async def _group(tx: Transaction, key: str, name: str, visibility: str, now: str, channel: int | None) -> int:
    return await tx.insert(
        "INSERT INTO wg_groups (guild_id, key, name, description, visibility, status, channel_id, role_id, source, "
        "created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, 'in_progress', ?, 777, 'config', ?, ?)",
        (GUILD, key, _texts(name), _texts(f"About {name}"), visibility, channel, now, now),
    )


async def seed(db: Database, clock: Clock, config: Config) -> Seeded:
    now = clock.now()
    at = utc_iso(now)
    timers = TimerService(db, clock)
    events = EventService(db, clock, timers, config)

    public = await events.create_event(
        EventDraft(
            GUILD,
            1,
            "Global WIM Call",
            "2027-03-10 13:00",
            CHANNEL,
            timezone="UTC",
            description="Open to all WIM organisations",
            link="https://SECRET-meeting.example/zoom",
            recurrence="monthly",
        )
    )
    await events.create_event(
        EventDraft(
            GUILD,
            1,
            "SECRET leaders roundtable",
            "2027-03-11 14:00",
            CHANNEL,
            timezone="UTC",
            audience_role_id=LEADERS_ROLE,
        )
    )
    await events.create_event(
        EventDraft(
            GUILD, 1, "SECRET private group meeting", "2027-03-12 14:00", PRIVATE_CHANNEL, timezone="UTC"
        )
    )
    wg_event = await events.create_event(
        EventDraft(GUILD, 1, "STEM roundtable", "2027-03-15 15:00", CHANNEL, timezone="UTC")
    )
    hidden_wg_event = await events.create_event(
        EventDraft(GUILD, 1, "SECRET hidden group call", "2027-03-16 15:00", CHANNEL, timezone="UTC")
    )

    async with db.transaction() as tx:
        # --- organisations: active, and an archived one ------------------------------------------
        org_ids = []
        for key, name, country, region, status in (
            ("wim-peru", "Women in Mining Peru", "PE", "419", "active"),
            ("wim-sa", "Women in Mining South Africa", "ZA", "202", "active"),
            ("wim-uk", "Women in Mining UK", "GB", "154", "active"),
            ("gone", "SECRET Archived Organisation", "FR", "155", "archived"),
        ):
            org_ids.append(
                await tx.insert(
                    "INSERT INTO organisations (guild_id, name, name_key, country, region, website, description_en, "
                    "joined_on, status, source_key, created_at, updated_at, archived_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, '2021-06-15', ?, ?, ?, ?, ?)",
                    (
                        GUILD,
                        name,
                        name.casefold(),
                        country,
                        region,
                        f"https://{key}.example.org",
                        f"The network of {name}",
                        status,
                        key,
                        at,
                        at,
                        at if status == "archived" else None,
                    ),
                )
            )
        for user_id, org in zip(MEMBER_IDS, org_ids, strict=False):
            await tx.execute(
                "INSERT INTO organisation_members (guild_id, user_id, organisation_id, standing, verified_by, "
                "verified_at) VALUES (?, ?, ?, 'representative', 1, ?)",
                (GUILD, user_id, org, at),
            )
        await tx.execute(
            "INSERT INTO organisation_claims (guild_id, user_id, organisation_id, standing, language, created_at) "
            "VALUES (?, ?, ?, 'leader', 'en', ?)",
            (GUILD, MEMBER_IDS[1], org_ids[1], at),
        )

        # --- working groups: a public one with its work, a private one with its archive ----------
        stem = await _group(tx, "wg1-stem", "STEM and education", "public", at, CHANNEL)
        secret = await _group(tx, "wg9-secret", "SECRET private group", "private", at, PRIVATE_CHANNEL)
        for group, prefix in ((stem, ""), (secret, "SECRET ")):
            await tx.execute(
                "INSERT INTO wg_workplan_items (group_id, title, status, created_at, updated_at) "
                "VALUES (?, ?, 'in_progress', ?, ?)",
                (group, _texts(f"{prefix}Map mentoring programmes"), at, at),
            )
            await tx.execute(
                "INSERT INTO wg_deliverables (group_id, title, kind, due_date, status, link, created_at, updated_at) "
                "VALUES (?, ?, 'white_paper', '2027-06-30', 'in_progress', ?, ?, ?)",
                (
                    group,
                    _texts(f"{prefix}White paper on STEM"),
                    f"https://docs.example.org/{prefix.strip()}wp",
                    at,
                    at,
                ),
            )
            await tx.execute(
                "INSERT INTO wg_posts (group_id, kind, author_id, title, body, created_at, channel_id, message_id) "
                "VALUES (?, 'summary', ?, ?, ?, ?, ?, 42)",
                (
                    group,
                    MEMBER_IDS[0],
                    f"{prefix}March meeting",
                    f"{prefix}We agreed on the outline.",
                    at,
                    CHANNEL,
                ),
            )
            await tx.execute(
                "INSERT INTO wg_documents (group_id, title, url, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
                (
                    group,
                    f"{prefix}Outline",
                    f"https://docs.example.org/{prefix.strip()}outline",
                    MEMBER_IDS[0],
                    at,
                ),
            )
            await tx.execute(
                "INSERT INTO wg_initiatives (group_id, submitted_by, title, organisation, country, description, kind, "
                "language, status, submitted_at) VALUES (?, ?, ?, 'WIM Peru', 'PE', ?, 'programme', 'en', 'approved', ?)",
                (group, MEMBER_IDS[0], f"{prefix}Mentoring Peru", f"{prefix}A mentoring programme.", at),
            )
            await tx.execute(
                "INSERT INTO wg_coordinators (group_id, user_id, added_by, added_at) VALUES (?, ?, 1, ?)",
                (group, MEMBER_IDS[1], at),
            )
        # An unpublished post and a pending initiative of the public group stay unpublished.
        await tx.execute(
            "INSERT INTO wg_posts (group_id, kind, author_id, title, body, created_at) "
            "VALUES (?, 'update', ?, 'SECRET draft', 'SECRET not posted yet', ?)",
            (stem, MEMBER_IDS[0], at),
        )
        await tx.execute(
            "INSERT INTO wg_initiatives (group_id, submitted_by, title, organisation, country, description, kind, "
            "language, status, submitted_at) VALUES (?, ?, 'SECRET pending initiative', 'X', 'PE', 'SECRET', "
            "'programme', 'en', 'pending', ?)",
            (stem, MEMBER_IDS[0], at),
        )
        await tx.execute(
            "INSERT INTO wg_join_requests (group_id, user_id, language, requested_at) VALUES (?, ?, 'en', ?)",
            (secret, MEMBER_IDS[0], at),
        )
        await tx.execute(
            "INSERT INTO wg_events (group_id, series_id) VALUES (?, ?)", (stem, wg_event.series_id)
        )
        await tx.execute(
            "INSERT INTO wg_events (group_id, series_id) VALUES (?, ?)", (secret, hidden_wg_event.series_id)
        )

        # --- consultations: a published result, and every kind that must stay in Discord ----------
        closed = utc_iso(now - timedelta(days=2))
        opened = utc_iso(now - timedelta(days=9))

        async def poll(question: str, **columns: Any) -> int:
            values = {
                "guild_id": GUILD,
                "channel_id": CHANNEL,
                "creator_id": MEMBER_IDS[0],
                "question": question,
                "kind": "single",
                "voters": "members",
                "opens_at": opened,
                "closes_at": closed,
                "status": "closed",
                "closed_at": closed,
                "results_message_id": 99,
                "created_at": opened,
                **columns,
            }
            poll_id = await tx.insert(
                f"INSERT INTO polls ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                list(values.values()),
            )
            for position, label in enumerate(("Yes", "No"), start=1):
                await tx.execute(
                    "INSERT INTO poll_options (poll_id, position, label, label_key) VALUES (?, ?, ?, ?)",
                    (poll_id, position, label, label.casefold()),
                )
            for user_id, choice in zip(MEMBER_IDS, (1, 1), strict=True):
                ballot = await tx.insert(
                    "INSERT INTO poll_ballots (poll_id, user_id, cast_by, cast_at, first_cast_at, comment) "
                    "VALUES (?, ?, ?, ?, ?, 'SECRET ballot comment')",
                    (poll_id, user_id, user_id, opened, opened),
                )
                await tx.execute(
                    "INSERT INTO poll_choices (ballot_id, poll_id, position, rank) VALUES (?, ?, ?, 1)",
                    (ballot, poll_id, choice),
                )
            return poll_id

        await poll("Should the Alliance hold a Global WIM Summit in 2027?")
        await poll(
            "SECRET still open poll",
            status="open",
            closed_at=None,
            results_message_id=None,
            closes_at=utc_iso(now + timedelta(days=3)),
        )
        await poll("SECRET results not posted yet", results_message_id=None)
        await poll("SECRET leaders-only poll", audience_role_id=LEADERS_ROLE)
        await poll("SECRET private group poll", channel_id=PRIVATE_CHANNEL)

        # --- digests: a sent week, and one still being sent -------------------------------------
        for week, status, message in (("2027-W08", "sent", 55), ("2027-W09", "sent", None)):
            await tx.execute(
                "INSERT INTO digest_weeks (guild_id, week, status, trigger, since, until, created_at) "
                "VALUES (?, ?, ?, 'schedule', ?, ?, ?)",
                (
                    GUILD,
                    week,
                    status,
                    utc_iso(now - timedelta(days=14)),
                    utc_iso(now - timedelta(days=7)),
                    at,
                ),
            )
            text = (
                "SECRET unposted digest"
                if message is None
                else (
                    f"**Global WIM Call**\n<t:{int(now.timestamp())}:F> · Going: 3\n"
                    f"Newly verified: <@{MEMBER_IDS[0]}> as leader of **WIM Peru**\n"
                    "[Announcement](https://discord.com/channels/1/2/3) in <#4000>"
                )
            )
            await tx.execute(
                "INSERT INTO digest_parts (guild_id, week, part, language, body, channel_id, message_id) "
                "VALUES (?, ?, 0, 'en', ?, ?, ?)",
                (
                    GUILD,
                    week,
                    json.dumps(
                        [{"title": "Events in the next 14 days", "description": text, "timestamp": None}]
                    ),
                    CHANNEL,
                    message,
                ),
            )
        await tx.execute(
            "INSERT INTO digest_subscriptions (guild_id, user_id, subscribed_at) VALUES (?, ?, ?)",
            (GUILD, MEMBER_IDS[1], at),
        )
    return Seeded(public_occurrence=public.id, public_series=public.series_id)
