"""Foundation: the real bot connects to the double, syncs to the guild only, answers /about in the
member's language (ephemeral, in time, exactly once) and survives gateway disconnects."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DiscordEnv

pytestmark = pytest.mark.e2e


async def test_connects_and_syncs_commands_to_the_configured_guild_only(discord_env: DiscordEnv) -> None:
    double = discord_env.double
    commands = {c["name"]: c for c in double.registered_commands()}
    assert "about" in commands
    assert double.registered_commands(global_=True) == []
    puts = [r for r in double.requests if r.method == "PUT" and r.route and r.route.endswith("/commands")]
    assert puts, "the bot never bulk-registered its commands"
    assert all("/guilds/" in r.path and r.status == 200 for r in puts)
    about = commands["about"]
    assert about["name_localizations"].get("fr"), "the /about command carries no French name"
    assert double.gateway_stats().connected


async def _about(env: DiscordEnv, member_name: str) -> tuple[str, float, int]:
    double = env.double
    member = getattr(env.seed, member_name)
    handle = await double.invoke("about", user=member)
    response = await handle.response(timeout=5)
    assert response.ephemeral, "the /about answer must be ephemeral"
    final = await handle.message(timeout=5)
    assert final.ephemeral
    return final.text, response.elapsed, handle.callback_count()


async def test_about_in_english_for_an_english_member(discord_env: DiscordEnv) -> None:
    text, elapsed, callbacks = await _about(discord_env, "member_en")
    assert elapsed < 3.0
    assert callbacks == 1
    embed_title = text.splitlines()[0]
    assert "WIM" in embed_title
    french_text, _, _ = await _about(discord_env, "member_fr")
    assert text != french_text


async def test_about_in_french_for_a_french_member(discord_env: DiscordEnv) -> None:
    import bot.i18n

    catalog = bot.i18n.Catalog.load()
    text, elapsed, callbacks = await _about(discord_env, "member_fr")
    assert elapsed < 3.0
    assert callbacks == 1
    assert catalog.t("fr", "about.title") in text
    assert catalog.t("fr", "about.description") in text
    assert catalog.t("en", "about.description") not in text


async def test_about_in_spanish_for_a_spanish_member(discord_env: DiscordEnv) -> None:
    import bot.i18n

    catalog = bot.i18n.Catalog.load()
    text, _, _ = await _about(discord_env, "member_es")
    assert catalog.t("es", "about.title") in text


async def test_survives_a_resumable_gateway_disconnect(discord_env: DiscordEnv) -> None:
    double = discord_env.double
    before = double.gateway_stats()
    await double.drop_gateway(resume=True)
    after = double.gateway_stats()
    assert after.resumes == before.resumes + 1
    assert after.identifies == before.identifies, "the bot re-identified instead of resuming"
    text, _, callbacks = await _about(discord_env, "member_en")
    assert text and callbacks == 1
    assert discord_env.bot.running


async def test_survives_a_non_resumable_gateway_disconnect(discord_env: DiscordEnv) -> None:
    double = discord_env.double
    before = double.gateway_stats()
    await double.drop_gateway(resume=False)
    after = double.gateway_stats()
    assert after.identifies == before.identifies + 1
    assert after.invalid_sessions == before.invalid_sessions + 1
    text, _, callbacks = await _about(discord_env, "member_fr")
    assert text and callbacks == 1
    assert discord_env.bot.running


async def test_a_restarted_bot_does_not_resync_unchanged_commands(isolated_env: DiscordEnv) -> None:
    double = isolated_env.double
    first_puts = len([r for r in double.requests if r.method == "PUT"])
    await isolated_env.bot.restart()
    assert len([r for r in double.requests if r.method == "PUT"]) == first_puts
    text, _, callbacks = await _about(isolated_env, "member_en")
    assert text and callbacks == 1


async def test_a_crashed_bot_comes_back(isolated_env: DiscordEnv) -> None:
    await isolated_env.bot.kill()
    assert not isolated_env.bot.running
    await isolated_env.bot.start()
    text, _, callbacks = await _about(isolated_env, "member_es")
    assert text and callbacks == 1


async def test_no_violations_and_no_unhandled_routes_overall(discord_env: DiscordEnv) -> None:
    discord_env.double.assert_clean()
