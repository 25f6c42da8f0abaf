"""Embeds, texts and export files of the directory. Pure functions of service structs and a catalog.

Discord names never appear in the public exports (CSV, Markdown, chart): only organisations.
Member mentions appear in embeds only, where Discord shows them as names and never pings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Final

import discord
from discord.utils import format_dt

from bot import countries
from bot.charts import bar_chart_png
from bot.core.mentions import mention_list
from bot.i18n import Catalog
from bot.limits import EMBED_DESCRIPTION, EMBED_FIELD_VALUE, EMBED_TITLE, clip
from bot.services.organisations import (
    Claim,
    DirectoryPage,
    HistoryPage,
    Organisation,
    OrganisationCard,
    StandingCounts,
)

LIST_PAGE_SIZE: Final = 10
HISTORY_PAGE_SIZE: Final = 10
COLOUR: Final = discord.Colour.from_rgb(0x8E, 0x44, 0xAD)
DECIDED_COLOUR: Final = discord.Colour.dark_grey()
CSV_COLUMNS: Final = (
    "name",
    "country_code",
    "country",
    "region_code",
    "region",
    "website",
    "linkedin",
    "joined_on",
    "status",
    "description_en",
    "description_fr",
    "description_es",
    # The card's "Total" and its split by standing: members linked to the organisation by a moderator
    # (an approved claim or /org verify). A pending or declined claim is not counted, nor a member who
    # left (the link is gone), nor anyone at an archived organisation (unlinked when archived).
    "verified_total",
    "verified_as_member",
    "verified_as_leader",
    "verified_as_representative",
)


def region_name(catalog: Catalog, lang: str, code: str) -> str:
    return catalog.t(lang, f"orgs.regions.{code}")


def standing_name(catalog: Catalog, lang: str, standing: str) -> str:
    return catalog.t(lang, f"orgs.standing.{standing}")


def pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


# --- list, card -------------------------------------------------------------------------------------


def list_embed(
    catalog: Catalog,
    lang: str,
    found: DirectoryPage,
    *,
    page: int,
    region: str | None = None,
    country: str | None = None,
) -> discord.Embed:
    """One page of the directory: organisations under their region's heading, and the counts per region."""
    if country is not None:
        title = catalog.t(lang, "orgs.ui.list.title_country", country=countries.country_name(country, lang))
    elif region is not None:
        title = catalog.t(lang, "orgs.ui.list.title_region", region=region_name(catalog, lang, region))
    else:
        title = catalog.t(lang, "orgs.ui.list.title")
    lines: list[str] = []
    current: str | None = None
    for organisation in found.items:
        if organisation.region != current:
            current = organisation.region
            lines.append(f"__**{region_name(catalog, lang, current)}**__")
        name = discord.utils.escape_markdown(clip(organisation.name, 100))
        lines.append(
            f"**[{name}]({organisation.website})** · {countries.country_name(organisation.country, lang)}"
        )
    if not lines:
        empty = "orgs.ui.list.empty" if found.region_counts else "orgs.ui.list.empty_directory"
        lines.append(catalog.t(lang, empty))
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE), description=clip("\n".join(lines), EMBED_DESCRIPTION), colour=COLOUR
    )
    if found.region_counts:
        order = {code: rank for rank, code in enumerate(countries.SUBREGIONS)}
        counts = [
            f"{region_name(catalog, lang, code)}: **{n}**"
            for code, n in sorted(found.region_counts.items(), key=lambda item: order.get(item[0], 999))
        ]
        embed.add_field(
            name=catalog.t(lang, "orgs.ui.list.counts"), value=clip("\n".join(counts), EMBED_FIELD_VALUE)
        )
    embed.set_footer(
        text=catalog.t(
            lang,
            "orgs.ui.list.footer",
            page=page + 1,
            pages=pages(found.total, LIST_PAGE_SIZE),
            count=found.total,
        )
    )
    return embed


