"""Embeds and texts for events. Pure functions of service structs and a catalog: no I/O.

Times are always Discord timestamps (``format_dt``) so every reader sees them in their own zone;
the organiser's zone is named alongside so nobody wonders which "13:00" was meant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import discord
from discord.utils import format_dt

from bot import limits
from bot.core import mentions
from bot.i18n import Catalog
from bot.limits import clip
from bot.services.events import Attendees, Occurrence, RsvpCounts

# Discord's limits, from the shared module (kept under these names for this package's tests).
EMBED_TITLE_LIMIT: Final = limits.EMBED_TITLE
EMBED_DESCRIPTION_LIMIT: Final = limits.EMBED_DESCRIPTION
EMBED_FIELD_VALUE_LIMIT: Final = limits.EMBED_FIELD_VALUE
EMBED_TOTAL_LIMIT: Final = limits.EMBED_TOTAL
MESSAGE_CONTENT_LIMIT: Final = limits.MESSAGE_CONTENT

ANNOUNCEMENT_COLOUR: Final = discord.Colour.from_rgb(0x8E, 0x44, 0xAD)
CANCELLED_COLOUR: Final = discord.Colour.dark_grey()
LIST_PAGE_SIZE: Final = 10


def format_duration(catalog: Catalog, lang: str, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return catalog.t(lang, "events_ui.duration.minutes", minutes=rest)
    if rest == 0:
        return catalog.t(lang, "events_ui.duration.hours", hours=hours)
    return catalog.t(lang, "events_ui.duration.hours_minutes", hours=hours, minutes=rest)


def when(occurrence: Occurrence) -> str:
    """The start as a full date and time in the reader's own zone."""
    return format_dt(occurrence.starts_at, "F")


def replies_line(catalog: Catalog, lang: str, counts: RsvpCounts) -> str:
    return catalog.t(
        lang,
        "events_ui.announcement.replies_value",
        going=counts.going,
        maybe=counts.maybe,
        declined=counts.declined,
    )


def announcement_embed(
    catalog: Catalog,
    lang: str,
    occurrence: Occurrence,
    *,
    ended: bool = False,
    checked_in: int | None = None,
) -> discord.Embed:
    """The announcement of one occurrence: everything a member needs to decide and to join."""
    cancelled = occurrence.status == "cancelled"
    title = occurrence.title
    if cancelled:
        title = catalog.t(lang, "events_ui.announcement.cancelled_title", title=title)
    description = occurrence.description
    notice_key = "cancelled_notice" if cancelled else "ended_notice" if ended else None
    if notice_key is not None:
        notice = f"**{catalog.t(lang, f'events_ui.announcement.{notice_key}')}**"
        description = f"{notice}\n\n{description}" if description else notice
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE_LIMIT),
        description=clip(description, EMBED_DESCRIPTION_LIMIT) or None,
        colour=CANCELLED_COLOUR if cancelled or ended else ANNOUNCEMENT_COLOUR,
    )
    t = catalog.t
    embed.add_field(
        name=t(lang, "events_ui.announcement.when"),
        value=f"{format_dt(occurrence.starts_at, 'F')}\n{format_dt(occurrence.starts_at, 'R')}",
        inline=False,
    )
    embed.add_field(
        name=t(lang, "events_ui.announcement.duration"),
        value=format_duration(catalog, lang, occurrence.duration_minutes),
    )
    embed.add_field(
        name=t(lang, "events_ui.announcement.organiser_zone"),
        value=t(lang, "events_ui.announcement.organiser_zone_value", zone=occurrence.timezone),
    )
    embed.add_field(
        name=t(lang, "events_ui.announcement.recurrence"),
        value=t(lang, f"events_ui.recurrence.{occurrence.recurrence}"),
    )
    embed.add_field(
        name=t(lang, "events_ui.announcement.audience"),
        value=(
            f"<@&{occurrence.audience_role_id}>"
            if occurrence.audience_role_id
            else t(lang, "events_ui.announcement.audience_everyone")
        ),
    )
    # The meeting link is behind the card's "Join the meeting" button (counted for /stats), not shown.
    embed.add_field(
        name=t(lang, "events_ui.announcement.replies"),
        value=replies_line(catalog, lang, occurrence.counts),
        inline=False,
    )
    if checked_in is not None:
        embed.add_field(name=t(lang, "events_ui.announcement.checked_in"), value=str(checked_in))
    embed.set_footer(text=t(lang, "events_ui.announcement.footer", occurrence_id=occurrence.id))
    return embed


def list_page_embed(
    catalog: Catalog, lang: str, items: Sequence[Occurrence], *, days: int, page: int, pages: int
) -> discord.Embed:
    """One page of ``/event list``: at most ``LIST_PAGE_SIZE`` lines, well within the description limit."""
    t = catalog.t
    if not items:
        lines = [t(lang, "events_ui.list.empty", days=days)]
    else:
        lines = [
            t(
                lang,
                "events_ui.list.line",
                title=occurrence.title,
                when=format_dt(occurrence.starts_at, "f"),
                relative=format_dt(occurrence.starts_at, "R"),
                going=occurrence.counts.going,
                maybe=occurrence.counts.maybe,
                occurrence_id=occurrence.id,
            )
            for occurrence in items
        ]
    embed = discord.Embed(
        title=t(lang, "events_ui.list.title", days=days),
        description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=ANNOUNCEMENT_COLOUR,
    )
    embed.set_footer(text=t(lang, "events_ui.list.page", page=page + 1, pages=max(pages, 1)))
    return embed


