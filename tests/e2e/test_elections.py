"""Elections of Steering Committee officers end to end, through the local Discord double.

The call for nominations, nominations by the WIM organisations' representatives, the nominees'
Accept / Decline in their DMs (in their language, still working after a restart, a second click told
what was decided), the ranked ballot among the accepted candidates at the close of nominations, an
STV count of 3 seats with its rounds posted once and exported, an election short of candidates with
the moderators' Extend, and the bad inputs.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from tests.double import FakeDiscord, InvocationError, Member, Message
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_consultations import (
    add_org,
    click,
    count,
    general,
    poll_id_of,
    rank,
    representative,
    results_posts,
    run,
)

pytestmark = pytest.mark.e2e


async def leader(env: DiscordEnv, member: Member, organisation_id: int) -> None:
    answer = await run(
        env.double,
        "org verify",
        user=env.seed.moderator,
        member=member,
        org=str(organisation_id),
        standing="leader",
    )
    assert answer.ephemeral, answer.text


async def create_election(env: DiscordEnv, title: str, **options: Any) -> Message:
    """/poll election in #general; returns the call for nominations the bot posted."""
    double = env.double
    mark = double.mark()
    values = {"seats": 3, "nominations": "2d", "voting": "3d", **options}
    answer = await run(
        double, "poll election", user=env.seed.moderator, channel=general(env), title=title, **values
    )
    assert answer.ephemeral and f"Election **{title}** created" in answer.content, answer.content
    assert "is posted in" in answer.content, answer.content
    return await double.wait_for_message(general(env), lambda m: title in m.content, after=mark, timeout=15)


def election_id(env: DiscordEnv, title: str) -> int:
    return count(env, "SELECT id FROM elections WHERE title = ?", title)


async def nominate(env: DiscordEnv, by: Member, election: int, nominee: Member) -> Message:
    return await run(env.double, "poll nominate", user=by, election=str(election), member=nominee)


async def nomination_dm(double: FakeDiscord, nominee: Member, title: str, mark: int) -> Message:
    return await double.wait_for_dm(
        nominee, lambda m: title in m.content and bool(m.custom_ids()), after=mark, timeout=15
    )


def nomination_of(message: Message) -> int:
    custom_id = next(c for c in message.custom_ids() if c.startswith("election:nomination:"))
    return int(custom_id.split(":")[2])


def stored(env: DiscordEnv) -> tuple[int, int, int]:
    return (
        count(env, "SELECT count(*) FROM elections"),
        count(env, "SELECT count(*) FROM election_nominations"),
        count(env, "SELECT count(*) FROM polls"),
    )


