"""Embeds and texts for working groups. Pure functions of service structs and a catalog: no I/O.

Every text a member typed is clipped to Discord's limits here; an embed that would pass the 6,000
character total drops its last fields (and says so) rather than being refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import discord
from discord.utils import format_dt

from bot import limits
from bot.core.mentions import mention_list
from bot.countries import fold
from bot.i18n import Catalog
from bot.limits import clip
from bot.services.working_groups import (
    Group,
    GroupCard,
    Initiative,
    Post,
    ReportLine,
    Roundtable,
    SearchHit,
)
from bot.services.working_groups.initiatives import country_label

COLOUR: Final = discord.Colour.from_rgb(0x1F, 0x7A, 0x8C)
STATUS_EMOJI: Final = {
    "not_started": "⚪",
    "in_progress": "🔵",
    "needs_attention": "🟠",
    "completed": "🟢",
}
SOURCE_EMOJI: Final = {"update": "📣", "summary": "📝", "document": "📄", "initiative": "💡"}
SUMMARY_INLINE_LIMIT: Final = 1800  # a summary longer than this goes out as an attached Markdown file
SUMMARY_EXCERPT: Final = 400
LINE_LIMIT: Final = 200


def status_label(catalog: Catalog, lang: str, status: str) -> str:
    return f"{STATUS_EMOJI.get(status, '')} {catalog.t(lang, f'working_groups.status.{status}')}".strip()


def jump_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def mentions(user_ids: Sequence[int]) -> str:
    return ", ".join(f"<@{user_id}>" for user_id in user_ids)


def _lines_field(lines: Sequence[str], limit: int = limits.EMBED_FIELD_VALUE) -> str:
    """Lines joined until the field is full; the rest summarised as "…"."""
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - 2:
            out.append("…")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out) or "—"


def embed_length(embed: discord.Embed) -> int:
    return len(embed)


def fit(embed: discord.Embed, catalog: Catalog, lang: str) -> discord.Embed:
    """Drop the last fields until the embed fits Discord's 6,000-character total."""
    dropped = False
    while len(embed) > limits.EMBED_TOTAL - 100 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        dropped = True
    if dropped:
        embed.set_footer(text=catalog.t(lang, "working_groups.render.truncated"))
    return embed


LIST_PAGE_SIZE: Final = 8  # groups per page of /wg list: eight blocks always fit one embed


def list_page_embed(
    catalog: Catalog,
    lang: str,
    groups: Sequence[Group],
    members: dict[int, int | None],
    coordinators: dict[int, list[int]],
    *,
    page: int,
    pages: int,
) -> discord.Embed:
    """One page of /wg list: each group's status, members, coordinators and last activity."""
    embed = discord.Embed(title=catalog.t(lang, "working_groups.list.title"), colour=COLOUR)
    if not groups:
        embed.description = catalog.t(lang, "working_groups.list.empty")
        return embed
    blocks = []
    for group in groups:
        count = members.get(group.id)
        line = catalog.t(
            lang,
            "working_groups.list.line",
            status=status_label(catalog, lang, group.status),
            members="?" if count is None else count,
            coordinators=mention_list(
                coordinators.get(group.id, []),
                nobody=catalog.t(lang, "working_groups.render.nobody"),
                more=lambda n: catalog.t(lang, "working_groups.render.more", count=n),
                limit=200,
            ),
            activity=format_dt(group.last_activity_at, "R"),
        )
        private = " 🔒" if group.private else ""
        channel = f" · <#{group.channel_id}>" if group.channel_id else ""
        blocks.append(f"**{clip(group.name.get(lang), 100)}**{private}{channel}\n{line}")
    embed.description = clip("\n\n".join(blocks), limits.EMBED_DESCRIPTION)
    if pages > 1:
        embed.set_footer(text=catalog.t(lang, "working_groups.list.page", page=page + 1, pages=pages))
    return embed


