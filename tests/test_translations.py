"""French and Spanish catalogs are translations, not copies, and keep what Discord renders.

- A fr/es value equal to the English one is an English leftover, unless listed below with a reason.
- Every fr/es value keeps the English value's placeholders, bold and code markers, links, Discord
  tokens (``<t:…>``, ``<@&…>``, ``<#…>``); test_catalog_commands checks the commands it names.
- Rendered messages: titles of either gender, lead-time units, translated choices.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.errors import Choices, UserFacingError
from bot.i18n import LANGUAGES, Catalog, placeholders, plural_form
from bot.services.events import RSVP_STATUSES
from bot.services.events.validation import checked_recurrence
from bot.timeutil import DurationError, format_lead_times, parse_lead_times

CATALOG = Catalog.load()
OTHERS = [lang for lang in LANGUAGES if lang != "en"]

# Values that are rightly the same as in English: (language, key) -> why.
SAME_AS_ENGLISH: dict[tuple[str, str], str] = {
    ("fr", "about.version"): "« Version » is the French word",
    ("fr", "cmd.event.create.options.description.name"): "« description » is the French word",
    ("fr", "cmd.event.edit.options.description.name"): "« description » is the French word",
    ("fr", "cmd.timezone.set.options.zone.name"): "« zone » is the French word",
    ("fr", "consultations.fields.question"): "« Question » is the French word",
    ("fr", "consultations.fields.option"): "« Option » is the French word",
    ("fr", "events_ui.duration.minutes"): "min is the international unit symbol",
    ("fr", "events_ui.duration.hours"): "h is the international unit symbol",
    ("fr", "events_ui.duration.hours_minutes"): "h and min are the international unit symbols",
    ("es", "cmd.event.info.name"): "«info» is the usual Spanish short form",
    ("es", "cmd.org.info.name"): "«info», the same word as /evento info",
    ("es", "cmd.wg.info.name"): "«info», the same word as /evento info",
    ("es", "events_ui.duration.minutes"): "min is the international unit symbol",
    ("es", "events_ui.duration.hours"): "h is the international unit symbol",
    ("es", "events_ui.duration.hours_minutes"): "h and min are the international unit symbols",
    ("fr", "cmd.wg.choices.kind.guide"): "« Guide » is the French word",
    ("fr", "working_groups.kind.guide"): "« guide » is the French word",
    ("fr", "cmd.wg.choices.initiative.programme"): "« Programme » is the French word",
    ("fr", "working_groups.initiative.kind.programme"): "« programme » is the French word",
    ("fr", "cmd.wg.edit.options.description.name"): "« description » is the French word",
    ("fr", "working_groups.fields.description"): "« Description » is the French word",
    ("fr", "cmd.wg.status.options.note.name"): "« note » is the French word",
    ("fr", "working_groups.fields.note"): "« Note » is the French word",
    ("fr", "cmd.wg.doc.name"): "« doc » is the usual French short form of « document »",
    ("fr", "cmd.wg.doc.remove.options.document.name"): "« document » is the French word",
    ("fr", "working_groups.card.documents"): "« Documents » is the French word",
    ("fr", "working_groups.search.source.document"): "« document » is the French word",
    ("fr", "cmd.wg.initiative.name"): "« initiative » is the French word",
    ("fr", "cmd.wg.initiatives.name"): "« initiatives » is the French word",
    ("fr", "working_groups.search.source.initiative"): "« initiative » is the French word",
    ("fr", "working_groups.initiative.modal_title"): "« Initiative » is the French word",
    ("fr", "working_groups.fields.organisation"): "« Organisation » is the French word",
    ("fr", "working_groups.initiative.labels.organisation"): "« Organisation » is the French word",
    ("fr", "working_groups.summary.part_1"): "« Notes » is the French word",
    ("fr", "working_groups.summary.date"): "« Date » is the French word",
    ("es", "cmd.wg.panel.name"): "«panel» is the Spanish word",
    ("es", "cmd.wg.doc.name"): "«doc» is the usual Spanish short form of «documento»",
    ("es", "working_groups.report.days_short"): "d is the symbol for días too",
    ("es", "working_groups.initiative.count"): "«Total» is the Spanish word",
    # The organisation directory (/org).
    ("fr", "cmd.org.name"): "« org », the short form members type, as in English",
    ("es", "cmd.org.name"): "«org», the short form members type, as in English",
    **{
        (
            lang,
            f"cmd.org.{command}.options.region.name",
        ): "« région » / «región» without its accent, as names are"
        for lang in ("fr", "es")
        for command in ("add", "edit", "list")
    },
    ("fr", "cmd.org.add.options.description.name"): "« description » is the French word",
    ("fr", "cmd.org.edit.options.description.name"): "« description » is the French word",
    ("fr", "orgs.fields.description"): "« Description » is the French word",
    # Consultations (/poll).
    ("fr", "cmd.poll.create.options.question.name"): "« question » is the French word",
    ("fr", "cmd.poll.create.options.options.name"): "« options » is the French word",
    ("fr", "cmd.poll.create.options.quorum.name"): "« quorum » is the French word",
    ("es", "cmd.poll.create.options.quorum.name"): "«quórum» without its accent, as names are",
    ("fr", "consultations_ui.chart.quota"): "« Quota » is the French word",
    **{
        ("fr", key): "« élection » without its accent, as names are"
        for key in (
            "cmd.poll.election.name",
            "cmd.poll.nominate.options.election.name",
            "cmd.poll.extend.options.election.name",
        )
    },
    **{
        ("es", f"{prefix}.{code}"): "the UN M49 Spanish name is the English one"
        for prefix in ("cmd.org.regions", "orgs.regions")
        for code in ("054", "057")  # Melanesia, Micronesia
    },
}

# Keys that end in ".other" without being the plural form of a message: choices whose stored value is
# "other" (the migration's CHECK). key -> why.
NOT_PLURAL: dict[str, str] = {
    "cmd.wg.choices.initiative.other": "the initiative kind stored as 'other', a choice name",
    "working_groups.initiative.kind.other": "the initiative kind stored as 'other', shown on a card",
}

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_LINK = re.compile(r"https?://[^\s)>]+")
_DISCORD_TOKEN = re.compile(r"<(?:t:[^<>]+|@&?[^<>]+|#[^<>]+)>")


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in _PLACEHOLDER.sub("", text))


@pytest.mark.parametrize("lang", OTHERS)
def test_no_english_left_in_french_and_spanish(lang: str) -> None:
    leftovers = [
        f"{key} = {text!r}"
        for key, text in CATALOG.messages[lang].items()
        if text == CATALOG.messages["en"].get(key) and _has_words(text) and (lang, key) not in SAME_AS_ENGLISH
    ]
    assert leftovers == [], "translate these, or list them in SAME_AS_ENGLISH with a reason"


def test_the_exceptions_are_still_needed() -> None:
    stale = [
        exception
        for exception in SAME_AS_ENGLISH
        if CATALOG.messages[exception[0]].get(exception[1]) != CATALOG.messages["en"].get(exception[1])
    ]
    assert stale == []


def _markup(text: str) -> dict[str, object]:
    return {
        "placeholders": placeholders(text),
        "bold": text.count("**"),
        "code": text.count("`"),
        "links": sorted(_LINK.findall(text)),
        "discord tokens": sorted(_DISCORD_TOKEN.findall(text)),
    }


@pytest.mark.parametrize("lang", OTHERS)
def test_translations_keep_markdown_links_and_discord_tokens(lang: str) -> None:
    changed = {
        key: (_markup(english), _markup(CATALOG.messages[lang][key]))
        for key, english in CATALOG.messages["en"].items()
        if key in CATALOG.messages[lang] and _markup(english) != _markup(CATALOG.messages[lang][key])
    }
    assert changed == {}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_command_names_have_no_accents(lang: str) -> None:
    """The policy stated in docs/commands.md: names are typed, so plain letters only."""
    accented = [
        f"{key} = {name!r}"
        for key, name in CATALOG.messages[lang].items()
        if key.startswith("cmd.") and key.endswith(".name") and not re.fullmatch(r"[a-z0-9_-]+", name)
    ]
    assert accented == []


# --- rendered messages ---------------------------------------------------------------------------

WHEN = "<t:1800000000:F>"


@pytest.mark.parametrize(
    ("lang", "title", "key", "params", "expected"),
    [
        (
            "fr",
            "Table ronde",
            "events_ui.create.done",
            {"when": WHEN, "url": "https://x"},
            "Événement **Table ronde** créé pour le <t:1800000000:F>. Annonce : https://x",
        ),
        (
            "es",
            "Mesa redonda",
            "events_ui.create.done",
            {"when": WHEN, "url": "https://x"},
            "Evento **Mesa redonda** creado para el <t:1800000000:F>. Anuncio: https://x",
        ),
        (
            "en",
            "Roundtable",
            "events_ui.create.done",
            {"when": WHEN, "url": "https://x"},
            "Event **Roundtable** created for <t:1800000000:F>. Announcement: https://x",
        ),
        (
            "fr",
            "Table ronde",
            "events_ui.cancel.done",
            {"when": WHEN},
            "Événement **Table ronde** (<t:1800000000:F>) annulé.",
        ),
        (
            "es",
            "Mesa redonda",
            "events_ui.cancel.done",
            {"when": WHEN},
            "Evento **Mesa redonda** (<t:1800000000:F>) cancelado.",
        ),
        (
            "fr",
            "Table ronde",
            "events_ui.announcement.cancelled_post",
            {"when": WHEN},
            "❌ Événement annulé : **Table ronde**, prévu le <t:1800000000:F>.",
        ),
        (
            "es",
            "Mesa redonda",
            "events_ui.announcement.cancelled_post",
            {"when": WHEN},
            "❌ Evento cancelado: **Mesa redonda**, previsto para el <t:1800000000:F>.",
        ),
        (
            "fr",
            "Table ronde",
            "events_ui.edit.moved",
            {"channel": "<#1>"},
            "📢 L'événement **Table ronde** a été déplacé dans <#1> : répondez là-bas.",
        ),
        (
            "es",
            "Mesa redonda",
            "events_ui.edit.moved",
            {"channel": "<#1>"},
            "📢 El evento **Mesa redonda** se trasladó a <#1>: responda allí.",
        ),
        (
            "fr",
            "Table ronde",
            "events_ui.rsvp.not_audience",
            {"role": "<@&2>"},
            "L'événement **Table ronde** est réservé aux membres de <@&2>. Si vous pensez devoir y avoir "
            "accès, écrivez à l'équipe de modération.",
        ),
    ],
)
def test_messages_about_an_event_agree_with_a_title_of_any_gender(
    lang: str, title: str, key: str, params: dict[str, str], expected: str
) -> None:
    assert CATALOG.t(lang, key, title=title, **params) == expected


@pytest.mark.parametrize(
    ("lang", "notified", "expected_tail"),
    [
        ("en", 1, "1 member who had replied was told by direct message."),
        ("en", 3, "3 members who had replied were told by direct message."),
        ("en", 0, "0 members who had replied were told by direct message."),
        ("fr", 0, "Message privé envoyé à 0 membre qui avait répondu."),
        ("fr", 1, "Message privé envoyé à 1 membre qui avait répondu."),
        ("fr", 2, "Message privé envoyé aux 2 membres qui avaient répondu."),
        ("es", 1, "a 1 persona que había respondido."),
        ("es", 4, "a 4 personas que habían respondido."),
    ],
)
def test_counts_agree_in_number_without_parentheses(lang: str, notified: int, expected_tail: str) -> None:
    text = CATALOG.t(lang, "events_ui.edit.done", title="Table ronde", when=WHEN, notified=notified)
    assert text.endswith(expected_tail) and "(s)" not in text


def test_plural_forms_follow_each_language() -> None:
    assert [plural_form("fr", n) for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [plural_form("en", n) for n in (0, 1, 2)] == ["other", "one", "other"]
    assert [plural_form("es", n) for n in (0, 1, 2)] == ["other", "one", "other"]
    assert CATALOG.t("fr", "events_ui.list.title", days=1) == "Événements à venir (1 jour)"
    assert CATALOG.t("es", "events_ui.list.empty", days=14) == "No hay eventos en los próximos 14 días."
    assert CATALOG.t("en", "errors.cooldown", seconds=1) == "Slow down a little: try again in 1 second."


def test_every_plural_message_has_both_forms_in_every_language() -> None:
    for lang in LANGUAGES:
        keys = CATALOG.messages[lang]
        for key in keys:
            if key.endswith(".other") and key not in NOT_PLURAL:
                assert key[: -len("other")] + "one" in keys, f"{lang}:{key} has no one form"


def test_the_keys_that_are_not_plurals_are_choices_with_no_one_form() -> None:
    for lang in LANGUAGES:
        for key in NOT_PLURAL:
            assert key in CATALOG.messages[lang], f"{lang}:{key} is gone: drop it from NOT_PLURAL"
            assert key[: -len("other")] + "one" not in CATALOG.messages[lang]


@pytest.mark.parametrize(
    ("lang", "typed"),
    [("en", "7d,1w,1h,15m"), ("fr", "7j,1sem,1h,15min"), ("es", "7d,1sem,1h,15min"), ("fr", "7 J, 1 SEM")],
)
def test_lead_times_read_in_each_language(lang: str, typed: str) -> None:
    leads = parse_lead_times(typed)
    assert timedelta(days=7) in leads
    assert leads[0] == timedelta(days=7)  # 1 week and 7 days are the same reminder


def test_lead_times_written_back_in_the_member_units() -> None:
    leads = parse_lead_times("2w,1d,1h,15m")
    assert format_lead_times(leads) == "2w,1d,1h,15m"
    assert format_lead_times(leads, "fr") == "2sem,1j,1h,15min"
    assert format_lead_times(leads, "es") == "2sem,1d,1h,15min"
    assert parse_lead_times(format_lead_times(leads, "fr")) == leads


@pytest.mark.parametrize("typed", ["7x", "7 jours", "7", "js", "1mo", "1sm"])
def test_unknown_units_are_refused(typed: str) -> None:
    with pytest.raises(DurationError):
        parse_lead_times(typed)


def test_seconds_stay_for_tests_and_mean_seconds_in_every_language() -> None:
    assert parse_lead_times("30s") == (timedelta(seconds=30),)


@pytest.mark.parametrize(
    ("lang", "units", "example"),
    [
        ("en", "d days, w weeks, h hours, m minutes", "7d,1d,1h,15m"),
        ("fr", "j jours, sem semaines, h heures, min minutes", "7j,1j,1h,15min"),
        ("es", "d días, sem semanas, h horas, min minutos", "7d,1d,1h,15min"),
    ],
)
def test_help_and_errors_show_the_member_units(lang: str, units: str, example: str) -> None:
    error = CATALOG.t(lang, "events.errors.bad_lead_times", lead_times="7x")
    assert units in error and example in error
    assert parse_lead_times(example)  # what the message suggests is accepted
    described = CATALOG.messages[lang]["cmd.event.create.options.reminders.description"]
    assert example in described
    assert parse_lead_times(
        CATALOG.messages[lang]["cmd.event.edit.options.reminders.description"].split()[-1]
    )


def test_choices_show_translated_names_never_values() -> None:
    values = ("none", "weekly", "monthly", "every_2_months", "yearly")
    assert CATALOG.choices("fr", "events_ui.recurrence", values) == (
        "« Ne se répète pas », « Chaque semaine », « Chaque mois », "
        "« Tous les deux mois » ou « Chaque année »"
    )
    assert CATALOG.choices("es", "cmd.event.rsvp.choices", ("going", "maybe", "declined")) == (
        "«Asistiré», «Quizás» o «No puedo»"
    )
    assert CATALOG.choices("en", "cmd.event.rsvp.choices", ("going", "maybe")) == "“Going” or “Maybe”"
    assert CATALOG.choices("en", "cmd.event.rsvp.choices", ("going",)) == "“Going”"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            "Je ne connais pas la répétition « daily ». Choisissez « Ne se répète pas », « Chaque semaine »",
        ),
        ("es", "No conozco la repetición «daily». Elija «No se repite», «Cada semana»"),
        ("en", "“daily” is not a repetition I know. Choose “Does not repeat”, “Every week”"),
    ],
)
def test_a_service_refusal_lists_the_choices_in_the_member_language(lang: str, expected: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        checked_recurrence("daily")
    assert isinstance(caught.value.params["choices"], Choices)
    text = CATALOG.t(lang, caught.value.key, **caught.value.params)
    assert text.startswith(expected)
    assert "every_2_months" not in text and "weekly" not in text


def test_an_rsvp_refusal_names_the_answers_not_their_ids() -> None:
    error = UserFacingError(
        "events.errors.bad_rsvp_status",
        status="yes",
        choices=Choices("cmd.event.rsvp.choices", RSVP_STATUSES),
    )
    text = CATALOG.t("fr", error.key, **error.params)
    assert text == (
        "Je ne connais pas la réponse « yes ». "
        "Choisissez « Je participe », « Peut-être » ou « Je ne peux pas »."
    )
    assert "going" not in text and "declined" not in text


@pytest.mark.parametrize(
    ("lang", "weeks", "expected"),
    [
        ("en", 1, "no update for 1 week, so"),
        ("en", 3, "no update for 3 weeks, so"),
        ("fr", 1, "aucun point depuis 1 semaine ;"),
        ("fr", 3, "aucun point depuis 3 semaines ;"),
        ("es", 1, "desde hace 1 semana, así"),
        ("es", 3, "desde hace 3 semanas, así"),
    ],
)
def test_working_group_nudge_counts_weeks_in_number(lang: str, weeks: int, expected: str) -> None:
    text = CATALOG.t(lang, "working_groups.stale.nudge", coordinators="<@1>", group="GT1", weeks=weeks)
    assert expected in text and text.count("**GT1**") == 1


def test_working_group_counts_agree_in_number() -> None:
    assert CATALOG.t("fr", "working_groups.render.more", count=0) == "et 0 autre"
    assert CATALOG.t("fr", "working_groups.render.more", count=2) == "et 2 autres"
    assert CATALOG.t("fr", "working_groups.report.attached", groups=1) == "Le tableau (1 groupe) est joint."
    assert CATALOG.t("es", "working_groups.report.attached", groups=0) == "La tabla (0 grupos) va adjunta."
    assert "(1 carácter)" in CATALOG.t("es", "working_groups.summary.posted", group="GT1", length=1)
    assert "(1 character)" in CATALOG.t("en", "working_groups.summary.attached", length=1)


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("en", 1, "(1 initiative)"),
        ("en", 4, "(4 in all)"),
        ("fr", 0, "(0 initiative)"),
        ("fr", 1, "(1 initiative)"),
        ("fr", 4, "(4 initiatives au total)"),
        ("es", 1, "(1 iniciativa)"),
        ("es", 4, "(4 iniciativas en total)"),
    ],
)
def test_an_exported_index_counts_its_initiatives_in_number(lang: str, count: int, expected: str) -> None:
    assert expected in CATALOG.t(lang, "working_groups.initiative.exported", group="GT1", count=count)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_limit_of_one_representative_reads_in_the_singular(lang: str) -> None:
    text = CATALOG.t(lang, "orgs.errors.representatives_full", name="WIM Peru", limit=1)
    assert "(1)" in text
    assert not re.search(r"\b1 (representatives|représentantes|representantes)", text)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "it is 01:15 there"),
        ("fr", "(heure locale : 01:15)"),
        ("es", "(hora local: 01:15)"),
    ],
)
def test_the_local_time_reads_at_any_hour(lang: str, expected: str) -> None:
    """Spanish says "es la 01:15" but "son las 02:15": the label form is right at every hour."""
    assert expected in CATALOG.t(lang, "timezone_ui.show", zone="America/Lima", local_time="01:15")