async def test_an_election_with_nominations_a_decline_and_an_stv_count_of_three_seats(
    isolated_env: DiscordEnv,
) -> None:
    env = isolated_env
    double, seed = env.double, env.seed
    # Four WIM organisations, each with a representative; six verified leaders among them.
    names = ("WIM Ghana", "WIM Perú", "WIM France", "WIM Australia")
    countries = ("GH", "PE", "FR", "AU")
    orgs = [
        await add_org(env, f"{name} (election test)", code)
        for name, code in zip(names, countries, strict=True)
    ]
    reps = [double.add_member(f"rep-{code.lower()}", locale="en-US") for code in countries]
    for rep, org in zip(reps, orgs, strict=True):
        await representative(env, rep, org)
    leaders = {
        "amara": (double.add_member("Amara Mensah", locale="en-US"), 0),
        "kwame": (double.add_member("Kwame Boateng", locale="en-US"), 0),
        "valentina": (double.add_member("Valentina Rojas", locale="es-419"), 1),
        "margaux": (double.add_member("Margaux Lefèvre", locale="fr"), 2),
        "chloe": (double.add_member("Chloé Martin", locale="fr"), 2),
        "grace": (double.add_member("Grace Taylor", locale="en-US"), 3),
    }
    for member, index in leaders.values():
        await leader(env, member, orgs[index])
    # Margaux and Valentina used the bot once: their DMs speak French and Spanish.
    await run(double, "poll list", user=leaders["margaux"][0])
    await run(double, "poll list", user=leaders["valentina"][0])

    title = "Steering Committee officers 2027 (election test)"
    call = await create_election(env, title, seats=3, max_nominations=2)
    assert "Election of Steering Committee officers" in call.content and "3 seats to fill" in call.content
    assert "up to 2 of its verified leaders" in call.content and "<t:" in call.content
    assert "single transferable vote" in call.content
    election = election_id(env, title)
    suggested = await double.autocomplete(
        "poll nominate", user=reps[0], options={"election": "officers 2027"}, focused="election"
    )
    assert any(c["value"] == str(election) for c in (await suggested.response()).choices)

    # Each organisation's representative nominates its leaders; each nominee gets a DM.
    dms: dict[str, Message] = {}
    for key, (member, index) in leaders.items():
        mark = double.mark()
        answer = await nominate(env, reps[index], election, member)
        assert answer.ephemeral and f"<@{member.id}> is nominated in **{title}**" in answer.content, (
            answer.content
        )
        dms[key] = await nomination_dm(double, member, title, mark)
    assert "WIM Ghana (election test)** has nominated you" in dms["amara"].content
    assert [b["label"] for b in dms["amara"].buttons()] == ["Accept", "Decline"]
    assert "**WIM France (election test)** a proposé votre candidature" in dms["margaux"].content
    assert [b["label"] for b in dms["margaux"].buttons()] == ["Accepter", "Refuser"]
    assert "propuso su candidatura" in dms["valentina"].content
    assert count(env, "SELECT count(*) FROM election_nominations WHERE election_id = ?", election) == 6

    # The buttons keep working after a restart.
    await env.bot.restart()
    for key in ("amara", "kwame", "valentina", "margaux", "grace"):
        member = leaders[key][0]
        nomination = nomination_of(dms[key])
        handle = await double.click(dms[key], f"election:nomination:{nomination}:approve", user=member)
        await handle.response(timeout=15)
    answered = double.message(dms["margaux"].id)
    assert "Vous avez accepté votre candidature" in answered.content
    assert all(b.get("disabled") for b in answered.buttons())
    chloe = leaders["chloe"][0]
    nomination = nomination_of(dms["chloe"])
    handle = await double.click(dms["chloe"], f"election:nomination:{nomination}:decline", user=chloe)
    await handle.response(timeout=15)
    assert "Vous avez refusé votre candidature" in double.message(dms["chloe"].id).content
    # A second click (a stale copy of the DM) learns what was decided; nothing changes.
    again = await click(double, dms["chloe"], f"election:nomination:{nomination}:approve", chloe, stale=True)
    assert "Vous avez déjà refusé votre candidature" in again.content, again.content
    statuses = {
        row: count(
            env,
            "SELECT count(*) FROM election_nominations WHERE election_id = ? AND status = ?",
            election,
            row,
        )
        for row in ("accepted", "declined", "pending")
    }
    assert statuses == {"accepted": 5, "declined": 1, "pending": 0}

    # The close of nominations posts the ranked ballot among the five accepted candidates.
    mark = double.mark()
    await double.advance(timedelta(days=2, minutes=1))
    ballot = await double.wait_for_message(
        general(env), lambda m: title in m.text and bool(m.custom_ids()), after=mark, timeout=20
    )
    poll_id = poll_id_of(ballot)
    assert "Election: 3 seats" in ballot.text and "one ballot per WIM organisation" in ballot.text
    for name in ("Amara Mensah", "Kwame Boateng", "Valentina Rojas", "Margaux Lefèvre", "Grace Taylor"):
        assert name in ballot.text, ballot.text
    assert "Chloé Martin" not in ballot.text
    # Candidates 1-5 in nomination order: Amara, Kwame, Valentina, Margaux, Grace.
    rankings = ([1, 2, 3], [1, 2, 4], [1, 4, 5], [5, 4, 2])
    for rep, ranking in zip(reps, rankings, strict=True):
        confirmed = await rank(double, ballot, poll_id, rep, ranking)
        assert "is recorded" in confirmed.content, confirmed.content

    mark = double.mark()
    await double.advance(timedelta(days=3))
    await double.wait_until(
        lambda d: results_posts(env, title, mark) or None, timeout=20, what="the election's results"
    )
    await asyncio.sleep(1.0)
    posts = results_posts(env, title, mark)
    assert len(posts) == 1, "results posted once"
    results = posts[0]
    assert f"Election **{title}** is closed" in results.text
    # Quota 2 (Droop: 4 // 4 + 1). Amara's 3 votes elect her in round 1; her surplus of 1 moves at
    # 1/3 of each of her ballots (0.67 to Kwame, 0.33 to Margaux); Valentina (0) then Margaux are
    # eliminated, Margaux's third goes to Grace, and the two left fill the two seats left.
    assert "Elected: **Amara Mensah**, **Grace Taylor**, **Kwame Boateng**." in results.text, results.text
    assert "**Round 1**: Amara Mensah 3 · Grace Taylor 1" in results.text
    assert "Votes move: 0.67 to Kwame Boateng, 0.33 to Margaux Lefèvre" in results.text, results.text
    assert "**Round 4**: Amara Mensah 2 · Grace Taylor 1.33 · Kwame Boateng 0.67" in results.text
    assert "Quota (Droop): 2 votes" in results.text and "weighted inclusive Gregory" in results.text
    assert "the one listed later, is eliminated" in results.text
    assert {a.filename for a in results.attachments} >= {f"poll-{poll_id}-rounds.png"}
    assert count(env, "SELECT count(*) FROM elections WHERE id = ? AND status = 'closed'", election) == 1

    exported = await (
        await double.invoke("poll export", user=seed.moderator, options={"poll": str(poll_id)})
    ).message(timeout=20)
    csv_file = next(a for a in exported.attachments if a.filename.endswith(".csv"))
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8"))))
    header = rows.index(["round", "option", "votes", "elected", "eliminated"])
    rounds = [row for row in rows[header + 1 :] if row and row[0].isdigit()]
    elected = [row[1] for row in rounds if row[3] == "yes"]
    assert elected == ["Amara Mensah", "Kwame Boateng", "Grace Taylor"], rounds  # by round, then listed order
    assert ["1", "Amara Mensah", "3", "yes", ""] in rounds
    assert ["2", "Kwame Boateng", "0.6667", "", ""] in rounds and [
        "3",
        "Margaux Lefèvre",
        "0.3333",
        "",
        "yes",
    ] in rounds
    assert ["quota", "2", "droop"] in rows and ["transfers", "gregory"] in rows
    assert ["ties", "backwards_then_order"] in rows
    organisations = rows.index(
        ["organisation", "country", "region", "choice", "comment", "cast_at", "cast_by"]
    )
    ballots = {row[0]: row for row in rows[organisations + 1 :] if row}
    assert ballots["WIM Ghana (election test)"][3] == "Amara Mensah > Kwame Boateng > Valentina Rojas"
    assert ballots["WIM Ghana (election test)"][6] == str(reps[0].id)