def _post_line(catalog: Catalog, lang: str, guild_id: int, post: Post) -> str:
    text = post.title or post.body
    url = jump_url(guild_id, post.channel_id, post.message_id)
    line = f"{format_dt(post.created_at, 'd')} {limits.excerpt(text, 90)}"
    return f"{line} · [{catalog.t(lang, 'working_groups.render.open')}]({url})" if url else line


def card_embed(
    catalog: Catalog,
    lang: str,
    card: GroupCard,
    *,
    members: int | None,
    roundtables: Sequence[str] = (),
) -> discord.Embed:
    group = card.group
    t = catalog.t
    embed = discord.Embed(
        title=clip(group.name.get(lang), limits.EMBED_TITLE),
        description=clip(group.stake.get(lang) or t(lang, "working_groups.render.none"), 1500),
        colour=COLOUR,
    )
    status = status_label(catalog, lang, group.status)
    if card.history:
        latest = card.history[0]
        status += f" · {format_dt(latest.changed_at, 'd')}"
        if latest.note:
            status += f"\n> {limits.excerpt(latest.note, 200)}"
    embed.add_field(name=t(lang, "working_groups.card.status"), value=clip(status, 1024), inline=True)
    embed.add_field(
        name=t(lang, "working_groups.card.members"),
        value=t(lang, "working_groups.card.role_missing") if members is None else str(members),
        inline=True,
    )
    embed.add_field(
        name=t(lang, "working_groups.card.coordinators"),
        value=clip(mentions(card.coordinators), 1024) or t(lang, "working_groups.render.nobody"),
        inline=True,
    )
    if group.archived:
        embed.add_field(
            name=t(lang, "working_groups.card.archived"),
            value=format_dt(group.archived_at or group.created_at, "D"),
            inline=True,
        )
    if group.actions:
        actions = [
            "• " + clip(line.strip(), LINE_LIMIT)
            for line in group.actions.get(lang).splitlines()
            if line.strip()
        ]
        embed.add_field(
            name=t(lang, "working_groups.card.actions"), value=_lines_field(actions), inline=False
        )
    if group.mandate:
        embed.add_field(
            name=t(lang, "working_groups.card.mandate"),
            value=clip(group.mandate.get(lang), 1024),
            inline=False,
        )
    workplan = [
        f"{STATUS_EMOJI[item.status]} `{item.id}` {clip(item.title.get(lang), LINE_LIMIT)}"
        for item in card.workplan
    ]
    embed.add_field(name=t(lang, "working_groups.card.workplan"), value=_lines_field(workplan), inline=False)
    deliverables = []
    for deliverable in card.deliverables:
        line = (
            f"{STATUS_EMOJI[deliverable.status]} `{deliverable.id}` {clip(deliverable.title.get(lang), 120)}"
            f" · {t(lang, f'working_groups.kind.{deliverable.kind}')}"
        )
        if deliverable.due_date:
            line += " · " + t(lang, "working_groups.card.due", date=deliverable.due_date.isoformat())
        if deliverable.link:
            line += f" · [{t(lang, 'working_groups.render.open')}]({deliverable.link})"
        deliverables.append(line)
    embed.add_field(
        name=t(lang, "working_groups.card.deliverables"), value=_lines_field(deliverables), inline=False
    )
    if group.description:
        embed.add_field(
            name=t(lang, "working_groups.card.description"),
            value=clip(group.description.get(lang), 1024),
            inline=False,
        )
    if card.updates:
        lines = [_post_line(catalog, lang, group.guild_id, post) for post in card.updates]
        embed.add_field(name=t(lang, "working_groups.card.updates"), value=_lines_field(lines), inline=False)
    if card.summaries:
        lines = [_post_line(catalog, lang, group.guild_id, post) for post in card.summaries]
        embed.add_field(
            name=t(lang, "working_groups.card.summaries"), value=_lines_field(lines), inline=False
        )
    if roundtables:
        embed.add_field(
            name=t(lang, "working_groups.card.roundtables"),
            value=_lines_field(list(roundtables)),
            inline=False,
        )
    if card.archive_hidden:
        embed.add_field(
            name=t(lang, "working_groups.card.private"),
            value=t(lang, "working_groups.card.private_note"),
            inline=False,
        )
    if card.documents:
        lines = [f"`{doc.id}` [{clip(doc.title, 100)}]({doc.url})" for doc in card.documents]
        embed.add_field(
            name=t(lang, "working_groups.card.documents"), value=_lines_field(lines), inline=False
        )
    return fit(embed, catalog, lang)


