"""Components of a poll: persistent buttons and selects, the ranking steps, the two modals.

Everything a poll message or a ranking step carries is a ``DynamicItem`` whose custom_id holds only
ids: the poll and an option position (``poll:vote:<poll>:<position>``), or the ranking built so far
as option positions (``poll:rk:add:<poll>:3.1``). Every click reads the database, so a poll posted
before a restart, and a ranking a voter is half-way through, keep working after it. Each hands the
click to the cog (looked up by name at click time: no import of the cog at run time, so no cycle).

Which component a poll gets: single choice with at most 5 options, one button per option (one click
votes); more options, or multiple choice, a select (a multiple choice is one ballot of several
ticks, which a select sends at once, where toggle buttons would record half a ballot per click);
ranked, a button that opens the voter's own ephemeral ranking, fixed step by step before confirming.
Comments go through a modal. The moderators' Nudge is a ``DynamicItem`` of its own rather than a
``DecisionButton``: it is one action (DM the representatives), not a two-way decision; so is an
election's Extend (a form for the new close of nominations). A nominee's Accept / Decline is a
``DecisionButton`` (``election:nomination:<id>:<approve|decline>``), in their DM.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import discord

from bot import limits
from bot.core.tree import handle_interaction_error, reporting_errors
from bot.core.views import DecisionButton, loaded_cog
from bot.errors import UserFacingError
from bot.i18n import Catalog
from bot.services.consultations import MAX_COMMENT_LENGTH, Poll

if TYPE_CHECKING:
    from cogs.consultations._cog import Consultations

#: A single-choice poll with up to this many options gets a button per option; beyond, a select.
MAX_BUTTONS: Final = 5
_ID = r"[0-9]{1,20}"
_RANKING = r"(?:[0-9]{1,2}(?:\.[0-9]{1,2}){0,19})?"


def _cog(interaction: discord.Interaction) -> Consultations:
    return cast("Consultations", loaded_cog(interaction, "Consultations"))


def encode_ranking(ranking: Sequence[int]) -> str:
    return ".".join(str(position) for position in ranking)


def decode_ranking(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part)


def selected_values(interaction: discord.Interaction) -> list[str]:
    data: Any = interaction.data or {}
    return [str(value) for value in data.get("values") or []]


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"poll:vote:(?P<poll_id>{_ID}):(?P<position>[0-9]{{1,2}})",
):
    """``poll:vote:<poll_id>:<position>``: one click records (or replaces) a single-choice ballot."""

    def __init__(self, poll_id: int, position: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or str(position), limits.BUTTON_LABEL),
                style=discord.ButtonStyle.primary,
                custom_id=f"poll:vote:{poll_id}:{position}",
                disabled=disabled,
            )
        )
        self.poll_id = poll_id
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["poll_id"]), int(match["position"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _cog(interaction).cast_vote(interaction, self.poll_id, [self.position])


class PickSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"poll:pick:(?P<poll_id>{_ID})",
):
    """``poll:pick:<poll_id>``: the options as a select (single choice above 5 options, multiple
    choice up to its maximum); the values are option positions."""

    def __init__(
        self,
        poll_id: int,
        *,
        options: Sequence[discord.SelectOption] = (),
        max_values: int = 1,
        placeholder: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"poll:pick:{poll_id}",
                options=list(options) or [discord.SelectOption(label="-", value="0")],
                min_values=1,
                max_values=max(1, min(max_values, len(options) or 1)),
                placeholder=placeholder,
                disabled=disabled,
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PickSelect:
        return cls(int(match["poll_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            positions = [int(value) for value in selected_values(interaction) if value.isdigit()]
            await _cog(interaction).cast_vote(interaction, self.poll_id, positions)


class RankButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"poll:rank:(?P<poll_id>{_ID})",
):
    """``poll:rank:<poll_id>``: opens the voter's own ranking (ephemeral)."""

    def __init__(self, poll_id: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or "Rank", limits.BUTTON_LABEL),
                emoji="🔢",
                style=discord.ButtonStyle.primary,
                custom_id=f"poll:rank:{poll_id}",
                disabled=disabled,
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RankButton:
        return cls(int(match["poll_id"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _cog(interaction).open_ranking(interaction, self.poll_id)


class CommentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"poll:comment:(?P<poll_id>{_ID})",
):
    """``poll:comment:<poll_id>``: a modal to add or change the comment of one's ballot."""

    def __init__(self, poll_id: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or "Comment", limits.BUTTON_LABEL),
                emoji="💬",
                style=discord.ButtonStyle.secondary,
                custom_id=f"poll:comment:{poll_id}",
                disabled=disabled,
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CommentButton:
        return cls(int(match["poll_id"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _cog(interaction).open_comment(interaction, self.poll_id)


class RankingSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"poll:rk:add:(?P<poll_id>{_ID}):(?P<ranking>{_RANKING})",
):
    """``poll:rk:add:<poll_id>:<ranking so far>``: the next preference of an ephemeral ranking."""

    def __init__(
        self,
        poll_id: int,
        ranking: Sequence[int],
        *,
        options: Sequence[discord.SelectOption] = (),
        placeholder: str | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"poll:rk:add:{poll_id}:{encode_ranking(ranking)}",
                options=list(options) or [discord.SelectOption(label="-", value="0")],
                placeholder=placeholder,
            )
        )
        self.poll_id = poll_id
        self.ranking = tuple(ranking)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RankingSelect:
        return cls(int(match["poll_id"]), decode_ranking(match["ranking"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            picked = [int(value) for value in selected_values(interaction) if value.isdigit()]
            await _cog(interaction).rank_step(interaction, self.poll_id, (*self.ranking, *picked[:1]))


class RankingButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"poll:rk:(?P<action>undo|ok):(?P<poll_id>{_ID}):(?P<ranking>{_RANKING})",
):
    """``poll:rk:<undo|ok>:<poll_id>:<ranking so far>``: take back the last preference, or confirm."""

    def __init__(
        self, poll_id: int, action: str, ranking: Sequence[int], *, label: str = "", disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or action, limits.BUTTON_LABEL),
                style=discord.ButtonStyle.success if action == "ok" else discord.ButtonStyle.secondary,
                custom_id=f"poll:rk:{action}:{poll_id}:{encode_ranking(ranking)}",
                disabled=disabled,
            )
        )
        self.poll_id = poll_id
        self.action = action
        self.ranking = tuple(ranking)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RankingButton:
        return cls(
            int(match["poll_id"]),
            match["action"],
            decode_ranking(match["ranking"]),
            label=getattr(item, "label", None) or "",
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            cog = _cog(interaction)
            if self.action == "ok":
                await cog.confirm_ranking(interaction, self.poll_id, self.ranking)
            else:
                await cog.rank_step(interaction, self.poll_id, self.ranking[:-1])


class NudgeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"poll:nudge:(?P<poll_id>{_ID})",
):
    """``poll:nudge:<poll_id>``: under the moderators' list of WIM organisations that have not
    answered; DMs their representatives (at most once a day per organisation, the service decides)."""

    def __init__(self, poll_id: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or "Nudge", limits.BUTTON_LABEL),
                emoji="🔔",
                style=discord.ButtonStyle.primary,
                custom_id=f"poll:nudge:{poll_id}",
                disabled=disabled,
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NudgeButton:
        return cls(int(match["poll_id"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            bot: Any = interaction.client  # a WimBot; discord.py types it Client
            if not bot.is_moderator(interaction.user):
                raise UserFacingError("errors.not_moderator")
            await _cog(interaction).nudge(interaction, self.poll_id)


class NominationButton(
    DecisionButton, prefix="election:nomination", labels="consultations_ui.nomination.buttons"
):
    """``election:nomination:<nomination_id>:<approve|decline>``: Accept or Decline under the nominee's
    DM. Only the nominee may answer, which the service judges (it knows whose nomination it is)."""

    moderators_only = False

    async def decide(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).elections.answer(interaction, self.target_id, accept=self.approve)


class ExtendButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"election:extend:(?P<election_id>{_ID})",
):
    """``election:extend:<election_id>``: under the moderators' notice of an election short of
    candidates; opens a form for the new close of nominations."""

    def __init__(self, election_id: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or "Extend", limits.BUTTON_LABEL),
                emoji="⏳",
                style=discord.ButtonStyle.primary,
                custom_id=f"election:extend:{election_id}",
                disabled=disabled,
            )
        )
        self.election_id = election_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ExtendButton:
        return cls(int(match["election_id"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            bot: Any = interaction.client  # a WimBot; discord.py types it Client
            if not bot.is_moderator(interaction.user):
                raise UserFacingError("errors.not_moderator")
            await _cog(interaction).elections.open_extend(interaction, self.election_id)


PERSISTENT_ITEMS: Final = (
    VoteButton,
    PickSelect,
    RankButton,
    CommentButton,
    RankingSelect,
    RankingButton,
    NudgeButton,
    NominationButton,
    ExtendButton,
)


def marker(poll: Poll) -> str:
    """The custom_id the poll message always carries: how a retried post finds an earlier one."""
    if poll.kind == "ranked":
        return f"poll:rank:{poll.id}"
    if poll.kind == "single" and len(poll.options) <= MAX_BUTTONS:
        return f"poll:vote:{poll.id}:{poll.options[0].position}"
    return f"poll:pick:{poll.id}"


def _option_label(position: int, label: str, limit: int) -> str:
    return limits.clip(f"{position}. {label}", limit)


def poll_view(catalog: Catalog, lang: str, poll: Poll, *, disabled: bool = False) -> discord.ui.View:
    """The components under a poll message (persistent: never times out); disabled once closed."""
    view = discord.ui.View(timeout=None)
    t = catalog.t
    if poll.kind == "ranked":
        view.add_item(RankButton(poll.id, label=t(lang, "consultations_ui.buttons.rank"), disabled=disabled))
    elif poll.kind == "single" and len(poll.options) <= MAX_BUTTONS:
        for option in poll.options:
            label = _option_label(option.position, option.label, limits.BUTTON_LABEL)
            view.add_item(VoteButton(poll.id, option.position, label=label, disabled=disabled))
    else:
        count = len(poll.options) if poll.kind == "multiple" else 1
        if poll.kind == "multiple" and poll.max_choices is not None:
            count = poll.max_choices
        if poll.kind == "single":
            placeholder = t(lang, "consultations_ui.select.single")
        else:
            placeholder = t(lang, "consultations_ui.select.multiple", count=count)
        options = [
            discord.SelectOption(
                label=_option_label(o.position, o.label, limits.SELECT_OPTION_LABEL), value=str(o.position)
            )
            for o in poll.options
        ]
        view.add_item(
            PickSelect(
                poll.id,
                options=options,
                max_values=count,
                placeholder=limits.clip(placeholder, 150),
                disabled=disabled,
            )
        )
    if poll.comments:
        label = t(lang, "consultations_ui.buttons.comment")
        view.add_item(CommentButton(poll.id, label=label, disabled=disabled))
    return view


def ranking_view(catalog: Catalog, lang: str, poll: Poll, ranking: Sequence[int]) -> discord.ui.View:
    """The voter's ranking so far: a select for the next preference, Undo, Confirm."""
    view = discord.ui.View(timeout=None)
    t = catalog.t
    remaining = [o for o in poll.options if o.position not in ranking]
    if remaining:
        view.add_item(
            RankingSelect(
                poll.id,
                ranking,
                options=[
                    discord.SelectOption(
                        label=_option_label(o.position, o.label, limits.SELECT_OPTION_LABEL),
                        value=str(o.position),
                    )
                    for o in remaining
                ],
                placeholder=limits.clip(
                    t(lang, "consultations_ui.ranking.placeholder", number=len(ranking) + 1), 150
                ),
            )
        )
    view.add_item(
        RankingButton(
            poll.id, "undo", ranking, label=t(lang, "consultations_ui.buttons.undo"), disabled=not ranking
        )
    )
    view.add_item(
        RankingButton(
            poll.id, "ok", ranking, label=t(lang, "consultations_ui.buttons.confirm"), disabled=not ranking
        )
    )
    return view


def nomination_view(
    catalog: Catalog, lang: str, nomination_id: int, *, disabled: bool = False
) -> discord.ui.View:
    return NominationButton.buttons(catalog, lang, nomination_id, disabled=disabled)


def extend_view(catalog: Catalog, lang: str, election_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ExtendButton(election_id, label=catalog.t(lang, "consultations_ui.election.extend_button")))
    return view


def nudge_view(catalog: Catalog, lang: str, poll_id: int, *, disabled: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        NudgeButton(poll_id, label=catalog.t(lang, "consultations_ui.buttons.nudge"), disabled=disabled)
    )
    return view


# --- modals (short-lived: a form open in one member's client) ---------------------------------------

Submit = Callable[[discord.Interaction, str], Awaitable[None]]


class _TextModal(discord.ui.Modal):
    def __init__(
        self,
        *,
        field: str,
        title: str,
        label: str,
        submit: Submit,
        max_length: int,
        required: bool,
        default: str | None = None,
        placeholder: str | None = None,
    ) -> None:
        super().__init__(title=limits.clip(title, 45), timeout=600)
        self._submit = submit
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id=field,
            label=limits.clip(label, 45),
            style=discord.TextStyle.paragraph,
            max_length=max_length,
            required=required,
            default=default,
            placeholder=None if placeholder is None else limits.clip(placeholder, 100),
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, self.text.value or "")

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]  # discord.py types Modal.on_error with BaseView's item
        await handle_interaction_error(interaction, error)


#: Room for 20 options of 80 characters, one per line.
OPTIONS_TEXT_MAX: Final = 2000


def options_modal(catalog: Catalog, lang: str, submit: Submit) -> discord.ui.Modal:
    """/poll create without ``options``: the options typed one per line."""
    t = catalog.t
    return _TextModal(
        field="options",
        title=t(lang, "consultations_ui.modal.options_title"),
        label=t(lang, "consultations_ui.modal.options_label"),
        placeholder=t(lang, "consultations_ui.modal.options_placeholder"),
        submit=submit,
        max_length=OPTIONS_TEXT_MAX,
        required=True,
    )


def comment_modal(catalog: Catalog, lang: str, current: str | None, submit: Submit) -> discord.ui.Modal:
    t = catalog.t
    return _TextModal(
        field="comment",
        title=t(lang, "consultations_ui.modal.comment_title"),
        label=t(lang, "consultations_ui.modal.comment_label", limit=f"{MAX_COMMENT_LENGTH:,}"),
        submit=submit,
        # The client counts and stops at the limit, as option ranges do for commands.
        max_length=min(limits.MODAL_TEXT_INPUT, MAX_COMMENT_LENGTH),
        required=False,
        default=current,
    )


#: "2027-03-15 18:00" or "1w 2d 6h", with room for stray spaces (as /poll create's ``closes``).
CLOSES_TEXT_MAX: Final = 40


class _LineModal(discord.ui.Modal):
    def __init__(self, *, title: str, label: str, placeholder: str, submit: Submit) -> None:
        super().__init__(title=limits.clip(title, 45), timeout=600)
        self._submit = submit
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="duration",
            label=limits.clip(label, 45),
            style=discord.TextStyle.short,
            max_length=CLOSES_TEXT_MAX,
            required=True,
            placeholder=limits.clip(placeholder, 100),
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, self.text.value or "")

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]  # discord.py types Modal.on_error with BaseView's item
        await handle_interaction_error(interaction, error)


def extend_modal(catalog: Catalog, lang: str, submit: Submit) -> discord.ui.Modal:
    """An election's Extend: the new close of nominations, a duration or a local date and time."""
    t = catalog.t
    return _LineModal(
        title=t(lang, "consultations_ui.election.extend_title"),
        label=t(lang, "consultations_ui.election.extend_label"),
        placeholder=t(lang, "consultations_ui.election.extend_placeholder"),
        submit=submit,
    )
