"""Embeds and texts of polls and consultations: pure functions of the service's values.

A public post (the poll, its reminder, its results) speaks its audience's language (the poll's own,
else the channel's, else the server's); a reply or a DM the member's. Members' own text (the
question, the options, comments) is quoted as stored, clipped to Discord's limits only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import discord

from bot import limits
from bot.core.channels import jump_url
from bot.i18n import Catalog
from bot.services.consultations import (
    NOMINATION_DM_RETRY,
    Election,
    NominationAnswer,
    NudgeResult,
    NudgeTarget,
    Poll,
    PollState,
    RankedCount,
    Tally,
    VoteReceipt,
)

COLOUR: Final = discord.Colour(0x8E44AD)
CLOSED_COLOUR: Final = discord.Colour(0x7F8C8D)
#: Shown in a round's line: more than this many transfers are summed up.
TRANSFERS_SHOWN: Final = 6


def _at(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "f")


def _relative(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "R")


def _percent(value: float | None) -> str:
    return "0" if value is None else f"{value:.0f}"


def _votes(value: float) -> str:
    """A ranked count's votes: whole numbers as such, fractions (after a surplus) with two decimals."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.2f}"


def poll_url(poll: Poll) -> str | None:
    if poll.message_id is None:
        return None
    return jump_url(poll.guild_id, poll.channel_id, poll.message_id)


def poll_link(poll: Poll) -> str:
    return poll_url(poll) or f"<#{poll.channel_id}>"


def labels(poll: Poll) -> dict[int, str]:
    return {o.position: o.label for o in poll.options}


def choices_text(catalog: Catalog, lang: str, poll: Poll, positions: Sequence[int]) -> str:
    """What a ballot says: "**A**", "**A**, **B**", or "1. A → 2. B" for a ranking."""
    names = labels(poll)
    shown = [limits.clip(names.get(p, str(p)), limits.SELECT_OPTION_LABEL) for p in positions]
    if poll.kind == "ranked":
        return " → ".join(f"{rank}. **{name}**" for rank, name in enumerate(shown, 1))
    return ", ".join(f"**{name}**" for name in shown)


def kind_text(catalog: Catalog, lang: str, poll: Poll) -> str:
    t = catalog.t
    if poll.kind == "multiple" and poll.max_choices is not None:
        return t(lang, "consultations_ui.poll.multiple_max", count=poll.max_choices)
    return t(lang, f"consultations.kinds.{poll.kind}")


def turnout_text(catalog: Catalog, lang: str, tally: Tally) -> str:
    turnout = tally.turnout
    if turnout.registered is None:
        return catalog.t(lang, "consultations_ui.poll.turnout_members", count=turnout.ballots)
    return catalog.t(
        lang,
        "consultations_ui.poll.turnout_organisations",
        count=turnout.registered,
        answered=turnout.ballots,
        registered=turnout.registered,
        percent=_percent(turnout.percent),
    )


def _quorum_text(catalog: Catalog, lang: str, poll: Poll) -> str | None:
    if poll.quorum is None:
        return None
    if poll.quorum_kind == "percent":
        return catalog.t(lang, "consultations_ui.poll.quorum_percent", percent=poll.quorum)
    return catalog.t(lang, "consultations_ui.poll.quorum_ballots", count=poll.quorum)


def _option_lines(catalog: Catalog, lang: str, tally: Tally, *, mark_winners: bool) -> list[str]:
    t = catalog.t
    poll = tally.poll
    if tally.hidden:
        return [
            t(lang, "consultations_ui.poll.option_hidden", position=o.position, label=o.label)
            for o in poll.options
        ]
    winners = set(tally.winners) if mark_winners else set()
    key = "option_ranked" if poll.kind == "ranked" else "option"
    lines = []
    for option in tally.options:
        line = t(
            lang,
            f"consultations_ui.poll.{key}",
            count=option.count,
            position=option.position,
            label=option.label,
            percent=_percent(option.percent),
        )
        lines.append(f"🏆 {line}" if option.position in winners else line)
    return lines