def update_embed(catalog: Catalog, lang: str, group: Group, post: Post) -> discord.Embed:
    embed = discord.Embed(
        title=clip(
            catalog.t(lang, "working_groups.update.title", group=group.name.get(lang)), limits.EMBED_TITLE
        ),
        description=clip(post.body, limits.EMBED_DESCRIPTION),
        colour=COLOUR,
        timestamp=post.created_at,
    )
    embed.add_field(name=catalog.t(lang, "working_groups.update.by"), value=f"<@{post.author_id}>")
    return embed


def summary_markdown(catalog: Catalog, lang: str, group: Group, post: Post, event: str | None) -> str:
    """The whole summary as a Markdown document (the attachment of a long summary)."""
    lines = [
        f"# {post.title or ''}",
        "",
        f"- {catalog.t(lang, 'working_groups.summary.group')}: {group.name.get(lang)}",
        f"- {catalog.t(lang, 'working_groups.summary.date')}: {post.created_at.date().isoformat()}",
    ]
    if event:
        lines.append(f"- {catalog.t(lang, 'working_groups.summary.event')}: {event}")
    lines += ["", post.body, ""]
    return "\n".join(lines)


def summary_message(
    catalog: Catalog, lang: str, group: Group, post: Post, event: str | None
) -> tuple[str, bool]:
    """(content, attach the whole text as Markdown). Short summaries are posted as they are."""
    header = catalog.t(
        lang,
        "working_groups.summary.header",
        title=post.title or "",
        group=group.name.get(lang),
        author=f"<@{post.author_id}>",
    )
    if event:
        header += "\n" + catalog.t(lang, "working_groups.summary.for_event", event=clip(event, 150))
    if len(header) + 2 + len(post.body) <= SUMMARY_INLINE_LIMIT:
        return f"{header}\n\n{post.body}", False
    excerpt = clip(post.body, SUMMARY_EXCERPT)
    note = catalog.t(lang, "working_groups.summary.attached", length=len(post.body))
    return clip(f"{header}\n\n{excerpt}\n\n{note}", limits.MESSAGE_CONTENT), True


REPORT_NAME_WIDTH: Final = 40  # a group's name in the attached table, clipped beyond


