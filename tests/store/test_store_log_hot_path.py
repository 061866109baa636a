"""`log` on its hot path: a lean result, sets found by position, cells by the unique index,
and usage figures only where they are shown. Each answer is the same as the full read's."""

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.views import MetricSpec, SplitSpec


@pytest.fixture
def root(store: Any) -> str:
    root = store.create_fractal("Gym").id
    store.add_activity(root, "Run", metrics=(MetricSpec("distance", "km"),))
    store.add_activity(
        root,
        "Squat",
        has_sets=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
    )
    store.add_activity(
        root,
        "Curl",
        has_sets=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    store.start_session(root, name="Legs")
    return root


def lean(view: Any) -> Any:
    """An instance view without what a lean log result leaves out."""
    return dataclasses.replace(view, intervals=(), sets=(), values=())


CALLS = [
    ("Run", {"km": 5}, {}),  # adds the instance and its cell
    ("Run", {"km": 6}, {}),  # updates the cell in place
    ("Run", {"km": 6}, {"note": "easy"}),  # same value: nothing to update; a note
    ("Squat", {"weight": 100, "reps": 5}, {}),  # a new set
    ("Squat", {"weight": 105, "reps": 3}, {"new_set": True}),
    ("Squat", {"reps": 4}, {"set_index": 1, "note": "grinder"}),  # fills set 1
    ("Curl", {"weight": 12, "reps": 10}, {"split": "Left"}),
    ("Curl", {"weight": 12, "reps": 8}, {"split": "Right"}),  # the same set
    ("Curl", {"reps": 9}, {"split": "Left"}),  # a new set: set 1's left side is filled
    ("Run", {"km": None}, {}),  # clears the cell
]


def test_a_lean_result_is_the_full_one_without_the_instance_reload(
    store: Any, root: str, clock: Any
) -> None:
    for activity, values, options in CALLS:
        clock.advance(seconds=30)
        result = store.log(root, activity, values, instance_detail=False, **options)
        full = store.get_instance(result.instance.id)
        assert result.instance == lean(full)
        assert result.instance.activity_name == activity
        assert all(v in full.values for v in result.values)  # what a fresh read shows
        if result.set is not None:
            number = [s.id for s in full.sets].index(result.set.id) + 1
            assert result.set_number == number
            assert result.set == next(s for s in full.sets if s.id == result.set.id)


def test_the_full_result_still_carries_the_instance(store: Any, root: str) -> None:
    result = store.log(root, "Squat", {"weight": 100, "reps": 5})
    assert result.instance == store.get_instance(result.instance.id)
    assert len(result.instance.sets) == 1 and len(result.instance.values) == 2


def test_set_numbers_follow_the_sets_order(store: Any, root: str) -> None:
    first = store.log(root, "Squat", {"reps": 5})
    second = store.log(root, "Squat", {"reps": 6})
    assert (first.set_number, second.set_number) == (1, 2)
    store.shift_set(second.set.id, -1)  # the second set is now first
    again = store.log(root, "Squat", {"reps": 7}, set_index=1, instance_detail=False)
    assert again.set.id == second.set.id and again.set_number == 1
    third = store.log(root, "Squat", {"reps": 8}, instance_detail=False)
    assert third.set_number == 3
    store.remove_set(first.set.id)  # deleted sets do not count
    fourth = store.log(root, "Squat", {"reps": 9}, instance_detail=False)
    assert fourth.set_number == 3
    with pytest.raises(Invalid, match=r"there is no set 4; this activity has 3 sets"):
        store.log(root, "Squat", {"reps": 1}, set_index=4)


def test_split_pairs_use_the_last_set_in_order(store: Any, root: str) -> None:
    a = store.log(root, "Curl", {"reps": 10}, split="Left")
    b = store.log(root, "Curl", {"reps": 11}, split="Left")
    assert (a.set_number, b.set_number) == (1, 2)
    store.shift_set(b.set.id, -1)  # set a is last now, its right side empty
    c = store.log(root, "Curl", {"reps": 9}, split="Right")
    assert c.set.id == a.set.id and c.set_number == 2


@pytest.mark.parametrize("new_set", [True, False])
def test_a_metric_named_twice_in_one_call_is_one_cell(store: Any, root: str, new_set: bool) -> None:
    if not new_set:
        store.log(root, "Squat", {"reps": 1})
    options = {"new_set": True} if new_set else {"set_index": 1}
    result = store.log(root, "Squat", {"reps": 5, "Reps": 6}, **options)

    def cells(set_id: str) -> list[float]:
        values = store.get_instance(result.instance.id).values
        return [v.value for v in values if v.set_id == set_id]

    assert cells(result.set.id) == [6]
    options = {"set_index": result.set_number}
    store.log(root, "Squat", {"weight": 50, "kg": None}, **options)  # written, then cleared
    assert cells(result.set.id) == [6]


@pytest.mark.backends("sqlite")  # the query plans checked are SQLite's
def test_a_cell_is_found_through_the_unique_index(store: Any, root: str, engine: Any) -> None:
    store.log(root, "Run", {"km": 5})
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM metric_values" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        store.log(root, "Run", {"km": 6}, instance_detail=False)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(seen) == 1
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1]).all()
    assert "uq_metric_values_cell" in " ".join(str(row[-1]) for row in plan)