def poll_embed(catalog: Catalog, lang: str, tally: Tally) -> discord.Embed:
    """The poll message: question, options (with live counts unless hidden), turnout, deadline."""
    t = catalog.t
    poll = tally.poll
    title_key = "title_organisations" if poll.by_organisation else "title_members"
    if poll.election_id is not None:
        title_key = "title_election"
    lines = [
        f"**{poll.question}**",
        "",
        *_option_lines(catalog, lang, tally, mark_winners=not poll.is_open),
        "",
    ]
    details = [kind_text(catalog, lang, poll)]
    if poll.election_id is not None:
        details.append(t(lang, "consultations_ui.election.poll_seats", count=poll.seats))
    if poll.by_organisation:
        details.append(t(lang, "consultations_ui.poll.who_organisations"))
    elif poll.audience_role_id is not None:
        details.append(t(lang, "consultations_ui.poll.who_role", role_id=poll.audience_role_id))
    else:
        details.append(t(lang, "consultations_ui.poll.who_members"))
    lines.append(" · ".join(details))
    notes = []
    if poll.anonymous:
        notes.append(t(lang, "consultations_ui.poll.anonymous"))
    if poll.results == "hidden" and poll.is_open:
        notes.append(t(lang, "consultations_ui.poll.hidden"))
    if poll.comments and poll.is_open:
        notes.append(t(lang, "consultations_ui.poll.comments"))
    if poll.kind == "ranked" and poll.is_open and not tally.hidden:
        notes.append(t(lang, "consultations_ui.poll.ranked_note"))
    quorum = _quorum_text(catalog, lang, poll)
    if quorum is not None:
        notes.append(quorum)
    lines += notes
    lines.append(turnout_text(catalog, lang, tally))
    if poll.is_open:
        lines.append(
            t(
                lang,
                "consultations_ui.poll.closes",
                at=_at(poll.closes_at),
                relative=_relative(poll.closes_at),
            )
        )
    else:
        lines.append(t(lang, "consultations_ui.poll.closed", at=_at(poll.closed_at or poll.closes_at)))
    embed = discord.Embed(
        title=t(lang, f"consultations_ui.poll.{title_key}"),
        description=limits.clip("\n".join(lines), limits.EMBED_DESCRIPTION),
        colour=COLOUR if poll.is_open else CLOSED_COLOUR,
    )
    embed.set_footer(text=t(lang, "consultations_ui.poll.footer", id=poll.id))
    return embed


def _outcome_line(catalog: Catalog, lang: str, tally: Tally) -> str:
    t = catalog.t
    names = labels(tally.poll)
    if tally.turnout.ballots == 0:
        return t(lang, "consultations_ui.results.no_ballots")
    winners = [f"**{names[p]}**" for p in tally.winners if p in names]
    listed = ", ".join(winners)
    if tally.ranked is not None:
        return t(lang, "consultations_ui.results.elected", count=len(winners), names=listed)
    if len(winners) > 1:
        return t(lang, "consultations_ui.results.tie", names=listed)
    return t(lang, "consultations_ui.results.winner", names=listed)


def _quorum_outcome(catalog: Catalog, lang: str, tally: Tally) -> str | None:
    quorum = _quorum_text(catalog, lang, tally.poll)
    if quorum is None or tally.quorum_reached is None:
        return None
    key = "quorum_reached" if tally.quorum_reached else "quorum_not_reached"
    return catalog.t(lang, f"consultations_ui.results.{key}", quorum=quorum)


def rules_text(catalog: Catalog, lang: str, ranked: RankedCount) -> str:
    if ranked.method == "irv":
        return catalog.t(lang, "consultations_ui.results.rules_irv")
    return catalog.t(
        lang, "consultations_ui.results.rules_stv", seats=ranked.seats, quota=_votes(ranked.quota)
    )


