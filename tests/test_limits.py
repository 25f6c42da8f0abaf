"""Clipping to Discord's limits and quoting members' input back safely."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.limits import MESSAGE_CONTENT, QUOTE_EXCERPT, clip, excerpt


def test_clip_keeps_short_text_and_marks_a_cut() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab…"
    assert len(clip("x" * 6000, MESSAGE_CONTENT)) == MESSAGE_CONTENT
    assert clip("abc", 0) == ""


def test_excerpt_is_one_short_clean_line() -> None:
    assert excerpt("  Europe/\nParis\x00  ") == "Europe/ Paris"
    assert len(excerpt("z" * 6000)) == QUOTE_EXCERPT
    assert excerpt("a\u202eb") == "ab"  # a right-to-left override could reverse the rest of the reply
    assert excerpt(42) == "42"


def _excerpt_by_character(text: str, limit: int) -> str:
    """What ``excerpt`` does, a character at a time: the reference its faster cleaning must match."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cs", "Cf") or ch == "\u200d"
    )
    return clip(" ".join(cleaned.split()), limit)


# Spaces and breaks of every kind, controls, format characters (bidirectional overrides, zero-width
# ones, the joiner emoji need), a lone surrogate, accents and an emoji, and plain letters.
_TRICKY = " \t\n\r\x00\x1c\x85\xa0\u2028\u2029\u202e\u200b\u200d\ufeff\ud800éñ👩‍🔬ab"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(_TRICKY), max_size=400) | st.text(max_size=400),
    st.integers(min_value=0, max_value=200),
)
def test_excerpt_matches_cleaning_character_by_character(text: str, limit: int) -> None:
    assert excerpt(text, limit) == _excerpt_by_character(text, limit)


def test_excerpt_of_a_long_text_reads_past_spaces_and_dropped_characters() -> None:
    padded = " " * 5000 + "\u200b" * 5000 + "word " * 100
    assert excerpt(padded, 20) == _excerpt_by_character(padded, 20) == "word word word word…"
    assert excerpt("a" + " " * 9000 + "b", 10) == "a b"


def test_no_character_excerpt_drops_is_a_space_split_takes_away() -> None:
    """What excerpt's quick path relies on: ``split()`` only takes away characters that cleaning
    turns into spaces (controls, separators) or keeps as spaces, never one it drops."""
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    assert {unicodedata.category(char) for char in spaces} <= {"Cc", "Zs", "Zl", "Zp"}
