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


def test_settling_the_heap_freezes_it_and_a_later_ready_frees_what_the_old_session_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    monkeypatch.setattr(runtime, "_settled_once", False)
    try:
        leftover = Cycle()
        runtime.settle_heap()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        collected: list[bool] = []
        import weakref

        weakref.finalize(leftover, lambda: collected.append(True))
        del leftover  # garbage now, but frozen: no collection sees it
        gc.collect()
        assert collected == []
        runtime.settle_heap()  # a new READY: unfreeze, collect, freeze again
        assert collected == [True]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
