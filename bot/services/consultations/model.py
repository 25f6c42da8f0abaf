"""What consultations are made of: timer kinds, limits, and the plain values the service takes and
returns (ids are ints, times aware UTC datetimes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import msgspec

from bot.repositories.consultations import Ballot, Election, Nomination, Poll, PollOption

__all__ = ["Ballot", "Election", "Nomination", "Poll", "PollOption"]  # the rows, re-exported

# Timer kinds; every payload is {"guild_id", "poll_id"} unless said otherwise. The cog registers a
# handler for each (idempotent: a retry finds the message id recorded and does nothing).
POLL_POST: Final = "poll.post"  # post the poll message with its buttons (outbox, due at once)
POLL_REFRESH: Final = "poll.refresh"  # edit the tally/turnout on the poll message (at most every 2 s)
POLL_REMIND: Final = "poll.remind"  # 24 h before the deadline: the reminder (and the unanswered list)
POLL_CLOSE: Final = "poll.close"  # at the deadline: close (ConsultationService.close_due)
POLL_RESULTS: Final = "poll.results"  # written by the close: post the results once
POLL_NUDGE: Final = "poll.nudge"  # {"guild_id", "poll_id", "organisation_id"}: DM its representatives
ELECTION_ANNOUNCE: Final = "election.announce"  # {"guild_id", "election_id"}: post the call for nominations
ELECTION_NOMINATION: Final = "election.nomination"  # {"guild_id", "nomination_id"}: DM the nominee
ELECTION_NOMINATIONS_CLOSE: Final = "election.nominations_close"  # {"guild_id", "election_id"}
#: A nominee who cannot receive DMs is sent the nomination again this often, until nominations close.
NOMINATION_DM_RETRY: Final = timedelta(hours=6)
ELECTION_SHORT: Final = "election.short"  # {"guild_id", "election_id"}: tell moderators (too few)

KINDS: Final[tuple[str, ...]] = ("single", "multiple", "ranked")
VOTERS: Final[tuple[str, ...]] = ("members", "organisations")
RESULTS: Final[tuple[str, ...]] = ("live", "hidden")
QUORUM_KINDS: Final[tuple[str, ...]] = ("ballots", "percent")

MIN_OPTIONS: Final = 2
MAX_OPTIONS: Final = 20
MAX_OPTION_LENGTH: Final = 80
MAX_QUESTION_LENGTH: Final = 300
MAX_COMMENT_LENGTH: Final = 1000
MAX_BALLOTS_QUORUM: Final = 100_000
MAX_SEATS: Final = 20
MAX_NOMINATIONS: Final = 20
#: The furthest deadline a poll (or an election's voting) may have.
MAX_OPEN: Final = timedelta(days=366)
#: The shortest poll: long enough to click.
MIN_OPEN: Final = timedelta(minutes=1)
REMIND_BEFORE: Final = timedelta(hours=24)
REFRESH_DEBOUNCE: Final = timedelta(seconds=2)
POST_DELAY: Final = timedelta(seconds=2)

#: How ranked ballots are counted (stated in the results and in docs/ARCHITECTURE.md).
QUOTA_RULE: Final = "droop"  # floor(valid first-round ballots / (seats + 1)) + 1; one seat: a majority
TRANSFER_RULE: Final = (
    "gregory"  # surplus: every ballot at value x surplus / votes (weighted inclusive Gregory)
)
TIE_RULE: Final = "backwards_then_order"  # fewest in the latest earlier round that differs, then last listed


class PollDraft(msgspec.Struct, frozen=True):
    """What /poll create received. ``options``: separated by ``;`` or one per line. ``closes``: a
    duration ("3d", "12h", "2j", "1sem 2h") or a local "YYYY-MM-DD HH:MM" in ``timezone``. ``quorum``:
    "10" (ballots) or "50%" (of the registered organisations, organisation mode only), None: none."""

    guild_id: int
    channel_id: int
    creator_id: int
    question: str
    options: str
    closes: str
    timezone: str = "UTC"
    kind: str = "single"
    max_choices: int | None = None
    voters: str = "members"
    audience_role_id: int | None = None
    anonymous: bool = False
    results: str = "live"
    comments: bool = False
    quorum: str | None = None
    language: str | None = None


class VoteReceipt(msgspec.Struct, frozen=True):
    """What is now recorded, for the ephemeral confirmation. ``replaced``: a ballot existed (for an
    organisation possibly cast by someone else: ``previous_cast_by``)."""

    poll: Poll
    ballot: Ballot
    replaced: bool
    previous_cast_by: int | None
    organisation_id: int | None
    organisation_name: str | None


class OptionCount(msgspec.Struct, frozen=True):
    position: int
    label: str
    count: int  # ballots choosing it (first preferences for a ranked poll)
    percent: float  # of the ballots


class RegionTurnout(msgspec.Struct, frozen=True):
    region: str  # UN M49 sub-region
    answered: int
    registered: int


class Turnout(msgspec.Struct, frozen=True):
    ballots: int
    registered: int | None  # organisation mode: active organisations (at close: as they were)
    percent: float | None  # of ``registered``
    by_region: tuple[RegionTurnout, ...]  # organisation mode, M49 order


class Transfer(msgspec.Struct, frozen=True):
    source: int  # option position the votes leave
    target: int | None  # option position they reach; None: exhausted (no further preference)
    votes: float


class Round(msgspec.Struct, frozen=True):
    number: int  # 1, 2...
    votes: tuple[tuple[int, float], ...]  # (option position, votes) of the hopeful and elected
    exhausted: float  # votes with no continuing preference so far
    elected: tuple[int, ...]
    eliminated: tuple[int, ...]
    transfers: tuple[Transfer, ...]  # made at the end of this round
    tie_broken: bool = False  # the round's elimination was decided by the tie rule


class RankedCount(msgspec.Struct, frozen=True):
    method: str  # "irv" (one seat) | "stv"
    seats: int
    valid_ballots: int  # ballots ranking at least one option
    quota: float  # votes that elect: a majority of continuing votes (irv), Droop quota (stv)
    winners: tuple[int, ...]  # option positions, in order of election
    rounds: tuple[Round, ...]
    quota_rule: str = QUOTA_RULE
    transfer_rule: str = TRANSFER_RULE
    tie_rule: str = TIE_RULE


class Tally(msgspec.Struct, frozen=True):
    """A poll's results as the reader may see them. ``hidden``: results are hidden until the close
    and the reader is not a moderator: ``options`` and ``ranked`` are empty, turnout is shown."""

    poll: Poll
    hidden: bool
    options: tuple[OptionCount, ...]
    turnout: Turnout
    quorum_reached: bool | None  # None: no quorum set
    ranked: RankedCount | None
    winners: tuple[int, ...]  # option positions with the most votes, or the ranked count's winners


class CloseResult(msgspec.Struct, frozen=True):
    poll: Poll
    closed_now: bool  # False: it was already closed (a second click, the deadline meanwhile)


class ExportRow(msgspec.Struct, frozen=True):
    """One organisation's ballot (organisation mode; ``cast_by`` None when anonymous)."""

    organisation_id: int
    name: str
    country: str
    region: str
    choices: tuple[str, ...]  # option labels, ranked order for a ranked poll
    comment: str | None
    cast_by: int | None
    cast_at: datetime


