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


#: Characters whose cleaning ``_Cleaning`` remembers (a text of unusual ones stays correct, just slower).
_CLEANING_KEPT: Final = 4096


class _Cleaning(dict[int, int | str | None]):
    """``str.translate``'s table for ``excerpt``, filled as characters are first met: line and
    paragraph breaks and control characters become spaces, format characters (bidirectional
    overrides, zero-width spaces) and lone surrogates go, except the zero-width joiner that emoji are
    built with. The translation itself runs in C, where a test per character in Python cost about
    a microsecond each (a 2,000-character meeting note: 2 ms)."""

    def __missing__(self, code: int) -> int | str | None:
        char = chr(code)
        category = unicodedata.category(char)
        value: int | str | None = code
        if category in ("Cc", "Zl", "Zp"):
            value = " "
        elif category in ("Cs", "Cf") and char != "\u200d":
            value = None
        if len(self) < _CLEANING_KEPT:
            self[code] = value
        return value


_CLEANING = _Cleaning()


def excerpt(text: object, limit: int = QUOTE_EXCERPT) -> str:
    """A member's input as it is safe to quote back: one line, no control or formatting characters
    that could hide the rest of the message, at most ``limit`` characters.

    Only the start of a long text can show, so a piece of it a little longer than ``limit`` is
    cleaned first; the cleaned piece is the start of the cleaned whole, so when it is already longer
    than ``limit`` the excerpt is the same. Otherwise (runs of spaces or dropped characters) a
    longer piece is tried, up to the whole text.

    Most texts hold nothing to clean but their spaces and line breaks: once those are collapsed, a
    line that ``isprintable()`` has no control, format, surrogate or separator character left (and
    none of those is a space that ``split()`` took away, but the controls and separators cleaning
    turns into spaces anyway), so it is the excerpt without the character-by-character pass."""
    text = str(text)
    window = 2 * max(limit, 0) + 64
    while True:
        piece = text[:window]
        line = " ".join(piece.split())
        if not line.isprintable():
            line = " ".join(piece.translate(_CLEANING).split())
        if len(line) > limit or window >= len(text):
            return clip(line, limit)
        window *= 4
