"""Config loading: the shipped file is valid, and every mistake is reported with the key to fix."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import yamlfile
from bot.config import (
    Config,
    ConfigError,
    DigestConfig,
    Localized,
    load_config,
    parse_config,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = REPO_ROOT / "config.yml"


def minimal() -> dict[str, Any]:
    return {
        "guild_ids": [123456789012345678],
        "working_groups": [
            {
                "key": "wg-a",
                "name": {"en": "A", "fr": "A fr", "es": "A es"},
                "stake": {"en": "s", "fr": "s", "es": "s"},
                "mandate": {"en": "m", "fr": "m", "es": "m"},
                "workplan": [{"title": {"en": "w", "fr": "w", "es": "w"}, "status": "in_progress"}],
                "deliverables": [{"title": {"en": "d", "fr": "d", "es": "d"}, "kind": "white_paper"}],
            }
        ],
        "calendar": [
            {
                "key": "call",
                "title": {"en": "Call", "fr": "Appel", "es": "Llamada"},
                "description": {"en": "d", "fr": "d", "es": "d"},
                "start": "2027-02-09 13:00",
                "recurrence": "every_2_months",
            }
        ],
    }


def parse(data: Any, environ: dict[str, str] | None = None) -> Config:
    return parse_config(data, base_dir=Path("/srv/wim"), environ=environ or {})


def shipped_data() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- the shipped file ---------------------------------------------------------------------------


def test_shipped_config_loads_with_the_alliance_defaults() -> None:
    config = load_config(SHIPPED, environ={})
    assert config.timezone == "UTC"
    assert config.language == "en"
    assert config.log_level == "INFO"
    assert config.database == REPO_ROOT / "data" / "wim-bot.sqlite3"
    assert config.moderator_roles == ("Secretariat", "Steering Committee")
    assert (config.channels.announcements, config.channels.digest, config.channels.mod_log) == (
        "announcements",
        "weekly-digest",
        "mod-log",
    )
    assert config.reminders.default_lead_times == (
        timedelta(days=7),
        timedelta(days=1),
        timedelta(hours=1),
        timedelta(minutes=15),
    )
    assert config.digest == DigestConfig(day=0, time=time(9, 0), timezone="UTC")
    assert (config.events.horizon_days, config.events.default_duration_minutes) == (180, 60)
    assert len(config.working_groups) == 4
    assert "Data Deficit" in config.working_groups[2].name.en
    assert "intersectionality" in config.working_groups[2].mandate.en.lower()
    assert config.working_groups[1].deliverables[1].kind == "directory"
    assert config.working_groups[0].name.fr.startswith("GT1")
    assert config.working_groups[0].name.es.startswith("GT1")
    assert [len(group.workplan) for group in config.working_groups] == [4, 2, 2, 4]
    assert config.working_group_settings.stale_after_weeks == 4
    keys = {event.key: event for event in config.calendar}
    assert keys["global-wim-call"].recurrence == "every_2_months"
    assert keys["global-wim-call"].duration_minutes == 90
    assert keys["global-wim-call"].first_start().year == 2027
    assert keys["thematic-roundtable"].recurrence == "monthly"
    assert keys["thematic-roundtable"].audience_role == "WIM Leaders"
    assert keys["international-wim-day"].first_start().strftime("%m-%d") == "06-15"
    assert keys["international-wim-day"].recurrence == "yearly"
    assert keys["december-assembly"].first_start().month == 12
    assert keys["december-assembly"].recurrence == "yearly"
    assert config.zone.key == "UTC"


def test_every_shipped_key_is_commented() -> None:
    """Each key line in config.yml has a comment on it or just above it (localized texts excepted)."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")) or ":" not in stripped:
            continue
        key = stripped.split(":", 1)[0].strip()
        if key in ("en", "fr", "es") or line.startswith("    "):
            continue  # texts and list-item fields: documented by the comment block above the list
        previous = lines[number - 1].strip() if number else ""
        if "#" not in line and not previous.startswith("#"):
            undocumented.append(key)
    assert undocumented == []


def test_localized_get_falls_back_to_english() -> None:
    text = Localized(en="Hello", fr="Bonjour", es="Hola")
    assert text.get("fr") == "Bonjour"
    assert text.get("es") == "Hola"
    assert text.get("de") == "Hello"