class Export(msgspec.Struct, frozen=True):
    tally: Tally
    rows: tuple[ExportRow, ...]  # organisation mode only; empty in members mode
    csv: str


class NudgeTarget(msgspec.Struct, frozen=True):
    organisation_id: int
    name: str
    representative_ids: tuple[int, ...]


class NudgeResult(msgspec.Struct, frozen=True):
    nudged: tuple[NudgeTarget, ...]  # a poll.nudge timer each, written with the record
    already_today: tuple[NudgeTarget, ...]  # nudged earlier today: skipped


class Unanswered(msgspec.Struct, frozen=True):
    poll: Poll
    organisations: tuple[NudgeTarget, ...]


class ElectionDraft(msgspec.Struct, frozen=True):
    guild_id: int
    channel_id: int
    creator_id: int
    title: str
    seats: int
    nominations_close: str  # a duration or a local date and time (as PollDraft.closes)
    voting_closes: str  # a duration counted from the close of nominations, or a local date and time
    timezone: str = "UTC"
    max_nominations: int = 2
    language: str | None = None


class NominationAnswer(msgspec.Struct, frozen=True):
    nomination: Nomination
    election: Election
    answered_now: bool  # False: answered before (a second click): ``nomination.status`` says how


class NominationsOutcome(msgspec.Struct, frozen=True):
    """The close of nominations. ``poll`` None: fewer accepted candidates than seats (status
    ``short``; moderators extend the nominations or accept fewer seats)."""

    election: Election
    candidates: tuple[Nomination, ...]
    poll: Poll | None
    short_by: int = 0
    declined: tuple[Nomination, ...] = msgspec.field(default_factory=tuple)