def card_embed(catalog: Catalog, lang: str, card: OrganisationCard) -> discord.Embed:
    """An organisation's card: details, description in the reader's language, verified leaders."""
    organisation = card.organisation
    t = catalog.t
    embed = discord.Embed(
        title=clip(organisation.name, EMBED_TITLE),
        url=organisation.website,
        description=clip(organisation.description(lang) or "", EMBED_DESCRIPTION) or None,
        colour=COLOUR,
    )
    embed.add_field(
        name=t(lang, "orgs.ui.card.country"), value=countries.country_name(organisation.country, lang)
    )
    embed.add_field(
        name=t(lang, "orgs.ui.card.region"), value=region_name(catalog, lang, organisation.region)
    )
    embed.add_field(name=t(lang, "orgs.ui.card.joined"), value=organisation.joined_on.isoformat())
    embed.add_field(name=t(lang, "orgs.ui.card.website"), value=clip(organisation.website, EMBED_FIELD_VALUE))
    if organisation.linkedin:
        embed.add_field(
            name=t(lang, "orgs.ui.card.linkedin"), value=clip(organisation.linkedin, EMBED_FIELD_VALUE)
        )
    for standing in ("representative", "leader"):
        embed.add_field(
            name=t(lang, f"orgs.ui.card.{standing}s"),
            value=mention_list(
                [link.user_id for link in card.leaders if link.standing == standing],
                nobody=t(lang, "orgs.ui.none"),
                more=lambda n: t(lang, "orgs.ui.more", count=n),
            ),
            inline=False,
        )
    embed.add_field(
        name=t(lang, "orgs.ui.card.members"),
        value=t(
            lang,
            "orgs.ui.card.members_value",
            total=card.counts.total,
            members=card.counts.member,
            leaders=card.counts.leader,
            representatives=card.counts.representative,
        ),
        inline=False,
    )
    embed.set_footer(text=t(lang, "orgs.ui.card.footer", id=organisation.id))
    return embed


# --- claims -----------------------------------------------------------------------------------------


def claim_embed(catalog: Catalog, lang: str, claim: Claim, organisation: Organisation) -> discord.Embed:
    """The mod-log post of a claim: who asks for what, and once decided, how it was decided."""
    t = catalog.t
    body = t(
        lang,
        "orgs.ui.claim.body",
        user=f"<@{claim.user_id}>",
        name=discord.utils.escape_markdown(organisation.name),
        country=countries.country_name(organisation.country, lang),
        standing=standing_name(catalog, lang, claim.standing),
    )
    state = claim_state(catalog, lang, claim)
    if claim.status != "pending":
        body = f"{body}\n\n**{state}**"
    return discord.Embed(
        title=t(lang, "orgs.ui.claim.title"),
        description=clip(body, EMBED_DESCRIPTION),
        colour=COLOUR if claim.status == "pending" else DECIDED_COLOUR,
        timestamp=claim.created_at,
    )


def claim_state(catalog: Catalog, lang: str, claim: Claim) -> str:
    if claim.status == "pending" or claim.decided_at is None:
        return catalog.t(lang, "orgs.ui.claim.pending_state")
    return catalog.t(
        lang,
        f"orgs.ui.claim.{claim.status}",
        moderator=f"<@{claim.decided_by}>" if claim.decided_by else "?",
        when=format_dt(claim.decided_at, "R"),
    )


def outcome_dm(catalog: Catalog, claim: Claim, organisation: Organisation) -> str:
    """The DM telling the member how their claim ended, in the language they claimed in."""
    lang = claim.language
    return catalog.t(
        lang,
        f"orgs.ui.dm.{claim.status}",
        name=organisation.name,
        standing=standing_name(catalog, lang, claim.standing),
    )


# --- history ----------------------------------------------------------------------------------------


def history_embed(catalog: Catalog, lang: str, found: HistoryPage, *, page: int) -> discord.Embed:
    t = catalog.t
    lines: list[str] = []
    for entry in found.items:
        details = entry.details
        standing = details.get("standing")
        what = t(
            lang,
            f"orgs.ui.history.{entry.action}",
            subject=f"<@{entry.subject_id}>" if entry.subject_id else "?",
            standing=standing_name(catalog, lang, standing) if isinstance(standing, str) else "?",
            fields=", ".join(_field_names(catalog, lang, details.get("changes") or {})),
        )
        actor = t(lang, "orgs.ui.history.actor_config") if entry.actor_id == 0 else f"<@{entry.actor_id}>"
        lines.append(t(lang, "orgs.ui.history.entry", when=format_dt(entry.at, "f"), actor=actor, what=what))
    embed = discord.Embed(
        title=clip(t(lang, "orgs.ui.history.title", name=found.organisation.name), EMBED_TITLE),
        description=clip("\n".join(lines) or t(lang, "orgs.ui.history.empty"), EMBED_DESCRIPTION),
        colour=COLOUR if found.organisation.active else DECIDED_COLOUR,
    )
    embed.set_footer(
        text=t(
            lang,
            "orgs.ui.history.footer",
            page=page + 1,
            pages=pages(found.total, HISTORY_PAGE_SIZE),
            count=found.total,
        )
    )
    return embed