def test_channel_languages_give_a_channel_its_own_language() -> None:
    config = parse(mutate("channel_languages", {"annonces": "fr", "Anuncios": "es"}))
    assert config.channel_language("annonces") == "fr"
    assert config.channel_language("anuncios") == "es"  # Discord names are lowercase; config may not be
    assert config.channel_language("announcements") == config.language == "en"
    assert config.channel_language(None) == "en"
    assert parse(minimal()).channel_languages == ()
    assert shipped_config_languages() == ()


def shipped_config_languages() -> tuple[tuple[str, str], ...]:
    return load_config(SHIPPED).channel_languages


@pytest.mark.parametrize(
    ("value", "key", "fragment"),
    [
        ({"annonces": "de"}, "channel_languages.annonces", "en, fr, es"),
        ({"#annonces": "fr"}, "channel_languages.#annonces", "without #"),
        ({"annonces": "fr", "ANNONCES": "es"}, "channel_languages.ANNONCES", "twice"),
        (["annonces"], "channel_languages", "mapping"),
        ({"": "fr"}, "channel_languages.", "channel name"),
        ({"x" * 101: "fr"}, "channel_languages." + "x" * 101, "at most 100"),
    ],
)
def test_channel_languages_errors_name_the_key(value: Any, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(mutate("channel_languages", value))
    assert caught.value.key == key and fragment in caught.value.expected


def test_minimal_config_takes_defaults() -> None:
    config = parse(minimal())
    assert config.database == Path("/srv/wim/data/wim-bot.sqlite3")
    assert config.calendar[0].duration_minutes == 60
    assert config.calendar[0].timezone == "UTC"
    assert config.calendar[0].channel is None
    assert config.digest.timezone == "UTC"


def test_relative_database_resolves_against_the_config_directory(tmp_path: Path) -> None:
    data = minimal()
    data["database"] = "state/bot.sqlite3"
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_config(path, environ={}).database == tmp_path / "conf" / "state" / "bot.sqlite3"


def test_absolute_database_is_kept(tmp_path: Path) -> None:
    data = minimal()
    data["database"] = str(tmp_path / "x.sqlite3")
    assert parse(data).database == tmp_path / "x.sqlite3"


def test_log_level_environment_override() -> None:
    assert parse(minimal(), {"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    with pytest.raises(ConfigError, match=r"^LOG_LEVEL \(environment variable\): expected one of"):
        parse(minimal(), {"LOG_LEVEL": "LOUD"})


def test_digest_timezone_defaults_to_the_top_level_zone() -> None:
    data = minimal()
    data["timezone"] = "America/Lima"
    data["digest"] = {"day": "friday", "time": "17:30"}
    config = parse(data)
    assert config.digest == DigestConfig(day=4, time=time(17, 30), timezone="America/Lima")
    assert config.calendar[0].timezone == "America/Lima"


# --- every error names its key ------------------------------------------------------------------


def mutate(path: str, value: Any) -> dict[str, Any]:
    """A copy of minimal() with the dotted ``path`` set to ``value`` (list indexes as numbers)."""
    data = copy.deepcopy(minimal())
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def delete(path: str) -> dict[str, Any]:
    data = copy.deepcopy(minimal())
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[parts[-1]]
    return data


ERROR_CASES = [
    # (description, data, expected key, fragment of the expectation)
    ("unknown top-level key", mutate("colour", "blue"), "colour", "unknown key"),
    ("unknown nested key", mutate("channels.general", "x"), "channels.general", "unknown key"),
    ("unknown key in a list item", mutate("calendar.0.venue", "x"), "calendar[0].venue", "unknown key"),
    (
        "unknown key in a localized text",
        mutate("calendar.0.title.de", "x"),
        "calendar[0].title.de",
        "unknown key",
    ),
    ("token in config", mutate("token", "abc"), "token", "DISCORD_TOKEN"),
    ("top level not a mapping", ["a"], "(top level)", "mapping"),
    ("empty file", None, "(top level)", "guild_ids"),
    ("missing guild_ids", delete("guild_ids"), "guild_ids", "at least one"),
    ("empty guild_ids", mutate("guild_ids", []), "guild_ids", "at least one"),
    ("guild id not a number", mutate("guild_ids", ["abc"]), "guild_ids[0]", "whole number"),
    ("guild id a boolean", mutate("guild_ids", [True]), "guild_ids[0]", "whole number"),
    ("duplicate guild id", mutate("guild_ids", [5, 5]), "guild_ids[1]", "twice"),
    ("guild_ids not a list", mutate("guild_ids", 5), "guild_ids", "list"),
    ("unknown time zone", mutate("timezone", "Mars/Olympus"), "timezone", "IANA time zone"),
    ("time zone path", mutate("timezone", "../etc/passwd"), "timezone", "IANA time zone"),
    ("time zone wrong type", mutate("timezone", 3), "timezone", "text"),
    ("language not offered", mutate("language", "de"), "language", "en, fr, es"),
    ("bad log level", mutate("log_level", "LOUD"), "log_level", "DEBUG, INFO"),
    ("database wrong type", mutate("database", 5), "database", "text"),
    ("moderator role wrong type", mutate("moderator_roles", [["x"]]), "moderator_roles[0]", "role name"),
    ("moderator role empty", mutate("moderator_roles", [" "]), "moderator_roles[0]", "non-empty"),
    ("channels not a mapping", mutate("channels", "general"), "channels", "mapping"),
    ("channel name empty", mutate("channels.digest", ""), "channels.digest", "non-empty"),
    ("lead times bad", mutate("reminders.default_lead_times", "7x"), "reminders.default_lead_times", "7d,1d"),
    (
        "lead times too long",
        mutate("reminders.default_lead_times", "90d"),
        "reminders.default_lead_times",
        "60d",
    ),
    (
        "lead times not text",
        mutate("reminders.default_lead_times", 5),
        "reminders.default_lead_times",
        "text",
    ),
    ("digest day name", mutate("digest.day", "funday"), "digest.day", "monday"),
    ("digest time format", mutate("digest.time", "9am"), "digest.time", "HH:MM"),
    ("digest time out of range", mutate("digest.time", "24:00"), "digest.time", "HH:MM"),
    ("digest time unquoted", mutate("digest.time", 540), "digest.time", "quoted"),
    ("digest zone", mutate("digest.timezone", "Nowhere/City"), "digest.timezone", "IANA"),
    ("horizon too small", mutate("events.horizon_days", 0), "events.horizon_days", "from 1 to"),
    ("horizon text", mutate("events.horizon_days", "180"), "events.horizon_days", "whole number"),
    (
        "default duration too long",
        mutate("events.default_duration_minutes", 10081),
        "events.default_duration_minutes",
        "from 1 to 10080",
    ),
    ("working groups not a list", mutate("working_groups", {"a": 1}), "working_groups", "list"),
    ("working group key shape", mutate("working_groups.0.key", "WG 1"), "working_groups[0].key", "lowercase"),
    ("working group missing name", delete("working_groups.0.name"), "working_groups[0].name", "required"),
    (
        "working group missing language",
        delete("working_groups.0.stake.es"),
        "working_groups[0].stake.es",
        "required",
    ),
    (
        "working group localized not a mapping",
        mutate("working_groups.0.mandate", "text"),
        "working_groups[0].mandate",
        "mapping",
    ),
    (
        "workplan status",
        mutate("working_groups.0.workplan.0.status", "done"),
        "working_groups[0].workplan[0].status",
        "in_progress",
    ),
    (
        "deliverable kind",
        mutate("working_groups.0.deliverables.0.kind", "book"),
        "working_groups[0].deliverables[0].kind",
        "white_paper",
    ),
    ("working group private", mutate("working_groups.0.private", "yes"), "working_groups[0].private", "true"),
    (
        "stale weeks",
        mutate("working_group_settings", {"stale_after_weeks": 0}),
        "working_group_settings.stale_after_weeks",
        "1 to 52",
    ),
    ("calendar missing start", delete("calendar.0.start"), "calendar[0].start", "required"),
    (
        "calendar bad start",
        mutate("calendar.0.start", "2027-02-09T13:00"),
        "calendar[0].start",
        "YYYY-MM-DD HH:MM",
    ),
    ("calendar impossible date", mutate("calendar.0.start", "2027-02-30 13:00"), "calendar[0].start", "YYYY"),
    (
        "calendar bare date",
        mutate("calendar.0.start", datetime(2027, 2, 9).date()),
        "calendar[0].start",
        "quoted",
    ),
    (
        "calendar recurrence",
        mutate("calendar.0.recurrence", "daily"),
        "calendar[0].recurrence",
        "every_2_months",
    ),
    ("calendar zone", mutate("calendar.0.timezone", "Europe/Atlantis"), "calendar[0].timezone", "IANA"),
    (
        "calendar duration zero",
        mutate("calendar.0.duration_minutes", 0),
        "calendar[0].duration_minutes",
        "1 to",
    ),
    (
        "calendar duration too long",
        mutate("calendar.0.duration_minutes", 10081),
        "calendar[0].duration_minutes",
        "10080",
    ),
    ("calendar link", mutate("calendar.0.link", "ftp://x"), "calendar[0].link", "https://"),
    ("calendar missing title language", delete("calendar.0.title.fr"), "calendar[0].title.fr", "required"),
    ("calendar empty title", mutate("calendar.0.title.en", "  "), "calendar[0].title.en", "non-empty"),
    ("calendar item not a mapping", mutate("calendar.0", "call"), "calendar[0]", "mapping"),
]


@pytest.mark.parametrize(("case", "data", "key", "fragment"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_names_the_key(case: str, data: Any, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(data)
    assert caught.value.key == key, case
    assert str(caught.value).startswith(f"{key}: ")
    assert fragment in caught.value.expected


def test_duplicate_working_group_key() -> None:
    data = minimal()
    data["working_groups"].append(copy.deepcopy(data["working_groups"][0]))
    with pytest.raises(
        ConfigError, match=r"^working_groups\[1\]\.key: working group key 'wg-a' is used twice"
    ):
        parse(data)


def test_duplicate_calendar_key() -> None:
    data = minimal()
    data["calendar"].append(copy.deepcopy(data["calendar"][0]))
    with pytest.raises(ConfigError, match=r"^calendar\[1\]\.key: calendar key 'call' is used twice"):
        parse(data)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^\(file\): no configuration file"):
        load_config(tmp_path / "absent.yml", environ={})
    broken = tmp_path / "broken.yml"
    broken.write_text("guild_ids: [1\ntimezone: UTC\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^\(file\): expected valid YAML; the parser stopped at line"):
        load_config(broken, environ={})


def shipped_with(tmp_path: Path, after: str, inserted: str) -> tuple[Path, int, int]:
    """The shipped config.yml with ``inserted`` (one line) right after the first line equal to
    ``after``; returns the path, the 1-based line of ``after`` and the line of the insertion."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.rstrip("\n") == after)
    lines.insert(index + 1, inserted + "\n")
    path = tmp_path / "config.yml"
    path.write_text("".join(lines), encoding="utf-8")
    return path, index + 1, index + 2


@pytest.mark.parametrize(
    ("after", "inserted", "key"),
    [
        ('language: "en"', 'language: "fr"', "language"),
        ('  time: "09:00"', '  time: "17:30"', "digest.time"),
        ('  - key: "wg2-workplace"', '    key: "wg2-other"', "working_groups[1].key"),
        (
            '      en: "WG1 – Attracting and Retaining STEM Women to Mining"',
            '      en: "WG1 again"',
            "working_groups[0].name.en",
        ),
    ],
)
def test_a_key_written_twice_names_the_key_and_both_lines(
    tmp_path: Path, after: str, inserted: str, key: str
) -> None:
    path, first, second = shipped_with(tmp_path, after, inserted)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == key
    assert str(caught.value) == (
        f"{key}: written twice, on lines {first} and {second}; keep one (YAML would silently use the second)"
    )


def test_equal_keys_are_compared_as_yaml_values(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("guild_ids: [1]\nguild_ids: [2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^guild_ids: written twice, on lines 1 and 2;"):
        load_config(path, environ={})
    # Quoted or not, the same text is the same key.
    path.write_text('"timezone": UTC\ntimezone: UTC\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^timezone: written twice, on lines 1 and 2;"):
        load_config(path, environ={})


def test_the_duplicate_check_knows_nesting_aliases_and_merges() -> None:
    with pytest.raises(yamlfile.DuplicateKeyError) as caught:
        yamlfile.load("calendar:\n  - key: a\n  - key: b\n    title: {en: x}\n    key: c\n")
    assert (caught.value.path, caught.value.first_line, caught.value.second_line) == ("calendar[1].key", 3, 5)
    with pytest.raises(yamlfile.DuplicateKeyError, match="'true' is written twice, on lines 1 and 2"):
        yamlfile.load("on: 1\ntrue: 2\n")  # YAML 1.1: both are the boolean true
    assert yamlfile.load("a: 1\n'1': 2\n1: 3\n") == {"a": 1, "1": 2, 1: 3}
    # A << merge may override what it brings in, as YAML means it to; an alias is checked once.
    merged = yamlfile.load("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\ne: *b\n")
    assert merged == {"base": {"x": 1, "y": 2}, "d": {"x": 3, "y": 2}, "e": {"x": 1, "y": 2}}
    with pytest.raises(yaml.constructor.ConstructorError):  # still a SafeLoader
        yamlfile.load("x: !!python/object:os.system ls\n")


def test_unquoted_digest_time_in_yaml_is_explained(tmp_path: Path) -> None:
    data = minimal()
    path = tmp_path / "config.yml"
    # YAML 1.1 reads an unquoted 17:30 as the base-60 number 1050.
    path.write_text(yaml.safe_dump(data) + "digest:\n  time: 17:30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r'^digest\.time: expected a quoted "HH:MM"'):
        load_config(path, environ={})


def test_config_is_frozen() -> None:
    config = parse(minimal())
    with pytest.raises(AttributeError):
        config.language = "fr"  # type: ignore[misc]  # assigning to the frozen field on purpose


# --- next digest --------------------------------------------------------------------------------


def test_next_run_same_day_before_and_after_the_slot() -> None:
    digest = DigestConfig(day=0, time=time(9, 0), timezone="UTC")
    monday_early = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert digest.next_run(monday_early) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    exactly = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert digest.next_run(exactly) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_next_run_keeps_local_time_across_daylight_saving_change() -> None:
    # Europe/Paris moves from UTC+1 to UTC+2 on Sunday 28 March 2027.
    digest = DigestConfig(day=0, time=time(9, 0), timezone="Europe/Paris")
    before = digest.next_run(datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    assert before == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # 09:00 CET
    after = digest.next_run(before)
    assert after == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert after - before == timedelta(days=7) - timedelta(hours=1)
    assert after.tzinfo is UTC


def test_next_run_uses_the_weekday_in_the_digest_zone() -> None:
    # Monday 00:30 in Auckland is still Sunday in UTC.
    digest = DigestConfig(day=0, time=time(0, 30), timezone="Pacific/Auckland")
    sunday_utc = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    result = digest.next_run(sunday_utc)
    assert result == datetime(2026, 11, 29, 11, 30, tzinfo=UTC)  # Auckland is UTC+13 in November
    assert result.astimezone(digest_zone("Pacific/Auckland")).weekday() == 0


def test_next_run_refuses_naive_datetimes() -> None:
    digest = DigestConfig(day=0, time=time(9, 0), timezone="UTC")
    with pytest.raises(ValueError, match="aware"):
        digest.next_run(datetime(2026, 11, 30, 8, 0))


def digest_zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def test_the_web_hub_is_off_by_default_and_validated() -> None:
    assert parse_config(minimal(), base_dir=REPO_ROOT).web.enabled is False
    on = parse_config({**minimal(), "web": {"enabled": True, "port": 8443}}, base_dir=REPO_ROOT).web
    assert (on.enabled, on.bind, on.port, on.base_url) == (True, "127.0.0.1", 8443, "http://127.0.0.1:8443")
    for web, key in (
        ({"enabled": "yes"}, "web.enabled"),
        ({"port": 70000}, "web.port"),
        ({"bind": "my laptop"}, "web.bind"),
        ({"base_url": "hub.example.org"}, "web.base_url"),
        ({"base_url": "https://hub.example.org/?x=1"}, "web.base_url"),
        ({"tls": True}, "web.tls"),
    ):
        with pytest.raises(ConfigError) as error:
            parse_config({**minimal(), "web": web}, base_dir=REPO_ROOT)
        assert error.value.key == key