def mention_list(
    catalog: Catalog, lang: str, user_ids: Sequence[int], *, limit: int = EMBED_FIELD_VALUE_LIMIT
) -> str:
    """``<@id>, <@id>, ... and N more`` fitting in ``limit`` characters; "Nobody yet" when empty."""
    return mentions.mention_list(
        user_ids,
        nobody=catalog.t(lang, "events_ui.attendees.nobody"),
        more=lambda count: catalog.t(lang, "events_ui.attendees.more", count=count),
        limit=limit,
    )


def attendees_embed(
    catalog: Catalog, lang: str, occurrence: Occurrence, attendees: Attendees
) -> discord.Embed:
    """RSVP lists and check-ins of one occurrence, as (non-pinging) mentions within the embed limits."""
    t = catalog.t
    by_status: dict[str, list[int]] = {"going": [], "maybe": [], "declined": []}
    for rsvp in attendees.rsvps:
        by_status.setdefault(rsvp.status, []).append(rsvp.user_id)
    embed = discord.Embed(
        title=clip(t(lang, "events_ui.attendees.title", title=occurrence.title), EMBED_TITLE_LIMIT),
        description=format_dt(occurrence.starts_at, "F"),
        colour=ANNOUNCEMENT_COLOUR,
    )
    for status in ("going", "maybe", "declined"):
        ids = by_status[status]
        embed.add_field(
            name=t(lang, f"events_ui.attendees.{status}", count=len(ids)),
            value=mention_list(catalog, lang, ids),
            inline=False,
        )
    checked = [check_in.user_id for check_in in attendees.check_ins]
    embed.add_field(
        name=t(lang, "events_ui.attendees.checked_in", count=len(checked)),
        value=mention_list(catalog, lang, checked),
        inline=False,
    )
    embed.set_footer(text=t(lang, "events_ui.announcement.footer", occurrence_id=occurrence.id))
    return embed


def _link_suffix(catalog: Catalog, lang: str, link: str | None) -> str:
    return catalog.t(lang, "events_ui.reminder.link_suffix", link=link) if link else ""


def _reminder_body(
    catalog: Catalog, lang: str, key: str, occurrence: Occurrence, *, late: bool, link_button: bool = False
) -> str:
    text = catalog.t(
        lang,
        key,
        title=occurrence.title,
        relative=format_dt(occurrence.starts_at, "R"),
        when=format_dt(occurrence.starts_at, "F"),
        link="" if link_button else _link_suffix(catalog, lang, occurrence.link),
    )
    if late:
        text += catalog.t(lang, "events_ui.reminder.late")
    return text


def reminder_text(
    catalog: Catalog,
    lang: str,
    occurrence: Occurrence,
    *,
    late: bool,
    role_mention: str | None,
    link_button: bool = False,
) -> str:
    """The channel reminder: the audience role (if any) first, so it is the only mention. With
    ``link_button`` the meeting link is left to the post's "Join" button (counted) instead of the text."""
    text = _reminder_body(
        catalog, lang, "events_ui.reminder.post", occurrence, late=late, link_button=link_button
    )
    if role_mention:
        text = f"{role_mention} {text}"
    return clip(text, MESSAGE_CONTENT_LIMIT)


def reminder_dm_text(
    catalog: Catalog,
    lang: str,
    occurrence: Occurrence,
    *,
    late: bool,
    url: str | None = None,
    link_button: bool = False,
) -> str:
    """The reminder by DM; ``url`` (the announcement's jump link) is appended when it is known. With
    ``link_button`` the meeting link is left to the DM's "Join" button (counted) instead of the text."""
    text = _reminder_body(
        catalog, lang, "events_ui.reminder.dm", occurrence, late=late, link_button=link_button
    )
    if url is not None and url.startswith("https://"):
        text = f"{text} {url}"
    return clip(text, MESSAGE_CONTENT_LIMIT)


def meeting_link_text(catalog: Catalog, lang: str, occurrence: Occurrence, link: str) -> str:
    """The ephemeral answer of the "Join the meeting" button."""
    return clip(
        catalog.t(lang, "events_ui.link.answer", title=occurrence.title, when=when(occurrence), link=link),
        MESSAGE_CONTENT_LIMIT,
    )


def start_text(catalog: Catalog, lang: str, occurrence: Occurrence, *, link_button: bool = False) -> str:
    """The "starting now" line. With ``link_button`` the meeting link is left to the post's "Join"
    button (counted) instead of the text."""
    return clip(
        catalog.t(
            lang,
            "events_ui.start.post",
            title=occurrence.title,
            link="" if link_button else _link_suffix(catalog, lang, occurrence.link),
        ),
        MESSAGE_CONTENT_LIMIT,
    )


def change_notice_text(catalog: Catalog, lang: str, occurrence: Occurrence, url: str) -> str:
    return clip(
        catalog.t(
            lang,
            "events_ui.edit.dm_notice",
            title=occurrence.title,
            when=format_dt(occurrence.starts_at, "F"),
            relative=format_dt(occurrence.starts_at, "R"),
            url=url,
        ),
        MESSAGE_CONTENT_LIMIT,
    )


def cancelled_post_text(
    catalog: Catalog, lang: str, occurrence: Occurrence, *, series_count: int | None = None
) -> str:
    """The notice posted (and DMed) on cancellation: one occurrence, or a series from it on."""
    if series_count is not None:
        text = catalog.t(
            lang,
            "events_ui.announcement.cancelled_series_post",
            title=occurrence.title,
            when=format_dt(occurrence.starts_at, "F"),
            count=series_count,
        )
    else:
        text = catalog.t(
            lang,
            "events_ui.announcement.cancelled_post",
            title=occurrence.title,
            when=format_dt(occurrence.starts_at, "F"),
        )
    return clip(text, MESSAGE_CONTENT_LIMIT)
