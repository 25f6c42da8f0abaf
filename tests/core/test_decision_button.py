"""The approve/decline buttons share one DecisionButton base; their custom_ids are those posted before
it existed (a post keeps working across the change and a restart), and their labels are translated."""

from __future__ import annotations

import pytest

from bot.core.views import DECISIONS, DecisionButton
from bot.i18n import LANGUAGES, Catalog
from cogs.organisations._views import ClaimButton
from cogs.working_groups._views import InitiativeDecisionButton, JoinDecisionButton

CATALOG = Catalog.load()
BUTTONS: list[type[DecisionButton]] = [ClaimButton, JoinDecisionButton, InitiativeDecisionButton]


@pytest.mark.parametrize(
    ("button", "custom_id"),
    [
        (ClaimButton, "org:claim:42:approve"),
        (JoinDecisionButton, "wg:join:42:decline"),
        (InitiativeDecisionButton, "wg:initiative:42:approve"),
    ],
)
def test_custom_ids_are_the_ones_already_posted(button: type[DecisionButton], custom_id: str) -> None:
    decision = custom_id.rsplit(":", 1)[1]
    made = button(42, decision, label="x")
    assert made.custom_id == custom_id
    match = made.template.fullmatch(custom_id)
    assert match is not None
    assert (int(match["target_id"]), match["decision"]) == (42, decision)
    assert made.approve is (decision == "approve")


def test_templates_do_not_match_each_other() -> None:
    for button in BUTTONS:
        for other in BUTTONS:
            if other is not button:
                assert not button(1, "approve").template.fullmatch(other(1, "approve").custom_id)


@pytest.mark.parametrize("button", BUTTONS)
def test_both_labels_exist_in_every_language(button: type[DecisionButton]) -> None:
    for lang in LANGUAGES:
        for decision in DECISIONS:
            assert CATALOG.has(f"{button.labels}.{decision}", lang), (button.__name__, lang, decision)


def test_the_buttons_view_is_persistent_and_disabled_once_decided() -> None:
    view = ClaimButton.buttons(CATALOG, "fr", 7, disabled=True)
    assert view.timeout is None
    buttons = [item for item in view.children if isinstance(item, ClaimButton)]
    assert [b.custom_id for b in buttons] == ["org:claim:7:approve", "org:claim:7:decline"]
    assert all(b.item.disabled for b in buttons)
    assert [b.item.label for b in buttons] == [
        CATALOG.t("fr", "orgs.ui.claim.approve"),
        CATALOG.t("fr", "orgs.ui.claim.decline"),
    ]
