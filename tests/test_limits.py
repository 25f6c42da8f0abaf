"""Clipping to Discord's limits and quoting members' input back safely."""

from __future__ import annotations

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