async def test_too_few_candidates_tells_the_moderators_who_extend_the_nominations(
    discord_env: DiscordEnv,
) -> None:
    env = discord_env
    double, seed = env.double, env.seed
    org = await add_org(env, "WIM Chile (short election test)", "CL")
    rep = double.add_member("rep-chile-short", locale="en-US")
    await representative(env, rep, org)
    candidate = double.add_member("Camila Soto", locale="es-419")
    await leader(env, candidate, org)
    title = "Treasurer 2027 (short election test)"
    await create_election(env, title, seats=2, nominations="1d", voting="2d")
    election = election_id(env, title)
    mark = double.mark()
    await nominate(env, rep, election, candidate)
    dm = await nomination_dm(double, candidate, title, mark)
    await click(double, dm, f"election:nomination:{nomination_of(dm)}:approve", candidate)

    mark = double.mark()
    await double.advance(timedelta(days=1, minutes=1))
    notice = await double.wait_for_message(
        seed.mod_log, lambda m: title in m.content and bool(m.custom_ids()), after=mark, timeout=20
    )
    assert "1 accepted candidate for 2 seats" in notice.content, notice.content
    assert count(env, "SELECT count(*) FROM polls WHERE election_id = ?", election) == 0
    refused = await click(double, notice, f"election:extend:{election}", seed.member_en)
    assert "Only moderators" in refused.content
    handle = await double.click(notice, f"election:extend:{election}", user=seed.moderator)
    assert (await handle.response(timeout=15)).type == 9  # the form
    past = await (await double.submit_modal(handle, {"duration": "2020-01-01 10:00"})).message(timeout=15)
    assert "has already passed" in past.content, past.content
    handle = await double.click(notice, f"election:extend:{election}", user=seed.moderator)
    await handle.response(timeout=15)
    extended = await (await double.submit_modal(handle, {"duration": "2d"})).message(timeout=15)
    assert f"Election **{title}**: nominations are open again until" in extended.content, extended.content
    assert count(env, "SELECT count(*) FROM elections WHERE id = ? AND status = 'nominating'", election) == 1

    # Extended once more by command; a second leader accepts, and the ballot follows the close.
    again = await run(double, "poll extend", user=seed.moderator, election=str(election), duration="3d")
    assert "open again until" in again.content, again.content
    second = double.add_member("Javiera Muñoz", locale="es-419")
    await leader(env, second, org)
    mark = double.mark()
    await nominate(env, rep, election, second)
    dm = await nomination_dm(double, second, title, mark)
    await click(double, dm, f"election:nomination:{nomination_of(dm)}:approve", second)
    mark = double.mark()
    await double.advance(timedelta(days=3, minutes=1))
    ballot = await double.wait_for_message(
        general(env), lambda m: title in m.text and bool(m.custom_ids()), after=mark, timeout=20
    )
    assert (
        "Camila Soto" in ballot.text and "Javiera Muñoz" in ballot.text and "Election: 2 seats" in ballot.text
    )