def round_lines(catalog: Catalog, lang: str, poll: Poll, ranked: RankedCount) -> list[str]:
    """One line per round: the votes, who was elected or eliminated, where the votes went."""
    t = catalog.t
    names = labels(poll)
    lines = []
    for round_ in ranked.rounds:
        votes = " · ".join(
            f"{limits.clip(names.get(p, str(p)), 40)} {_votes(v)}"
            for p, v in sorted(round_.votes, key=lambda item: -item[1])
        )
        parts = [t(lang, "consultations_ui.results.round", number=round_.number, votes=votes)]
        for position in round_.elected:
            parts.append(t(lang, "consultations_ui.results.round_elected", name=names.get(position, "?")))
        for position in round_.eliminated:
            key = "round_eliminated_tie" if round_.tie_broken else "round_eliminated"
            parts.append(t(lang, f"consultations_ui.results.{key}", name=names.get(position, "?")))
        moves = []
        for transfer in round_.transfers[:TRANSFERS_SHOWN]:
            if transfer.target is None:
                moves.append(t(lang, "consultations_ui.results.exhausted", votes=_votes(transfer.votes)))
            else:
                moves.append(
                    t(
                        lang,
                        "consultations_ui.results.transfer",
                        votes=_votes(transfer.votes),
                        target=limits.clip(names.get(transfer.target, "?"), 40),
                    )
                )
        if len(round_.transfers) > TRANSFERS_SHOWN:
            moves.append("…")
        if moves:
            parts.append(t(lang, "consultations_ui.results.transfers", moves=", ".join(moves)))
        lines.append(" ".join(parts))
    return lines


