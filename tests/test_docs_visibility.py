"""docs/commands.md says what is true about who sees which command (issue 11, point 6).

Discord applies ``default_permissions`` per top-level command only, so moderator subcommands of
``/event`` are visible to every member: the reference must say so and never claim they are hidden.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import load_config
from bot.docs import generate_command_reference

REPO_ROOT = Path(__file__).resolve().parent.parent


async def test_the_reference_names_the_moderator_commands_every_member_sees() -> None:
    text = await generate_command_reference(load_config(REPO_ROOT / "config.yml", environ={}))
    intro = text.split("## Summary")[0]
    assert "Moderator commands are also hidden" not in intro
    assert "visible to every member" in intro
    for command in ("/event create", "/event edit", "/event cancel", "/event attendees"):
        assert f"`{command}`" in intro, command
    assert "`/event list`" not in intro  # a member command is not listed as a moderator one
    for command in ("/wg status", "/wg workplan add", "/wg export"):  # coordinators' and moderators'
        assert f"`{command}`" in intro, command
    assert "`/wg initiatives`" not in intro