async def test_a_nominee_with_closed_dms_gets_the_nomination_once_they_open_them(
    discord_env: DiscordEnv,
) -> None:
    """The moderators are told once that the nominee cannot be reached; the DM is tried again every
    6 hours while nominations are open, and reaches them once they allow DMs."""
    env = discord_env
    double, seed = env.double, env.seed
    org = await add_org(env, "WIM Ghana (closed DMs test)", "GH")
    rep = double.add_member("rep-ghana-dms", locale="en-US")
    await representative(env, rep, org)
    quiet = double.add_member("Akosua Mensah", locale="en-US", dms_closed=True)
    await leader(env, quiet, org)
    title = "Secretary 2027 (closed DMs test)"
    await create_election(env, title, seats=1, nominations="2d", voting="2d")
    election = election_id(env, title)
    mark = double.mark()
    told = await nominate(env, rep, election, quiet)  # the nominator learns it at once, privately
    assert told.ephemeral and f"<@{quiet.id}> is nominated in **{title}**, but cannot receive" in told.content
    assert "again every 6 hours until the nominations close (<t:" in told.content, told.content
    notice = await double.wait_for_message(
        seed.mod_log, lambda m: title in m.content and "direct messages" in m.content, after=mark, timeout=15
    )
    assert f"<@{quiet.id}> cannot receive direct messages" in notice.content, notice.content
    assert "again every 6 hours until the nominations close" in notice.content, notice.content

    mark = double.mark()
    await double.advance(timedelta(hours=6, minutes=1))  # still closed: tried, not reported again
    quiet.dms_closed = False
    await double.advance(timedelta(hours=6, minutes=1))
    dm = await nomination_dm(double, quiet, title, mark)
    await click(double, dm, f"election:nomination:{nomination_of(dm)}:approve", quiet)
    sql = "SELECT count(*) FROM election_nominations WHERE nominee_id = ? AND status = 'accepted'"
    assert count(env, sql, quiet.id) == 1
    reports = [m for m in double.messages(seed.mod_log) if title in m.content]
    assert len(reports) == 1