def report_table(catalog: Catalog, lang: str, lines: Sequence[ReportLine]) -> str:
    """A monospace table, one row per group under its name: the attachment when the embed cannot hold
    every group. Each column is as wide as its longest cell, so no heading needs abbreviating."""
    t = catalog.t
    header = [
        t(lang, f"working_groups.report.{column}")
        for column in ("group", "status", "workplan", "deliverables", "overdue", "days")
    ]
    body = [
        [
            clip(line.row.name.get(lang) or line.row.key, REPORT_NAME_WIDTH),
            t(lang, f"working_groups.status.{line.row.status}"),
            f"{line.row.workplan_done}/{line.row.workplan_total}",
            f"{line.row.deliverables_done}/{line.row.deliverables_total}",
            str(line.row.deliverables_overdue),
            str(line.days_since_update) + (" ⚠" if line.stale else ""),
        ]
        for line in lines
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def render(row: list[str]) -> str:
        # Names and statuses read left to right; the figures line up on the right.
        cells = [
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(render(header))
    return "\n".join([render(header), rule, *(render(row) for row in body)])


def report_field(catalog: Catalog, lang: str, line: ReportLine) -> tuple[str, str]:
    """One group of the report as an embed field (name, value): a few short lines that a phone shows
    without wrapping, where a table row would not fit."""
    row = line.row
    name = row.name.get(lang) or row.key
    title = catalog.t(lang, "working_groups.report.stale_name", group=name) if line.stale else name
    parts = [
        f"**{status_label(catalog, lang, row.status)}**",
        catalog.t(
            lang,
            "working_groups.report.progress",
            workplan=f"{row.workplan_done}/{row.workplan_total}",
            deliverables=f"{row.deliverables_done}/{row.deliverables_total}",
        ),
    ]
    if row.deliverables_overdue:
        parts.append(catalog.t(lang, "working_groups.report.late", count=row.deliverables_overdue))
    parts.append(catalog.t(lang, "working_groups.report.quiet", count=line.days_since_update))
    value = "\n".join(parts)
    return clip(title, limits.EMBED_FIELD_NAME), clip(value, limits.EMBED_FIELD_VALUE)


def report_embed(
    catalog: Catalog, lang: str, lines: Sequence[ReportLine], weeks: int
) -> tuple[discord.Embed, bool]:
    """(embed, the groups did not fit and the table is attached whole). One field per group, in the
    reader's language."""
    legend = catalog.t(lang, "working_groups.report.legend", weeks=weeks)
    stale = [line.row.name.get(lang) or line.row.key for line in lines if line.stale]
    summary = (
        catalog.t(lang, "working_groups.report.stale", groups=", ".join(stale))
        if stale
        else catalog.t(lang, "working_groups.report.none_stale")
    )
    title = catalog.t(lang, "working_groups.report.title")
    embed = discord.Embed(title=title, description=clip(f"{summary}\n{legend}", 3000), colour=COLOUR)
    for line in lines:
        name, value = report_field(catalog, lang, line)
        embed.add_field(name=name, value=value, inline=False)
    attached = len(lines) > limits.EMBED_FIELDS or len(embed) > limits.EMBED_TOTAL
    if attached:
        attached_note = catalog.t(lang, "working_groups.report.attached", groups=len(lines))
        embed = discord.Embed(
            title=title, description=f"{attached_note}\n{clip(summary, 1500)}\n{legend}", colour=COLOUR
        )
    return embed, attached


def search_embed(
    catalog: Catalog, lang: str, query: str, hits: Sequence[SearchHit], names: dict[int, str], guild_id: int
) -> discord.Embed:
    embed = discord.Embed(
        title=clip(
            catalog.t(lang, "working_groups.search.title", query=limits.excerpt(query)), limits.EMBED_TITLE
        ),
        colour=COLOUR,
    )
    if not hits:
        embed.description = catalog.t(lang, "working_groups.search.none")
        return embed
    blocks = []
    for hit in hits:
        url = jump_url(guild_id, hit.channel_id, hit.message_id) or hit.url
        kind = catalog.t(lang, f"working_groups.search.source.{hit.source}")
        title = clip(hit.title, 100) if hit.title else kind
        link = f" · [{catalog.t(lang, 'working_groups.render.open')}]({url})" if url else ""
        snippet = clip(" ".join(hit.snippet.split()), 300)
        group = clip(names.get(hit.group_id, "?"), 80)
        blocks.append(f"{SOURCE_EMOJI.get(hit.source, '')} **{title}** · {kind} · {group}{link}\n{snippet}")
    embed.description = _lines_field(blocks, limits.EMBED_DESCRIPTION)
    return embed


def when_short(moment: datetime) -> str:
    return format_dt(moment, "d")


def initiative_embed(catalog: Catalog, lang: str, initiative: Initiative) -> discord.Embed:
    t = catalog.t
    embed = discord.Embed(
        title=clip(initiative.title, limits.EMBED_TITLE),
        description=clip(initiative.description, 2000),
        colour=COLOUR,
        url=initiative.link,
    )
    embed.add_field(
        name=t(lang, "working_groups.initiative.labels.organisation"),
        value=clip(initiative.organisation, 256),
    )
    embed.add_field(
        name=t(lang, "working_groups.initiative.labels.country"),
        value=clip(country_label(initiative, lang), 256),
    )
    embed.add_field(
        name=t(lang, "working_groups.initiative.kind_label"),
        value=t(lang, f"working_groups.initiative.kind.{initiative.kind}"),
    )
    return embed


def initiatives_embed(
    catalog: Catalog, lang: str, group: Group, initiatives: Sequence[Initiative], filters: str
) -> discord.Embed:
    t = catalog.t
    embed = discord.Embed(
        title=clip(
            t(lang, "working_groups.initiative.list_title", group=group.name.get(lang)), limits.EMBED_TITLE
        ),
        colour=COLOUR,
    )
    if not initiatives:
        embed.description = t(lang, "working_groups.initiative.none", filters=filters)
        return embed
    blocks = []
    for initiative in initiatives:
        title = clip(initiative.title, 100)
        head = f"[{title}]({initiative.link})" if initiative.link else f"**{title}**"
        kind = t(lang, f"working_groups.initiative.kind.{initiative.kind}")
        country = clip(country_label(initiative, lang), 40)
        blocks.append(
            f"{head} · {clip(initiative.organisation, 60)} · {country} · {kind}\n"
            f"{limits.excerpt(initiative.description, 160)}"
        )
    embed.description = _lines_field(blocks, limits.EMBED_DESCRIPTION - 200)
    embed.set_footer(text=t(lang, "working_groups.initiative.count", count=len(initiatives), filters=filters))
    return embed


# country_code: ISO 3166-1 alpha-2, empty for an old entry whose typed country matched no name;
# country: its name in the exporter's language, or that old entry's text as typed.
CSV_COLUMNS: Final = (
    "id",
    "title",
    "organisation",
    "country_code",
    "country",
    "kind",
    "link",
    "description",
    "submitted_at",
)


def initiatives_csv(lang: str, initiatives: Sequence[Initiative]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for i in initiatives:
        writer.writerow(
            [
                i.id,
                i.title,
                i.organisation,
                i.country or "",
                country_label(i, lang),
                i.kind,
                i.link or "",
                i.description,
                i.submitted_at.date().isoformat(),
            ]
        )
    return buffer.getvalue()


def _markdown_line(text: str) -> str:
    """Member text inside a Markdown list item: one line, no heading or list markers taking over."""
    return " ".join(text.split())


def initiatives_markdown(catalog: Catalog, lang: str, group: Group, initiatives: Sequence[Initiative]) -> str:
    """The index grouped by country, ready to paste into the group's white paper."""
    t = catalog.t
    lines = [f"# {t(lang, 'working_groups.initiative.list_title', group=group.name.get(lang))}", ""]
    by_country: dict[str, list[Initiative]] = {}
    for initiative in initiatives:
        by_country.setdefault(country_label(initiative, lang).strip(), []).append(initiative)
    for country in sorted(by_country, key=fold):
        lines += [f"## {_markdown_line(country)}", ""]
        for i in by_country[country]:
            title = _markdown_line(i.title)
            head = f"[{title}]({i.link})" if i.link else title
            kind = t(lang, f"working_groups.initiative.kind.{i.kind}")
            lines.append(f"- **{head}** — {_markdown_line(i.organisation)} ({kind})")
            lines.append(f"  {_markdown_line(i.description)}")
        lines.append("")
    return "\n".join(lines)


def roundtable_lines(
    catalog: Catalog, lang: str, upcoming: Sequence[Roundtable], past: Sequence[Roundtable]
) -> list[str]:
    """Upcoming roundtables (date and title), then past ones with how many checked in."""
    lines = [f"📅 {format_dt(r.starts_at, 'f')} · {clip(r.title, 100)}" for r in upcoming]
    lines += [
        f"✅ {format_dt(r.starts_at, 'd')} · {clip(r.title, 100)} · "
        + catalog.t(lang, "working_groups.card.attended", count=r.attended)
        for r in past
    ]
    return lines