def test_usage_figures_only_where_asked(store: Any, root: str, clock: Any) -> None:
    session = store.active_session(root)
    run = store.resolve_activity(root, "Run")
    store.start_activity(root, run.id)
    clock.advance(minutes=5)
    store.log(root, "Run", {"km": 5})
    store.stop(root)
    full = store.resolve_activity(root, "Run")
    assert full.times_done == 1 and full.last_done is not None
    bare = store.resolve_activity(root, "Run", usage=False)
    assert bare == dataclasses.replace(full, times_done=0, last_done=None)

    detail = store.session_detail(session.id)
    with_usage = store.session_detail(session.id, usage=True)
    assert [a.times_done for a in with_usage.activities] == [1]
    assert with_usage.activities == (full,)
    assert detail == dataclasses.replace(with_usage, activities=(bare,))


def test_resolve_activity_id_follows_resolve_activity(store: Any, root: str) -> None:
    store.add_activity(root, "Running drills")
    store.add_activity(root, "Hill sprint")
    store.add_activity(root, "Hill walk")
    for ref in ("Run", "run", "Runn", "Squat", "squ"):
        assert store.resolve_activity_id(root, ref) == store.resolve_activity(root, ref).id
    full = store.resolve_activity(root, "Curl")
    assert store.resolve_activity_id(root, full.id[:8]) == full.id
    for ref, error in (("Nope", NotFound), ("Hill", Invalid), ("", Invalid)):
        with pytest.raises(error) as expected:
            store.resolve_activity(root, ref)
        with pytest.raises(error) as got:
            store.resolve_activity_id(root, ref)
        assert str(got.value) == str(expected.value)


def test_messages_still_name_the_activity(store: Any, root: str, clock: Any) -> None:
    # Names for messages are read only when a message needs them.
    squat = store.resolve_activity_id(root, "Squat")
    store.start_activity(root, squat)
    clock.advance(minutes=1)
    done = store.stop(root)
    with pytest.raises(Conflict, match="'Squat' is already complete"):
        store.complete_instance(done.id)
    with pytest.raises(Conflict, match="'Squat' is complete; reopen it"):
        store.start_timer(done.session_id, done.id)
    run = store.resolve_activity_id(root, "Run")
    store.start_activity(root, run)
    with pytest.raises(Conflict, match="already running for 'Run'; use --switch to switch to"):
        store.start_activity(root, store.resolve_activity_id(root, "Curl"))
    with pytest.raises(Invalid, match="'Run' cannot be completed at .* timed until"):
        store.stop(root, at=clock() - timedelta(minutes=5))