async def test_bad_input_is_refused_privately_and_nothing_is_written(discord_env: DiscordEnv) -> None:
    env = discord_env
    double, seed = env.double, env.seed
    ghana = await add_org(env, "WIM Ghana (bad election test)", "GH")
    peru = await add_org(env, "WIM Perú (bad election test)", "PE")
    rep_ghana = double.add_member("rep-ghana-bad", locale="en-US")
    rep_peru = double.add_member("rep-peru-bad", locale="es-419")
    await representative(env, rep_ghana, ghana)
    await representative(env, rep_peru, peru)
    ama = double.add_member("Ama Owusu", locale="en-US")
    efua = double.add_member("Efua Asante", locale="en-US")
    rosa = double.add_member("Rosa Quispe", locale="es-419")
    for member, org in ((ama, ghana), (efua, ghana), (rosa, peru)):
        await leader(env, member, org)

    # Periods in the past or more than a year away; more seats than Discord lets through.
    before = stored(env)
    for options, expected in (
        ({"nominations": "2020-01-01 10:00"}, "has already passed"),
        ({"nominations": "400d"}, "at most 366 days"),
        ({"voting": "2099-01-01 10:00"}, "at most 366 days"),
        ({"nominations": "soon"}, "is not a closing time I understand"),
    ):
        values = {"title": "Bad election", "seats": 1, "nominations": "2d", "voting": "3d", **options}
        answer = await run(double, "poll election", user=seed.moderator, channel=general(env), **values)
        assert answer.ephemeral and expected in answer.content, (options, answer.content)
    with pytest.raises(InvocationError):  # seats: 1 to 20, the client refuses the rest
        await double.invoke(
            "poll election",
            user=seed.moderator,
            options={"title": "Bad", "seats": 21, "nominations": "2d", "voting": "3d"},
        )
    refused = await run(
        double,
        "poll election",
        user=seed.member_en,
        channel=general(env),
        title="Mine",
        seats=1,
        nominations="2d",
        voting="3d",
    )
    assert refused.ephemeral and "moderators" in refused.content.lower(), refused.content
    assert stored(env) == before

    title = "Secretary 2027 (bad election test)"
    await create_election(env, title, seats=1, max_nominations=2)
    election = election_id(env, title)
    for nominee in (ama, efua):
        assert "is nominated" in (await nominate(env, rep_ghana, election, nominee)).content
    first = await run(double, "poll nominate", user=rep_peru, election=title[:20], member=rosa)
    assert "Candidatura registrada" in first.content, first.content
    before = stored(env)
    for by, target, election_ref, expected in (
        (rep_ghana, efua, "No such election anywhere zzz", "I can't find this election"),
        (rep_ghana, efua, "999999", "I can't find this election"),
        (seed.member_en, rosa, str(election), "not a verified representative"),
        (rep_ghana, rosa, str(election), "is not a verified WIM leader of your organisation"),
        (rep_peru, ama, str(election), "no es líder WIM verificado de su organización"),
        (rep_peru, seed.member_es, str(election), "no es líder WIM verificado de su organización"),
        # The representative is a leader of Ghana too, but Ghana has nominated its two already.
        (rep_ghana, rep_ghana, str(election), "already nominated 2 leaders, the most allowed"),
        (rep_peru, rosa, str(election), "ya se propuso en esta elección"),
    ):
        answer = await run(double, "poll nominate", user=by, election=election_ref, member=target)
        assert answer.ephemeral and expected in answer.content, (expected, answer.content)
    assert stored(env) == before
