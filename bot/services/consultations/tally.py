"""A poll's tally and export from its ballots: pure functions of what the database returned.

Turnout in organisation mode counts organisations that answered out of the registered (active) ones,
overall and by UN M49 sub-region (``bot.countries.SUBREGIONS`` order); a closed poll counts the
registered organisations as they were at its close. Anonymous polls never carry who cast a ballot.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bot.countries import SUBREGIONS
from bot.services.consultations.counting import count_ranked
from bot.services.consultations.model import (
    Ballot,
    ExportRow,
    OptionCount,
    Poll,
    RankedCount,
    RegionTurnout,
    Tally,
    Turnout,
)

_REGION_ORDER = {code: rank for rank, code in enumerate(SUBREGIONS)}


def eligible_now(organisations: Sequence[sqlite3.Row]) -> dict[str, Any]:
    """The registered organisations as stored at a close: {"total": n, "regions": {code: n}}."""
    regions = Counter(row["region"] for row in organisations)
    return {"total": len(organisations), "regions": dict(regions)}


def tally_of(
    poll: Poll,
    ballots: Sequence[Ballot],
    eligible: Mapping[str, Any] | None,
    regions_of: Mapping[int, str],
    *,
    hidden: bool,
) -> Tally:
    """``eligible``: registered organisations (organisation mode); ``regions_of``: organisation id ->
    region for the organisations that answered. ``hidden``: the reader sees turnout only."""
    turnout = _turnout(poll, ballots, eligible, regions_of)
    quorum_reached = _quorum(poll, turnout)
    if hidden:
        return Tally(poll, True, (), turnout, quorum_reached, None, ())
    counts: Counter[int] = Counter()
    for ballot in ballots:
        if poll.kind == "ranked":
            if ballot.choices:
                counts[ballot.choices[0]] += 1
        else:
            counts.update(ballot.choices)
    total = len(ballots)
    options = tuple(
        OptionCount(
            o.position, o.label, counts[o.position], 100.0 * counts[o.position] / total if total else 0.0
        )
        for o in poll.options
    )
    ranked: RankedCount | None = None
    if poll.kind == "ranked":
        ranked = count_ranked([b.choices for b in ballots], [o.position for o in poll.options], poll.seats)
        winners = ranked.winners
    else:
        top = max(counts.values(), default=0)
        winners = tuple(o.position for o in poll.options if top and counts[o.position] == top)
    return Tally(poll, False, options, turnout, quorum_reached, ranked, winners)


def _turnout(
    poll: Poll, ballots: Sequence[Ballot], eligible: Mapping[str, Any] | None, regions_of: Mapping[int, str]
) -> Turnout:
    if not poll.by_organisation or eligible is None:
        return Turnout(len(ballots), None, None, ())
    registered = int(eligible["total"])
    answered = Counter(
        regions_of[b.organisation_id]
        for b in ballots
        if b.organisation_id is not None and b.organisation_id in regions_of
    )
    regions: dict[str, int] = {str(k): int(v) for k, v in eligible["regions"].items()}
    codes = sorted(set(regions) | set(answered), key=lambda code: (_REGION_ORDER.get(code, 999), code))
    by_region = tuple(RegionTurnout(code, answered.get(code, 0), regions.get(code, 0)) for code in codes)
    percent = 100.0 * len(ballots) / registered if registered else None
    return Turnout(len(ballots), registered, percent, by_region)


def _quorum(poll: Poll, turnout: Turnout) -> bool | None:
    if poll.quorum_kind is None or poll.quorum is None:
        return None
    if poll.quorum_kind == "ballots":
        return turnout.ballots >= poll.quorum
    if not turnout.registered:
        return False
    return turnout.ballots * 100 >= poll.quorum * turnout.registered


def export_rows(
    poll: Poll, ballots: Sequence[Ballot], organisations: Mapping[int, sqlite3.Row]
) -> tuple[ExportRow, ...]:
    if not poll.by_organisation:
        return ()
    labels = {o.position: o.label for o in poll.options}
    rows = []
    for ballot in ballots:
        assert ballot.organisation_id is not None
        org = organisations[ballot.organisation_id]
        rows.append(
            ExportRow(
                organisation_id=ballot.organisation_id,
                name=org["name"],
                country=org["country"],
                region=org["region"],
                choices=tuple(labels[p] for p in ballot.choices),
                comment=ballot.comment,
                cast_by=None if poll.anonymous else ballot.cast_by,
                cast_at=ballot.cast_at,
            )
        )
    rows.sort(
        key=lambda r: (_REGION_ORDER.get(r.region, 999), r.country, r.name.casefold(), r.organisation_id)
    )
    return tuple(rows)


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection): members typed it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(tally: Tally, rows: Sequence[ExportRow], comments: Sequence[str]) -> str:
    """The CSV of /poll export: the options and their counts, then (organisation mode) one row per
    organisation, or (members mode, comments on) the comments alone, never with a name when the
    poll is anonymous. Column names are English: the file is read by spreadsheets, not members."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["option", "votes", "percent"])
    for option in tally.options:
        writer.writerow([_safe(option.label), option.count, f"{option.percent:.1f}"])
    if tally.ranked is not None:
        labels = {o.position: o.label for o in tally.poll.options}
        writer.writerow([])
        writer.writerow(["round", "option", "votes", "elected", "eliminated"])
        for round_ in tally.ranked.rounds:
            for position, votes in round_.votes:
                writer.writerow(
                    [
                        round_.number,
                        _safe(labels[position]),
                        f"{votes:.4f}".rstrip("0").rstrip("."),
                        "yes" if position in round_.elected else "",
                        "yes" if position in round_.eliminated else "",
                    ]
                )
        writer.writerow([])
        writer.writerow(["quota", f"{tally.ranked.quota:g}", tally.ranked.quota_rule])
        writer.writerow(["transfers", tally.ranked.transfer_rule])
        writer.writerow(["ties", tally.ranked.tie_rule])
    if rows:
        writer.writerow([])
        header = ["organisation", "country", "region", "choice", "comment", "cast_at"]
        if not tally.poll.anonymous:
            header.append("cast_by")
        writer.writerow(header)
        for row in rows:
            values = [
                _safe(row.name),
                row.country,
                row.region,
                _safe(" > ".join(row.choices)),
                _safe(row.comment or ""),
                row.cast_at.isoformat(),
            ]
            if not tally.poll.anonymous:
                values.append(str(row.cast_by or ""))
            writer.writerow(values)
    elif comments:
        writer.writerow([])
        writer.writerow(["comment"])
        for comment in comments:
            writer.writerow([_safe(comment)])
    return out.getvalue()
