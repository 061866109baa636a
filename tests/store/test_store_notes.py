"""Notes in the store: one subject, root_id from it, text rules, update, delete, resolution."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from fractal_tui.errors import Invalid, NotFound
from fractal_tui.views import MetricSpec


def db_state(store: Any) -> dict[str, list[tuple]]:
    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(repr, r)) for r in conn.execute(select(t)).all())
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def fx(store: Any, clock: Any) -> dict[str, Any]:
    root = store.create_fractal("Piano")
    goal = store.add_goal(root.id, "Bach prelude")
    scales = store.add_activity(root.id, "Scales", metrics=(MetricSpec("bpm", "bpm"),))
    session = store.start_session(root.id, name="Morning")
    instance = store.add_instance(session.id, scales.id)
    return {"root": root, "goal": goal, "session": session, "instance": instance}


def test_notes_on_each_kind_of_subject(store: Any, fx: dict[str, Any]) -> None:
    root = fx["root"]
    g = store.add_note(goal_id=fx["goal"].id, text="  start slow  ")
    s = store.add_note(session_id=fx["session"].id, text="tired today")
    i = store.add_note(instance_id=fx["instance"].id, text="left hand lags\nfix\tit")
    assert g.text == "start slow" and g.goal_id == fx["goal"].id and g.session_id is None
    assert s.session_id == fx["session"].id and i.instance_id == fx["instance"].id
    assert {g.root_id, s.root_id, i.root_id} == {root.id}
    assert i.text == "left hand lags\nfix\tit"
    assert [n.id for n in store.notes_for(goal_id=fx["goal"].id)] == [g.id]
    assert [n.id for n in store.notes_for(session_id=fx["session"].id)] == [s.id]
    assert [n.id for n in store.notes_for(instance_id=fx["instance"].id)] == [i.id]
    assert [n.id for n in store.goal_detail(fx["goal"].id).notes] == [g.id]
    assert {n.id for n in store.notes(root.id)} == {g.id, s.id, i.id}
    assert any(e.kind == "note_added" for e in store.history(root.id))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "x"}, "exactly one"),
        ({"goal_key": True, "session_key": True, "text": "x"}, "exactly one"),
        ({"goal_key": True, "text": "   "}, "needs some text"),
        ({"goal_key": True, "text": "bell\x07"}, "control characters"),
        ({"goal_key": True, "text": "x" * 20_001}, "at most"),
    ],
)
def test_bad_notes_write_nothing(
    store: Any, fx: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"text": kwargs["text"]}
    if kwargs.get("goal_key"):
        args["goal_id"] = fx["goal"].id
    if kwargs.get("session_key"):
        args["session_id"] = fx["session"].id
    before = db_state(store)
    with pytest.raises(Invalid, match=message):
        store.add_note(**args)
    assert db_state(store) == before


def test_note_on_missing_or_deleted_subject(store: Any, fx: dict[str, Any]) -> None:
    before = db_state(store)
    with pytest.raises(NotFound):
        store.add_note(goal_id="nope", text="x")
    assert db_state(store) == before
    store.delete("goal", fx["goal"].id, fx["root"].id)
    with pytest.raises(NotFound):
        store.add_note(goal_id=fx["goal"].id, text="x")


def test_update_and_delete_a_note(store: Any, fx: dict[str, Any], clock: Any) -> None:
    note = store.add_note(goal_id=fx["goal"].id, text="first")
    clock.advance(minutes=1)
    changed = store.update_note(note.id, "second")
    assert changed.text == "second" and changed.updated_at > note.updated_at
    before = db_state(store)
    with pytest.raises(Invalid):
        store.update_note(note.id, "")
    assert db_state(store) == before
    summary = store.delete("note", note.id, fx["root"].id)
    assert summary.counts == {"notes": 1}
    assert store.notes_for(goal_id=fx["goal"].id) == []
    with pytest.raises(NotFound):
        store.get_note(note.id)
    store.restore(summary.batch)
    assert store.get_note(note.id).text == "second"


def test_deleting_the_subject_takes_its_notes(store: Any, fx: dict[str, Any]) -> None:
    store.add_note(instance_id=fx["instance"].id, text="x")
    summary = store.delete("session", fx["session"].id, fx["root"].id)
    assert summary.counts.get("notes") == 1
    assert store.notes(fx["root"].id) == []


# --- resolving what a note is about ------------------------------------------------------------


def test_resolve_active_session_ids_prefixes_and_goal_names(store: Any, fx: dict[str, Any]) -> None:
    root = fx["root"].id
    active = store.resolve_note_subject(root, "session")
    assert (active.kind, active.id) == ("session", fx["session"].id)
    assert store.resolve_note_subject(root, "ACTIVE").id == fx["session"].id
    assert store.resolve_note_subject(root, fx["instance"].id).kind == "instance"
    assert store.resolve_note_subject(root, fx["goal"].id).kind == "goal"
    by_prefix = store.resolve_note_subject(root, fx["session"].id[:8])
    assert by_prefix.kind == "session" and "Morning" in by_prefix.label
    by_name = store.resolve_note_subject(root, "bach PRELUDE")
    assert (by_name.kind, by_name.id) == ("goal", fx["goal"].id)
    instance = store.resolve_note_subject(root, fx["instance"].id[:6], kind="instance")
    assert instance.label == "activity instance 'Scales'"


def test_resolve_errors(store: Any, fx: dict[str, Any]) -> None:
    root = fx["root"].id
    with pytest.raises(NotFound, match="nothing matches 'Chopin'"):
        store.resolve_note_subject(root, "Chopin")
    with pytest.raises(Invalid, match="not a 'set'"):
        store.resolve_note_subject(root, "x", kind="set")
    with pytest.raises(NotFound):  # a goal name asked for as a session
        store.resolve_note_subject(root, "Bach prelude", kind="session")
    store.end_session(fx["session"].id)
    with pytest.raises(NotFound, match="no active session"):
        store.resolve_note_subject(root, "session")


def test_ambiguous_goal_name_lists_candidates(store: Any, fx: dict[str, Any]) -> None:
    store.add_goal(fx["root"].id, "Bach prelude")
    with pytest.raises(Invalid, match="matches 2 things"):
        store.resolve_note_subject(fx["root"].id, "Bach prelude")


def test_ambiguous_prefix_across_kinds(store: Any, fx: dict[str, Any]) -> None:
    # A goal whose id shares the session's first characters (ids are random otherwise).
    from fractal_tui.models import Goal

    prefix = fx["session"].id[:5]
    with store._tx() as s:
        goal = Goal(id=prefix + "-crafted", parent_id=fx["root"].id, level=1, name="Crafted")
        store._insert(s, goal)
    with pytest.raises(Invalid, match="matches 2 things"):
        store.resolve_note_subject(fx["root"].id, prefix)
    assert store.resolve_note_subject(fx["root"].id, prefix + "-cr").kind == "goal"


def test_resolution_stays_in_the_fractal(store: Any, fx: dict[str, Any]) -> None:
    other = store.create_fractal("Chess")
    with pytest.raises(NotFound):
        store.resolve_note_subject(other.id, fx["goal"].id)
    with pytest.raises(NotFound):
        store.resolve_note_subject(other.id, "Bach prelude")
