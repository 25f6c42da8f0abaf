"""Buttons of the events feature.

Persistent buttons (RSVP, Check in) are ``DynamicItem``s: their custom_id carries only the occurrence
id and the choice, every click reads the database, so they keep working after a restart. They hand
the click to the cog, which owns the logic (looked up by name at click time: no import of the cog at
run time, so no cycle). The series-scope chooser is an ``OwnedView``: owner-only, with a timeout,
disabled when it expires; pagination is the shared ``bot.core.paginator.Paginator``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import discord

from bot.core.tree import reporting_errors
from bot.core.views import OwnedView, loaded_cog
from bot.i18n import Catalog
from bot.limits import BUTTON_LABEL, clip
from bot.services.events import RSVP_STATUSES, Scope

if TYPE_CHECKING:
    from cogs.events._cog import Events

RSVP_STYLES: Final[dict[str, discord.ButtonStyle]] = {
    "going": discord.ButtonStyle.success,
    "maybe": discord.ButtonStyle.secondary,
    "declined": discord.ButtonStyle.danger,
}
RSVP_EMOJIS: Final[dict[str, str]] = {"going": "✅", "maybe": "❔", "declined": "❌"}
_CHECK_IN_ID: Final = re.compile(r"event:checkin:(?P<occurrence_id>[0-9]{1,20})")
_LINK_ID: Final = re.compile(r"event:link:(?P<occurrence_id>[0-9]{1,20})")


def _events_cog(interaction: discord.Interaction) -> Events:
    return cast("Events", loaded_cog(interaction, "Events"))


class RsvpButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"event:rsvp:(?P<occurrence_id>[0-9]{1,20}):(?P<status>going|maybe|declined)",
):
    """``event:rsvp:<occurrence_id>:<going|maybe|declined>``"""

    def __init__(self, occurrence_id: int, status: str, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=RSVP_EMOJIS[status],
                style=RSVP_STYLES[status],
                custom_id=f"event:rsvp:{occurrence_id}:{status}",
                disabled=disabled,
            )
        )
        self.occurrence_id = occurrence_id
        self.status = status

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RsvpButton:
        return cls(
            int(match["occurrence_id"]),
            match["status"],
            label=getattr(item, "label", None) or match["status"],
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _events_cog(interaction).answer_rsvp(interaction, self.occurrence_id, self.status)


class CheckInButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"event:checkin:(?P<occurrence_id>[0-9]{1,20})",
):
    """``event:checkin:<occurrence_id>``"""

    def __init__(self, occurrence_id: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🙋",
                style=discord.ButtonStyle.primary,
                custom_id=f"event:checkin:{occurrence_id}",
                disabled=disabled,
            )
        )
        self.occurrence_id = occurrence_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CheckInButton:
        return cls(int(match["occurrence_id"]), label=getattr(item, "label", None) or "Check in")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _events_cog(interaction).answer_check_in(interaction, self.occurrence_id)


class MeetingLinkButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"event:link:(?P<occurrence_id>[0-9]{1,20})",
):
    """``event:link:<occurrence_id>``: answers privately with the meeting link and counts the click
    (a link-style button would open the link without telling the bot)."""

    def __init__(self, occurrence_id: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🔗",
                style=discord.ButtonStyle.secondary,
                custom_id=f"event:link:{occurrence_id}",
                disabled=disabled,
            )
        )
        self.occurrence_id = occurrence_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MeetingLinkButton:
        return cls(int(match["occurrence_id"]), label=getattr(item, "label", None) or "Join")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _events_cog(interaction).answer_meeting_link(interaction, self.occurrence_id)


def meeting_link_button(
    catalog: Catalog, lang: str, occurrence_id: int, *, disabled: bool = False
) -> MeetingLinkButton:
    return MeetingLinkButton(
        occurrence_id, label=catalog.t(lang, "events_ui.buttons.join"), disabled=disabled
    )


def reminder_links_view(
    catalog: Catalog, occurrences: Sequence[tuple[int, str, str]]
) -> discord.ui.View | None:
    """One "Join" button per event with a meeting link in a shared reminder post, each naming its
    event when there are several; None when none has a link. ``occurrences``: (occurrence id,
    language of its posts, title); at most 25 (a message's limit: the reminder chunks see to it)."""
    if not occurrences:
        return None
    view = discord.ui.View(timeout=None)
    for occurrence_id, lang, title in occurrences:
        label = (
            catalog.t(lang, "events_ui.buttons.join")
            if len(occurrences) == 1
            else clip(catalog.t(lang, "events_ui.buttons.join_to", title=title), BUTTON_LABEL)
        )
        view.add_item(MeetingLinkButton(occurrence_id, label=label))
    return view


def event_buttons(
    catalog: Catalog,
    lang: str,
    occurrence_id: int,
    *,
    rsvp_open: bool = True,
    check_in: bool = False,
    check_in_open: bool = True,
    link: bool = False,
) -> discord.ui.View:
    """The buttons under an announcement or reminder. A persistent view: it never times out.
    ``link``: the event has a meeting link, behind its "Join the meeting" button."""
    view = discord.ui.View(timeout=None)
    for status in RSVP_STATUSES:
        view.add_item(
            RsvpButton(
                occurrence_id,
                status,
                label=catalog.t(lang, f"events_ui.buttons.{status}"),
                disabled=not rsvp_open,
            )
        )
    if check_in:
        view.add_item(check_in_button(catalog, lang, occurrence_id, disabled=not check_in_open))
    if link:
        # An ended card is inert, like its other buttons.
        view.add_item(meeting_link_button(catalog, lang, occurrence_id, disabled=not rsvp_open))
    return view


def check_in_button(
    catalog: Catalog, lang: str, occurrence_id: int, *, disabled: bool = False
) -> CheckInButton:
    return CheckInButton(
        occurrence_id, label=catalog.t(lang, "events_ui.buttons.check_in"), disabled=disabled
    )


def check_in_view(
    catalog: Catalog, lang: str, occurrence_id: int, *, disabled: bool = False, link: bool = False
) -> discord.ui.View:
    """The "starting now" post of one event: Check in, and with ``link`` its "Join the meeting"."""
    view = discord.ui.View(timeout=None)
    view.add_item(check_in_button(catalog, lang, occurrence_id, disabled=disabled))
    if link:
        view.add_item(meeting_link_button(catalog, lang, occurrence_id, disabled=disabled))
    return view


def meeting_link_view(catalog: Catalog, lang: str, occurrence_id: int) -> discord.ui.View:
    """The reminder DM's one button: "Join the meeting" (in a DM the click has no server: the
    handler reads the event's from the database)."""
    view = discord.ui.View(timeout=None)
    view.add_item(meeting_link_button(catalog, lang, occurrence_id))
    return view


def shared_check_in_view(
    catalog: Catalog, occurrences: Sequence[tuple[int, str, str, bool]]
) -> discord.ui.View:
    """One Check in button per event of a shared "starting now" post, each naming its event, and
    after them one "Join" button per event with a meeting link, naming it too.

    ``occurrences``: (occurrence id, language of its posts, title, has a meeting link); at most 25
    buttons in all (a message's limit: the start chunks see to it).
    """
    view = discord.ui.View(timeout=None)
    for occurrence_id, lang, title, _ in occurrences:
        label = clip(catalog.t(lang, "events_ui.buttons.check_in_to", title=title), BUTTON_LABEL)
        view.add_item(CheckInButton(occurrence_id, label=label))
    for occurrence_id, lang, title, link in occurrences:
        if link:
            label = clip(catalog.t(lang, "events_ui.buttons.join_to", title=title), BUTTON_LABEL)
            view.add_item(MeetingLinkButton(occurrence_id, label=label))
    return view


def closing_check_in_view(
    message: discord.Message, catalog: Catalog, lang: str, occurrence_id: int
) -> discord.ui.View:
    """The Check in and "Join" buttons of a "starting now" post as they are, this occurrence's
    disabled (an ended event's card is inert too): a post shared by events starting together keeps
    the others' buttons usable."""
    view = discord.ui.View(timeout=None)
    closing = {f"event:checkin:{occurrence_id}", f"event:link:{occurrence_id}"}
    for row in message.components:
        for child in getattr(row, "children", []):
            custom_id = getattr(child, "custom_id", None) or ""
            disabled = bool(getattr(child, "disabled", False)) or custom_id in closing
            if match := _CHECK_IN_ID.fullmatch(custom_id):
                view.add_item(
                    CheckInButton(
                        int(match["occurrence_id"]),
                        label=getattr(child, "label", None) or catalog.t(lang, "events_ui.buttons.check_in"),
                        disabled=disabled,
                    )
                )
            elif match := _LINK_ID.fullmatch(custom_id):
                view.add_item(
                    MeetingLinkButton(
                        int(match["occurrence_id"]),
                        label=getattr(child, "label", None) or catalog.t(lang, "events_ui.buttons.join"),
                        disabled=disabled,
                    )
                )
    if not view.children:
        view.add_item(check_in_button(catalog, lang, occurrence_id, disabled=True))
    return view


ScopeAction = Callable[[discord.Interaction, Scope], Awaitable[None]]


class ScopeChooser(OwnedView):
    """Asks "this occurrence or the whole series?" and runs ``action`` with the answer, once.

    The click is answered by disabling the buttons (the choice is final); ``action`` then replies
    with a follow-up, so slow work (DM notices) never races the 3-second deadline.
    """

    def __init__(
        self, owner_id: int, catalog: Catalog, lang: str, action: ScopeAction, *, timeout: float = 120.0
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self._action = action
        self._catalog = catalog
        self._lang = lang
        self.this_occurrence.label = catalog.t(lang, "events_ui.buttons.this_occurrence")
        self.whole_series.label = catalog.t(lang, "events_ui.buttons.whole_series")

    @discord.ui.button(style=discord.ButtonStyle.primary)
    async def this_occurrence(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._choose(interaction, "this")

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def whole_series(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._choose(interaction, "series")

    async def _choose(self, interaction: discord.Interaction, scope: Scope) -> None:
        self.stop()
        self.disable_all()
        await interaction.response.edit_message(view=self)
        await self._action(interaction, scope)

    async def on_timeout(self) -> None:
        self.disable_all()
        if self.message is not None:
            # The ephemeral message was dismissed or its token expired: nothing to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(
                    content=self._catalog.t(self._lang, "events_ui.scope.expired"), view=self
                )