def results_embed(catalog: Catalog, lang: str, tally: Tally, *, final: bool = False) -> discord.Embed:
    """/poll results and the post at the close: tally, percentages, turnout (by UN region in
    organisation mode), the quorum, and for a ranked poll every round and the counting rules. Hidden
    results while open: turnout only."""
    t = catalog.t
    poll = tally.poll
    lines = [f"**{poll.question}**", ""]
    if tally.hidden:
        lines.append(t(lang, "consultations_ui.results.hidden", at=_at(poll.closes_at)))
    else:
        lines += _option_lines(catalog, lang, tally, mark_winners=True)
        lines += ["", _outcome_line(catalog, lang, tally)]
        if poll.is_open:
            lines.append(t(lang, "consultations_ui.results.provisional", at=_at(poll.closes_at)))
    quorum = _quorum_outcome(catalog, lang, tally)
    if quorum is not None:
        lines.append(quorum)
    lines.append(turnout_text(catalog, lang, tally))
    key = "title_final" if final or not poll.is_open else "title"
    embed = discord.Embed(
        title=t(lang, f"consultations_ui.results.{key}"),
        description=limits.clip("\n".join(lines), limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    if tally.turnout.by_region:
        regions = [
            t(
                lang,
                "consultations_ui.results.region_line",
                region=t(lang, f"orgs.regions.{region.region}"),
                answered=region.answered,
                registered=region.registered,
            )
            for region in tally.turnout.by_region
        ]
        embed.add_field(
            name=t(lang, "consultations_ui.results.regions_title"),
            value=limits.clip("\n".join(regions), limits.EMBED_FIELD_VALUE),
            inline=False,
        )
    if tally.ranked is not None:
        rounds = round_lines(catalog, lang, poll, tally.ranked)
        # One field per round keeps each within a field's 1,024 characters.
        for line in rounds[: limits.EMBED_FIELDS - 3]:
            embed.add_field(name="\u200b", value=limits.clip(line, limits.EMBED_FIELD_VALUE), inline=False)
        embed.add_field(
            name=t(lang, "consultations_ui.results.rules_title"),
            value=limits.clip(rules_text(catalog, lang, tally.ranked), limits.EMBED_FIELD_VALUE),
            inline=False,
        )
    embed.set_footer(text=t(lang, "consultations_ui.poll.footer", id=poll.id))
    return embed


def receipt_text(catalog: Catalog, lang: str, receipt: VoteReceipt, voter_id: int) -> str:
    """The voter's ephemeral confirmation: what is now recorded for them or their organisation."""
    t = catalog.t
    poll, ballot = receipt.poll, receipt.ballot
    choices = choices_text(catalog, lang, poll, ballot.choices)
    if receipt.organisation_name is not None:
        if receipt.replaced and receipt.previous_cast_by not in (None, voter_id):
            key = "org_replaced_other"
        elif receipt.replaced:
            key = "org_replaced"
        else:
            key = "org_recorded"
        text = t(
            lang,
            f"consultations_ui.receipt.{key}",
            organisation=receipt.organisation_name,
            question=poll.question,
            choices=choices,
            at=_at(ballot.cast_at),
            previous=f"<@{receipt.previous_cast_by}>",
        )
    else:
        key = "replaced" if receipt.replaced else "recorded"
        text = t(lang, f"consultations_ui.receipt.{key}", question=poll.question, choices=choices)
    if ballot.comment:
        text += "\n" + t(
            lang, "consultations_ui.receipt.comment", comment=limits.excerpt(ballot.comment, 200)
        )
    text += "\n" + t(lang, "consultations_ui.receipt.until", at=_at(poll.closes_at))
    return text


def ranking_text(catalog: Catalog, lang: str, poll: Poll, ranking: Sequence[int]) -> str:
    t = catalog.t
    so_far = (
        choices_text(catalog, lang, poll, ranking) if ranking else t(lang, "consultations_ui.ranking.empty")
    )
    return "\n".join(
        (
            t(lang, "consultations_ui.ranking.prompt", question=poll.question),
            t(lang, "consultations_ui.ranking.so_far", ranking=so_far),
        )
    )


def list_embed(catalog: Catalog, lang: str, states: Sequence[PollState]) -> discord.Embed:
    t = catalog.t
    if not states:
        description = t(lang, "consultations_ui.list.empty")
    else:
        lines = []
        for state in states:
            poll = state.poll
            prefix = "org_" if poll.by_organisation else ""
            key = f"{prefix}answered" if state.answered else f"{prefix}not_answered"
            lines.append(
                t(
                    lang,
                    "consultations_ui.list.line",
                    mark="✅" if state.answered else "⬜",
                    question=limits.clip(poll.question, 120),
                    id=poll.id,
                    relative=_relative(poll.closes_at),
                    state=t(lang, f"consultations_ui.list.{key}"),
                )
            )
        description = "\n".join(lines)
    return discord.Embed(
        title=t(lang, "consultations_ui.list.title"),
        description=limits.clip(description, limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )


def reminder_text(catalog: Catalog, lang: str, tally: Tally) -> str:
    poll = tally.poll
    return catalog.t(
        lang,
        "consultations_ui.remind.post",
        question=poll.question,
        relative=_relative(poll.closes_at),
        at=_at(poll.closes_at),
        turnout=turnout_text(catalog, lang, tally),
        link=poll_link(poll),
    )


def unanswered_text(catalog: Catalog, lang: str, poll: Poll, targets: Sequence[NudgeTarget]) -> str:
    t = catalog.t
    lines = [
        t(
            lang,
            "consultations_ui.remind.unanswered",
            count=len(targets),
            question=poll.question,
            relative=_relative(poll.closes_at),
        )
    ]
    for target in targets:
        people = (
            ", ".join(f"<@{user_id}>" for user_id in target.representative_ids)
            if target.representative_ids
            else t(lang, "consultations_ui.remind.no_representative")
        )
        lines.append(f"• **{target.name}**: {people}")
    return limits.clip("\n".join(lines), limits.MESSAGE_CONTENT)


def nudge_reply(catalog: Catalog, lang: str, result: NudgeResult) -> str:
    t = catalog.t
    if not result.nudged:
        parts = [t(lang, "consultations_ui.nudge.nobody")]
    else:
        parts = [
            t(
                lang,
                "consultations_ui.nudge.done",
                count=len(result.nudged),
                names=", ".join(f"**{target.name}**" for target in result.nudged),
            )
        ]
    if result.already_today:
        names = ", ".join(f"**{target.name}**" for target in result.already_today)
        parts.append(t(lang, "consultations_ui.nudge.already", names=names))
    return "\n".join(parts)


def nudge_dm(catalog: Catalog, lang: str, poll: Poll, target: NudgeTarget) -> str:
    return catalog.t(
        lang,
        "consultations_ui.nudge.dm",
        organisation=target.name,
        question=poll.question,
        at=_at(poll.closes_at),
        relative=_relative(poll.closes_at),
        link=poll_link(poll),
    )


# --- elections of Steering Committee officers --------------------------------------------------------


def _method(catalog: Catalog, lang: str, seats: int) -> str:
    key = "method_irv" if seats == 1 else "method_stv"
    return catalog.t(lang, f"consultations_ui.election.{key}")


def election_call(catalog: Catalog, lang: str, election: Election) -> str:
    """The call for nominations posted in the election's channel when it is created."""
    t = catalog.t
    text = "\n".join(
        (
            t(lang, "consultations_ui.election.call_title", title=election.title),
            t(lang, "consultations_ui.election.call_seats", count=election.seats),
            t(
                lang,
                "consultations_ui.election.call_nominate",
                count=election.max_nominations,
                at=_at(election.nominations_close_at),
                relative=_relative(election.nominations_close_at),
            ),
            t(
                lang,
                "consultations_ui.election.call_vote",
                at=_at(election.voting_closes_at),
                method=_method(catalog, lang, election.seats),
            ),
        )
    )
    return limits.clip(text, limits.MESSAGE_CONTENT)


def election_created(catalog: Catalog, lang: str, election: Election, posted: bool) -> str:
    key = "created" if posted else "created_pending"
    return catalog.t(
        lang,
        f"consultations_ui.election.{key}",
        title=election.title,
        at=_at(election.nominations_close_at),
        channel=f"<#{election.channel_id}>",
    )


def nomination_dm(catalog: Catalog, lang: str, election: Election, organisation: str) -> str:
    """The nominee's DM, above the Accept / Decline buttons."""
    t = catalog.t
    text = "\n\n".join(
        (
            t(
                lang,
                "consultations_ui.nomination.dm",
                organisation=organisation,
                title=election.title,
                count=election.seats,
            ),
            t(
                lang,
                "consultations_ui.nomination.dm_answer",
                at=_at(election.nominations_close_at),
                relative=_relative(election.nominations_close_at),
            ),
        )
    )
    return limits.clip(text, limits.MESSAGE_CONTENT)


def nomination_answered(catalog: Catalog, lang: str, answer: NominationAnswer) -> str:
    """The line added to the DM once the nominee answered, or the reply to a later click."""
    nomination = answer.nomination
    accepted = nomination.status == "accepted"
    if answer.answered_now:
        key = "accepted" if accepted else "declined"
    else:
        key = "already_accepted" if accepted else "already_declined"
    return catalog.t(
        lang,
        f"consultations_ui.nomination.{key}",
        title=answer.election.title,
        at=_at(nomination.answered_at or nomination.nominated_at),
    )


def nominated_reply(
    catalog: Catalog, lang: str, election: Election, nominee_id: int, *, retry_closes: datetime | None = None
) -> str:
    """The nominator's answer; with ``retry_closes`` (the close of nominations, in Discord's time), the
    nominee could not be reached by DM, and the answer says what to ask them and what the bot does."""
    if retry_closes is None:
        return catalog.t(
            lang, "consultations_ui.nomination.done", user=f"<@{nominee_id}>", title=election.title
        )
    return unreachable_text(
        catalog, lang, "consultations_ui.nomination.unreachable", election, nominee_id, retry_closes
    )


def unreachable_text(
    catalog: Catalog, lang: str, key: str, election: Election, nominee_id: int, closes: datetime
) -> str:
    """A nominee out of reach by DM, told to the nominator (``consultations_ui.nomination.unreachable``)
    or to mod-log (``...log_unreachable``): what to ask them, and that the DM goes again until ``closes``."""
    return catalog.t(
        lang,
        key,
        user=f"<@{nominee_id}>",
        title=election.title,
        hours=int(NOMINATION_DM_RETRY.total_seconds() // 3600),
        closes=_at(closes),
    )


def election_short(catalog: Catalog, lang: str, election: Election, candidates: int) -> str:
    """The moderators' notice (mod-log) when nominations close with fewer candidates than seats."""
    t = catalog.t
    text = t(
        lang,
        "consultations_ui.election.short",
        title=election.title,
        id=election.id,
        count=candidates,
        seats=election.seats,
    )
    return limits.clip(text, limits.MESSAGE_CONTENT)


def election_extended(catalog: Catalog, lang: str, election: Election) -> str:
    return catalog.t(
        lang,
        "consultations_ui.election.extended",
        title=election.title,
        at=_at(election.nominations_close_at),
        voting=_at(election.voting_closes_at),
    )
