"""The /wg report embed: one field per group under its name, short lines a phone shows unwrapped, in
every language; the whole table attached when the groups do not fit one embed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import limits
from bot.i18n import LANGUAGES, Catalog
from bot.services.working_groups import ReportLine, ReportRow, Texts
from cogs.working_groups import _render

CATALOG = Catalog.load()
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PHONE_COLUMNS = 40  # what a phone shows of an embed line without wrapping it
NAMES = {
    "en": "WG3 – Global Data Deficit about Women in Mining",
    "fr": "GT3 – Déficit mondial de données sur les femmes dans le secteur minier",
    "es": "GT3 – Déficit mundial de datos sobre las mujeres en la minería",
}


def line(n: int, *, stale: bool = False, overdue: int = 0, days: int = 12) -> ReportLine:
    row = ReportRow(
        group_id=n,
        key=f"wg{n}-data",
        name=Texts({lang: f"{name} {n}" for lang, name in NAMES.items()}),
        status="needs_attention" if stale else "in_progress",
        workplan_done=3,
        workplan_total=12,
        deliverables_done=1,
        deliverables_total=4,
        deliverables_overdue=overdue,
        last_update_at=NOW,
        last_activity_at=NOW,
    )
    return ReportLine(row, days_since_update=days, stale=stale)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_group_is_a_field_under_its_name_in_lines_a_phone_shows_whole(lang: str) -> None:
    lines = [line(1), line(2, stale=True, overdue=2, days=31), line(3, days=1)]
    embed, attached = _render.report_embed(CATALOG, lang, lines, 4)
    assert not attached and "```" not in (embed.description or "")
    assert [field.name for field in embed.fields] == [
        f"{NAMES[lang]} 1",
        CATALOG.t(lang, "working_groups.report.stale_name", group=f"{NAMES[lang]} 2"),
        f"{NAMES[lang]} 3",
    ]
    assert all("wg" not in (field.name or "") for field in embed.fields)  # names, not keys
    for field in embed.fields:
        value = field.value or ""
        assert value.count("\n") in (2, 3) and not field.inline
        assert all(len(text) <= PHONE_COLUMNS for text in value.split("\n")), value
    assert "3/12" in (embed.fields[0].value or "") and "1/4" in (embed.fields[0].value or "")
    assert (embed.fields[1].value or "").split("\n")[2:] == [
        CATALOG.t(lang, "working_groups.report.late", count=2),
        CATALOG.t(lang, "working_groups.report.quiet", count=31),
    ]
    assert CATALOG.t(lang, "working_groups.report.late", count=2) not in (embed.fields[0].value or "")
    assert f"{NAMES[lang]} 2" in (embed.description or "")  # "Needs attention: <name>"
    assert len(embed) <= limits.EMBED_TOTAL


@pytest.mark.parametrize("lang", LANGUAGES)
def test_more_groups_than_an_embed_holds_attach_the_table_with_names_and_whole_headings(lang: str) -> None:
    lines = [line(n, stale=n == 7) for n in range(1, 27)]
    embed, attached = _render.report_embed(CATALOG, lang, lines, 4)
    assert attached and not embed.fields
    assert CATALOG.t(lang, "working_groups.report.attached", groups=26) in (embed.description or "")
    table = _render.report_table(CATALOG, lang, lines)
    rows = table.split("\n")
    assert len(rows) == 2 + 26 and len({len(rows[1])}) == 1
    for column in ("group", "status", "workplan", "deliverables", "overdue", "days"):
        heading = CATALOG.t(lang, f"working_groups.report.{column}")
        assert heading in rows[0] and not heading.endswith(".")
    assert "wg7-data" not in table and rows[2 + 6].endswith("⚠")
    assert rows[2].startswith(limits.clip(f"{NAMES[lang]} 1", _render.REPORT_NAME_WIDTH))
