"""Public posts in the audience's language, through the double and the real bot.

The e2e config gives #annonces French (``channel_languages``, tests/e2e/conftest.py). An event
announced there speaks French in every public post (announcement, reminder, cancellation notice),
whoever created it, while each member's DMs follow that member's own language.
"""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import FRENCH_CHANNEL, DiscordEnv
from tests.e2e.test_events import REMINDER_TIMEOUT, answer_of, create_event, far_start, field, soon


async def test_an_event_in_a_french_channel_speaks_french_while_dms_follow_each_member(
    discord_env: DiscordEnv,
) -> None:
    double, seed = discord_env.double, discord_env.seed
    annonces = seed.channels[FRENCH_CHANNEL]
    mark = double.mark()
    start_text, start, lead = soon(double)
    answer, announcement, occurrence_id = await create_event(
        discord_env,
        title="Table ronde des responsables",
        start=start_text,
        timezone="UTC",
        channel=annonces,
        reminders=f"{lead}s",
    )
    # The moderator (English) is answered in English; the channel's audience reads French.
    assert answer.content.startswith("Event **Table ronde des responsables** created for"), answer.content
    assert field(announcement, "Quand")
    assert field(announcement, "Répétition") == "Ne se répète pas"
    assert field(announcement, "Réponses") == "✅ Oui : 0 · ❔ Peut-être : 0 · ❌ Non : 0"
    assert {button["label"] for button in announcement.buttons()} >= {"Je participe", "Peut-être"}

    for member in (seed.member_en, seed.member_fr, seed.member_es):
        handle = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=member)
        assert (await handle.message()).ephemeral

    await double.advance_to(start - timedelta(seconds=lead))
    reminder = await double.wait_for_message(
        annonces,
        lambda m: m.content.startswith("⏰") and "Table ronde des responsables" in m.content,
        after=mark,
        timeout=REMINDER_TIMEOUT,
    )
    assert reminder.content.startswith("⏰ **Table ronde des responsables** commence"), reminder.content
    expected_dms = [
        (seed.member_en, "⏰ Reminder: **Table ronde des responsables** starts"),
        (seed.member_fr, "⏰ Rappel : **Table ronde des responsables** commence"),
        (seed.member_es, "⏰ Recordatorio: **Table ronde des responsables** empieza"),
    ]
    for member, opening in expected_dms:
        dm = await double.wait_for_dm(member, lambda m: m.content.startswith("⏰"), after=mark, timeout=10)
        assert dm.content.startswith(opening), (member.name, dm.content)

    cancel_mark = double.mark()
    done = await answer_of(double, "event cancel", user=seed.moderator, event=str(occurrence_id))
    assert done.ephemeral and done.content.startswith("Event **Table ronde des responsables**"), done.content
    notice = await double.wait_for_message(
        annonces, lambda m: m.content.startswith("❌"), after=cancel_mark, timeout=10
    )
    assert notice.content.startswith("❌ Événement annulé : **Table ronde des responsables**, prévu le")
    expected_notices = [
        (seed.member_en, "❌ Event cancelled: **Table ronde des responsables**"),
        (seed.member_fr, "❌ Événement annulé : **Table ronde des responsables**"),
        (seed.member_es, "❌ Evento cancelado: **Table ronde des responsables**"),
    ]
    for member, opening in expected_notices:
        dm = await double.wait_for_dm(member, lambda m: m.content.startswith("❌"), after=cancel_mark)
        assert dm.content.startswith(opening), (member.name, dm.content)
    await double.wait_until(
        lambda d: (
            (d.message(announcement.id).embed or {}).get("title")
            == "[Événement annulé] Table ronde des responsables"
        ),
        what="the announcement to say it was cancelled, in French",
    )


async def test_the_language_option_overrides_the_channel(discord_env: DiscordEnv) -> None:
    _, announcement, _ = await create_event(
        discord_env, title="Mesa redonda regional", start=far_start(45), language="es"
    )
    assert field(announcement, "Cuándo")
    assert field(announcement, "Repetición") == "No se repite"
    _, english, _ = await create_event(discord_env, title="Steering Committee call", start=far_start(46))
    assert field(english, "When")  # #announcements has no language of its own: the server's (English)
