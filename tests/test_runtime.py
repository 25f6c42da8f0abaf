"""bot.runtime: the event loop the bot runs on, and the override the benchmark uses."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from bot import runtime


def test_the_default_loop_is_the_adopted_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runtime.LOOP_VARIABLE, raising=False)
    name, factory = runtime.loop_factory()
    assert name == runtime.DEFAULT_LOOP or (runtime.DEFAULT_LOOP == "uvloop" and name == "asyncio")
    assert (factory is None) == (name == "asyncio")


def test_asyncio_can_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtime.LOOP_VARIABLE, " AsyncIO ")
    assert runtime.loop_factory() == ("asyncio", None)


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed here")
def test_uvloop_can_be_asked_for_and_runs_a_coroutine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtime.LOOP_VARIABLE, "uvloop")
    name, factory = runtime.loop_factory()
    assert name == "uvloop" and factory is not None

    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert runtime.run(which()).startswith("uvloop")


def test_an_unknown_loop_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtime.LOOP_VARIABLE, "trio")
    with pytest.raises(ValueError, match="asyncio"):
        runtime.loop_factory()


def test_run_returns_the_coroutines_result_on_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtime.LOOP_VARIABLE, "asyncio")

    async def describe() -> str:
        return runtime.describe()

    assert runtime.run(describe()).startswith("asyncio event loop")
