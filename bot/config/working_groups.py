"""The ``working_groups`` and ``working_group_settings`` blocks."""

from __future__ import annotations

import msgspec

from bot.config._fields import (
    ConfigError,
    Localized,
    Section,
    choice,
    localized,
    optional_localized,
    slug,
    type_name,
)

WG_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "needs_attention", "completed")
WG_DELIVERABLE_KINDS: tuple[str, ...] = ("white_paper", "index", "guide", "report", "directory")
WG_TEXT_LIMIT = 1000
WG_ITEM_LIMIT = 500


class WorkplanItemConfig(msgspec.Struct, frozen=True):
    title: Localized
    status: str  # one of WG_STATUSES


class DeliverableConfig(msgspec.Struct, frozen=True):
    title: Localized
    kind: str  # one of WG_DELIVERABLE_KINDS
    status: str


class WorkingGroupConfig(msgspec.Struct, frozen=True):
    key: str
    name: Localized
    stake: Localized
    mandate: Localized
    actions: Localized | None  # the WIM organisations' actions, one per line
    description: Localized | None  # what the group's report is to contain
    private: bool
    status: str
    workplan: tuple[WorkplanItemConfig, ...]
    deliverables: tuple[DeliverableConfig, ...]


class WorkingGroupSettings(msgspec.Struct, frozen=True):
    stale_after_weeks: int  # a group without activity this long is flagged and nudged once
    category: str  # category holding the groups' channels
    archive_category: str  # where archived groups' channels go, read-only


_WG_KEYS = (
    "key",
    "name",
    "stake",
    "mandate",
    "actions",
    "description",
    "private",
    "status",
    "workplan",
    "deliverables",
)


def read_working_groups(root: Section) -> tuple[WorkingGroupConfig, ...]:
    groups: list[WorkingGroupConfig] = []
    seen: set[str] = set()
    for path, item in root.items("working_groups"):
        section = Section(path, item, _WG_KEYS)
        key = slug(section.key("key"), section.raw("key"))
        if key in seen:
            raise ConfigError(section.key("key"), f"working group key {key!r} is used twice")
        seen.add(key)
        private = section.data.get("private", False)
        if not isinstance(private, bool):
            raise ConfigError(section.key("private"), f"expected true or false, got {type_name(private)}")
        workplan: list[WorkplanItemConfig] = []
        for item_path, entry in section.items("workplan"):
            item_section = Section(item_path, entry, ("title", "status"))
            workplan.append(
                WorkplanItemConfig(
                    title=localized(
                        item_section.key("title"), item_section.raw("title"), max_length=WG_ITEM_LIMIT
                    ),
                    status=choice(
                        item_section.key("status"),
                        item_section.data.get("status", "not_started"),
                        WG_STATUSES,
                    ),
                )
            )
        deliverables: list[DeliverableConfig] = []
        for item_path, entry in section.items("deliverables"):
            item_section = Section(item_path, entry, ("title", "kind", "status"))
            deliverables.append(
                DeliverableConfig(
                    title=localized(item_section.key("title"), item_section.raw("title"), max_length=200),
                    kind=choice(item_section.key("kind"), item_section.raw("kind"), WG_DELIVERABLE_KINDS),
                    status=choice(
                        item_section.key("status"),
                        item_section.data.get("status", "not_started"),
                        WG_STATUSES,
                    ),
                )
            )
        groups.append(
            WorkingGroupConfig(
                key=key,
                name=localized(section.key("name"), section.raw("name"), max_length=100),
                stake=localized(section.key("stake"), section.raw("stake"), max_length=WG_TEXT_LIMIT),
                mandate=localized(section.key("mandate"), section.raw("mandate"), max_length=WG_TEXT_LIMIT),
                actions=optional_localized(section, "actions", max_length=WG_TEXT_LIMIT),
                description=optional_localized(section, "description", max_length=WG_TEXT_LIMIT),
                private=private,
                status=choice(section.key("status"), section.data.get("status", "not_started"), WG_STATUSES),
                workplan=tuple(workplan),
                deliverables=tuple(deliverables),
            )
        )
    return tuple(groups)


def read_working_group_settings(root: Section) -> WorkingGroupSettings:
    section = root.section("working_group_settings", ("stale_after_weeks", "category", "archive_category"))
    return WorkingGroupSettings(
        stale_after_weeks=section.integer("stale_after_weeks", 1, 52, default=4),
        category=section.text("category", "Working Groups", max_length=100),
        archive_category=section.text("archive_category", "Working Groups – Archive", max_length=100),
    )
