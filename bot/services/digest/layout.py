"""Laying a digest out within Discord's limits: 6,000 characters of embeds per message, 10 embeds,
4,096 characters of description per embed.

A section is never split while it fits in one message: when it does not fit in what is left of the
current one, it starts the next. A section too large for a message of its own flows over several, and
even then only between items: an item is a whole line (an event, a group's news) and is never cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, EMBED_TOTAL, EMBEDS_PER_MESSAGE, clip
from bot.services.digest.model import MAX_ITEM, EmbedSpec, Section

#: Between two items of a section.
SEPARATOR = "\n\n"

Message = tuple[EmbedSpec, ...]


def section_embeds(
    section: Section,
    continued: Callable[[str], str],
    timestamp: datetime | None,
    *,
    description_limit: int = EMBED_DESCRIPTION,
) -> list[EmbedSpec]:
    """The section as embeds: its items joined up to the description limit, the first embed under the
    section's title, the next ones under ``continued(title)`` so a reader (and a retry looking for
    what was posted) knows what they continue."""
    title = clip(section.title, EMBED_TITLE)
    embeds: list[EmbedSpec] = []
    lines: list[str] = []
    size = 0
    for raw in section.items:
        item = clip(raw, min(MAX_ITEM, description_limit))
        extra = len(item) + (len(SEPARATOR) if lines else 0)
        if lines and size + extra > description_limit:
            embeds.append(
                EmbedSpec(
                    title if not embeds else clip(continued(title), EMBED_TITLE),
                    SEPARATOR.join(lines),
                    timestamp,
                )
            )
            lines, size = [], 0
            extra = len(item)
        lines.append(item)
        size += extra
    if lines or not embeds:
        embeds.append(
            EmbedSpec(
                title if not embeds else clip(continued(title), EMBED_TITLE), SEPARATOR.join(lines), timestamp
            )
        )
    return embeds


def _size(embeds: Sequence[EmbedSpec]) -> int:
    return sum(embed.size() for embed in embeds)


def pack(
    blocks: Sequence[Sequence[EmbedSpec]],
    *,
    total: int = EMBED_TOTAL,
    per_message: int = EMBEDS_PER_MESSAGE,
) -> list[Message]:
    """Each block (a section's embeds) into messages: a block goes whole into the current message if
    it fits, else it starts the next one; a block larger than a message flows over several, one whole
    embed at a time."""
    messages: list[Message] = []
    current: list[EmbedSpec] = []
    for block in blocks:
        fits_current = _size(current) + _size(block) <= total and len(current) + len(block) <= per_message
        if current and not fits_current:
            messages.append(tuple(current))
            current = []
        if _size(block) <= total and len(block) <= per_message:
            current.extend(block)
            continue
        for embed in block:
            if current and (_size(current) + embed.size() > total or len(current) >= per_message):
                messages.append(tuple(current))
                current = []
            current.append(embed)
    if current:
        messages.append(tuple(current))
    return messages
