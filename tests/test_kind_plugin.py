"""Adding a control kind is one module in `bot.kinds` and its line in the registry: nothing in the Slack edge.

The kind here ("Rating", one to five stars) is written as a kind module would be, registered in the live
registry for the length of a test, and then filled in end to end: the embedded engine's template config
accepts it, the modal offers it (valid Block Kit, at the top level and as a table column), the reader reads
it back and checks it, and the applicant's card says its answer.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.form_reader import read_submission
from bot.forms import Answer, Control, FilledForm, Option
from bot.kinds import KINDS, display_fields
from bot.kinds.base import FormView, Kind, Reader, Say, Slot, plain_display
from bot.kinds.widgets import Select, Widget
from bot.providers.local.engine import LocalTemplate, submit, template_from_config
from handlers.cards import applicant_card
from handlers.modals import build_form_view
from tests.test_cards import assert_valid as assert_valid_message
from tests.test_cards import names, venue
from tests.test_form_reader import choice
from tests.test_modals import assert_valid as assert_valid_view
from tests.test_modals import element, inputs, state_from_view

APPLICANT, APPROVER = "UAPP01", "UAAA1"
T0 = 1_700_000_000

# -- the new kind, as its module in bot/kinds would read ---------------------------------------------------

STARS = tuple(Option(str(n), "★" * n) for n in range(1, 6))


class Rating(Kind):
    """One to five stars, from a select; the answer is the count."""

    name = "Rating"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        answer = form.answer(slot)
        chosen = (str(answer),) if isinstance(answer, int) else ()
        return [Select(slot, placeholder=slot.control.placeholder, options=STARS, chosen=chosen)]

    def read(self, reader: Reader, slot: Slot) -> int | None:
        keys = reader.choices(slot.block_id())[:1]
        if keys and keys[0] not in {star.key for star in STARS}:
            reader.fail(slot.block_id(), "form.unknown_option")
            return None
        return int(keys[0]) if keys else None

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        return (
            "★" * answer + "☆" * (5 - answer) if isinstance(answer, int) else plain_display(control, answer)
        )


rating = SimpleNamespace(KIND=Rating())  # the module, `bot/kinds/rating.py`

# ---------------------------------------------------------------------------------------------------------

ENTRY = {
    "alias": "feedback",
    "name": "Feedback",
    "controls": [
        {"control": "Rating", "id": "Rating-1", "title": "How was it?", "require": True},
        {
            "control": "Table",
            "id": "Table-1",
            "title": "Sessions",
            "children": [
                {"control": "Text", "id": "Text-1", "title": "Session"},
                {"control": "Rating", "id": "Rating-2", "title": "Score"},
            ],
        },
    ],
    "process": [{"type": 1, "apv_rel": 1, "users": [APPROVER]}],
}


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one registration line, `rating.KIND` among the kinds of `bot.kinds.KINDS`, for one test."""
    monkeypatch.setitem(KINDS, rating.KIND.name, rating.KIND)


def feedback() -> LocalTemplate:
    return template_from_config(ENTRY)


def view_of(tpl: LocalTemplate, **options: Any) -> dict[str, Any]:
    view = build_form_view(tpl.template, "en", private_metadata="m", **options)
    assert_valid_view(view)
    return view


def test_an_unregistered_kind_is_refused_where_it_is_configured() -> None:
    with pytest.raises(ValueError, match="unknown kind 'Rating'"):
        feedback()


@pytest.mark.usefixtures("registered")
def test_the_modal_offers_the_new_kind_at_the_top_and_in_table_rows() -> None:
    view = view_of(feedback(), rows={"Table-1": 2})

    top = inputs(view)["form/Rating-1"]
    assert top["label"]["text"] == "How was it?" and top["optional"] is False
    assert top["element"]["type"] == "static_select"
    assert [(o["value"], o["text"]["text"]) for o in top["element"]["options"]] == [
        ("1", "★"),
        ("2", "★★"),
        ("3", "★★★"),
        ("4", "★★★★"),
        ("5", "★★★★★"),
    ]
    assert element(view, "form/Table-1/1/Rating-2")["type"] == "static_select"
    assert inputs(view)["form/Table-1/1/Rating-2"]["label"]["text"] == "Row 2 · Score"


@pytest.mark.usefixtures("registered")
def test_the_new_kind_starts_from_an_earlier_answer() -> None:
    view = view_of(feedback(), initial={"Rating-1": 4, "Table-1": ({"Rating-2": 2},)})

    assert element(view, "form/Rating-1")["initial_option"]["value"] == "4"
    assert element(view, "form/Table-1/0/Rating-2")["initial_option"]["value"] == "2"


@pytest.mark.usefixtures("registered")
def test_the_new_kind_is_read_back_and_checked() -> None:
    tpl = feedback()
    state = state_from_view(view_of(feedback()))

    assert read_submission(tpl.template, state, {}, "en") == {"form/Rating-1": "This is required."}
    odd = state | {"form/Rating-1": choice("9")}
    assert read_submission(tpl.template, odd, {}, "en") == {
        "form/Rating-1": "This option is no longer offered: choose again."
    }
    filled = state | {"form/Rating-1": choice("4"), "form/Table-1/0/Rating-2": choice("5")}
    assert read_submission(tpl.template, filled, {}, "en") == FilledForm(
        tpl.template, {"Rating-1": 4, "Table-1": ({"Rating-2": 5},)}
    )


@pytest.mark.usefixtures("registered")
def test_the_card_says_the_new_kinds_answer() -> None:
    tpl = feedback()
    form = FilledForm(tpl.template, {"Rating-1": 4, "Table-1": ({"Text-1": "Keynote", "Rating-2": 5},)})
    fields = display_fields(form)
    assert [(f.title, f.value) for f in fields] == [("How was it?", "★★★★☆"), ("Sessions", "Keynote; ★★★★★")]

    snap = submit(tpl, APPLICANT, form, "202611210001", T0, fields=fields)
    card = applicant_card(snap, names, "en", None, venue(snap, "en"))
    assert_valid_message(card)
    assert "★★★★☆" in str(card.blocks) and "Keynote; ★★★★★" in str(card.blocks)