def _field_names(catalog: Catalog, lang: str, changes: dict[str, object]) -> list[str]:
    names: list[str] = []
    for column in changes:
        field = column.removeprefix("description_")
        if column.startswith("description_"):
            names.append(f"{catalog.t(lang, 'orgs.fields.description')} ({field})")
        else:
            names.append(catalog.t(lang, f"orgs.fields.{'joined' if column == 'joined_on' else column}"))
    return names


def field_list(catalog: Catalog, lang: str, changes: dict[str, object]) -> str:
    return ", ".join(_field_names(catalog, lang, changes))


# --- exports ----------------------------------------------------------------------------------------


def export_csv(
    catalog: Catalog, lang: str, organisations: Sequence[Organisation], counts: dict[int, StandingCounts]
) -> str:
    """Every organisation, one row each (archived ones with status "archived"). UTF-8, RFC 4180. The
    counts are the card's: ``verified_total`` is its "Total", the sum of the three ``verified_as_*``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for organisation in organisations:
        texts = dict(organisation.descriptions)
        standing = counts.get(organisation.id, StandingCounts())
        writer.writerow(
            [
                _csv_safe(organisation.name),
                organisation.country,
                countries.country_name(organisation.country, lang),
                organisation.region,
                region_name(catalog, lang, organisation.region),
                organisation.website,
                organisation.linkedin or "",
                organisation.joined_on.isoformat(),
                organisation.status,
                _csv_safe(texts.get("en", "")),
                _csv_safe(texts.get("fr", "")),
                _csv_safe(texts.get("es", "")),
                standing.total,
                standing.member,
                standing.leader,
                standing.representative,
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _md(text: str) -> str:
    """Markdown-escaped text on one line."""
    escaped = "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>" else ch for ch in text)
    return " ".join(escaped.split())


def export_markdown(catalog: Catalog, lang: str, organisations: Sequence[Organisation], today: date) -> str:
    """The active organisations for the public web page: ``##`` region, ``###`` country, a bullet per
    organisation with its website. No Discord names."""
    active = [o for o in organisations if o.active]
    lines = [
        f"# {catalog.t(lang, 'orgs.ui.export.markdown_title')}",
        "",
        catalog.t(
            lang,
            "orgs.ui.export.markdown_intro",
            count=len(active),
            date=today.isoformat(),
        ),
    ]
    order = {code: rank for rank, code in enumerate(countries.SUBREGIONS)}
    by_region: dict[str, dict[str, list[Organisation]]] = {}
    for organisation in active:
        by_region.setdefault(organisation.region, {}).setdefault(organisation.country, []).append(
            organisation
        )
    for region in sorted(by_region, key=lambda code: order.get(code, 999)):
        lines += ["", f"## {region_name(catalog, lang, region)}"]
        by_country = by_region[region]
        for country in sorted(
            by_country, key=lambda code: countries.fold(countries.country_name(code, lang))
        ):
            lines += ["", f"### {countries.country_name(country, lang)}", ""]
            for organisation in sorted(by_country[country], key=lambda o: countries.fold(o.name)):
                entry = f"- [{_md(organisation.name)}](<{organisation.website}>)"
                if organisation.linkedin:
                    entry += f" · [LinkedIn](<{organisation.linkedin}>)"
                lines.append(entry)
    return "\n".join(lines) + "\n"


def export_chart(catalog: Catalog, lang: str, organisations: Sequence[Organisation]) -> bytes:
    """PNG bar chart of active organisations per region (M49 order). CPU-bound: run in a thread."""
    counts: dict[str, int] = {}
    for organisation in organisations:
        if organisation.active:
            counts[organisation.region] = counts.get(organisation.region, 0) + 1
    codes = [code for code in countries.SUBREGIONS if code in counts]
    return bar_chart_png(
        [region_name(catalog, lang, code) for code in codes],
        [counts[code] for code in codes],
        title=catalog.t(lang, "orgs.ui.export.chart_title"),
        axis_label=catalog.t(lang, "orgs.ui.export.chart_axis"),
    )
