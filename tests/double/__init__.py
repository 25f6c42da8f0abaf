"""Local Discord test double: a faithful fake of Discord's REST API v10 and gateway on 127.0.0.1."""

from . import faults
from .interactions import InteractionHandle, InteractionResponse, InvocationError
from .server import FakeDiscord, GatewayStats
from .state import (
    Attachment,
    Channel,
    Member,
    Message,
    Perm,
    RequestRecord,
    Role,
    ScheduledEvent,
    Upload,
    User,
    Violation,
)

__all__ = [
    "Attachment",
    "Channel",
    "FakeDiscord",
    "GatewayStats",
    "InteractionHandle",
    "InteractionResponse",
    "InvocationError",
    "Member",
    "Message",
    "Perm",
    "RequestRecord",
    "Role",
    "ScheduledEvent",
    "Upload",
    "User",
    "Violation",
    "faults",
]
