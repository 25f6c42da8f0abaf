"""Discord's size limits and the clipping every reply goes through. Plain text only: no Discord import,
so services can size what they store and render by the same numbers the cogs send with.

Source: https://discord.com/developers/docs/resources/message (embed limits) and
https://discord.com/developers/docs/interactions/application-commands (option limits).
"""

from __future__ import annotations

import unicodedata
from typing import Final

MESSAGE_CONTENT: Final = 2000
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25
EMBED_FIELD_NAME: Final = 256
EMBED_FIELD_VALUE: Final = 1024
EMBED_FOOTER: Final = 2048
EMBED_AUTHOR: Final = 256
EMBED_TOTAL: Final = 6000
EMBEDS_PER_MESSAGE: Final = 10
#: Attachments one message may carry.
FILES_PER_MESSAGE: Final = 10
BUTTON_LABEL: Final = 80
SELECT_OPTIONS: Final = 25
SELECT_OPTION_LABEL: Final = 100
AUTOCOMPLETE_CHOICES: Final = 25
CHOICE_NAME: Final = 100
MODAL_TEXT_INPUT: Final = 4000
STRING_OPTION: Final = 6000
FILENAME: Final = 100

#: How much of a member's own input an error message quotes back: enough to recognise it.
QUOTE_EXCERPT: Final = 60

ELLIPSIS: Final = "…"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when something was cut."""
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def excerpt(text: object, limit: int = QUOTE_EXCERPT) -> str:
    """A member's input as it is safe to quote back: one line, no control or formatting characters
    that could hide the rest of the message, at most ``limit`` characters."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in str(text)
        if unicodedata.category(ch) not in ("Cs", "Cf") or ch == "\u200d"
    )
    return clip(" ".join(cleaned.split()), limit)
