"""Store: soft delete by kind, the trash, restore, purge and the event log."""

from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.store.trash import DELETABLE_KINDS
from fractal_tui.views import MetricSpec, SplitSpec


def db_state(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, to prove that a rejected call wrote nothing."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(t.select()))
            for t in SQLModel.metadata.sorted_tables
        }


def refused(engine: Any, error: Any, call: Any, *args: Any, **kw: Any) -> str:
    before = db_state(engine)
    with pytest.raises(error) as info:
        call(*args, **kw)
    assert db_state(engine) == before
    return str(info.value)


def raw(engine: Any, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


@pytest.fixture
def tree(store: Any) -> dict[str, Any]:
    """Piano > Bach > (Prelude, Fugue > Subject); Scales; a group with an activity."""
    root = store.create_fractal("Piano")
    bach = store.add_goal(root.id, "Bach")
    prelude = store.add_goal(bach.id, "Prelude")
    fugue = store.add_goal(bach.id, "Fugue")
    subject = store.add_goal(fugue.id, "Subject")
    scales = store.add_goal(root.id, "Scales")
    group = store.add_group(root.id, "Technique")
    hanon = store.add_activity(
        root.id,
        "Hanon",
        group_id=group.id,
        metrics=(MetricSpec("Tempo", "bpm"), MetricSpec("Reps", "x")),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    return {
        "root": root,
        "bach": bach,
        "prelude": prelude,
        "fugue": fugue,
        "subject": subject,
        "scales": scales,
        "group": group,
        "hanon": hanon,
    }


def goal_names(store: Any, root_id: str) -> set[str]:
    return {g.name for g in store.goals(root_id)}


# --- delete --------------------------------------------------------------------------------


def test_delete_hides_the_row_and_its_dependents_in_one_batch(
    engine: Any, store: Any, clock: Any, tree: Any
) -> None:
    clock.advance(minutes=7)
    summary = store.delete("goal", "Bach", tree["root"].id)
    assert summary.counts == {"goals": 4} and summary.kind == "goal" and summary.name == "Bach"
    assert summary.deleted_at == clock.now
    assert goal_names(store, tree["root"].id) == {"Piano", "Scales"}
    for key in ("bach", "prelude", "fugue", "subject"):
        with pytest.raises(NotFound):
            store.get_goal(tree[key].id)
    with pytest.raises(NotFound):
        store.resolve_goal(tree["root"].id, "Subject")
    # the rows are still there, marked with one timestamp and one batch
    rows = raw(engine, "SELECT deleted_at, delete_batch FROM goals WHERE deleted_at IS NOT NULL")
    assert len(rows) == 4
    assert {r[1] for r in rows} == {summary.batch}
    assert len({str(r[0]) for r in rows}) == 1


def test_delete_an_activity_takes_its_metrics_and_splits(store: Any, tree: Any) -> None:
    summary = store.delete("activity", "hanon", tree["root"].id)
    assert summary.counts == {"activities": 1, "metrics": 2, "splits": 2}
    assert store.activities(tree["root"].id) == []
    store.restore(summary.batch)
    restored = store.get_activity(tree["hanon"].id)
    assert [m.name for m in restored.metrics] == ["Tempo", "Reps"]
    assert [sp.name for sp in restored.splits] == ["Left", "Right"]


def test_delete_a_group_leaves_its_activities_ungrouped(store: Any, tree: Any) -> None:
    summary = store.delete("group", "Technique", tree["root"].id)
    assert summary.counts == {"groups": 1}
    activity = store.get_activity(tree["hanon"].id)
    assert activity.group_id is None
    assert store.groups(tree["root"].id) == []


def test_delete_a_fractal_hides_all_of_it_and_nothing_else(
    store: Any, clock: Any, tree: Any
) -> None:
    other = store.create_fractal("Run")
    store.add_goal(other.id, "Marathon")
    store.add_activity(other.id, "Intervals", metrics=(MetricSpec("Pace", "min/km"),))
    summary = store.delete("fractal", "Piano")
    assert summary.counts == {
        "goals": 6,
        "groups": 1,
        "activities": 1,
        "metrics": 2,
        "splits": 2,
    }
    assert [f.name for f in store.list_fractals()] == ["Run"]
    assert goal_names(store, other.id) == {"Run", "Marathon"}
    assert [a.name for a in store.activities(other.id)] == ["Intervals"]
    assert store.goals(tree["root"].id) == []
    with pytest.raises(NotFound):
        store.resolve_fractal("Piano")
    store.restore(summary.batch)
    assert len(store.goals(tree["root"].id)) == 6
    assert [a.name for a in store.activities(tree["root"].id)] == ["Hanon"]


def test_preview_delete_counts_without_deleting(engine: Any, store: Any, tree: Any) -> None:
    before = db_state(engine)
    preview = store.preview_delete("goal", "Fugue", tree["root"].id)
    assert preview.counts == {"goals": 2}
    assert db_state(engine) == before
    assert store.delete("goal", "Fugue", tree["root"].id).counts == preview.counts


def test_delete_scoped_to_a_fractal(engine: Any, store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    marathon = store.add_goal(other.id, "Marathon")
    refused(engine, NotFound, store.delete, "goal", "Marathon", tree["root"].id)
    refused(engine, NotFound, store.delete, "goal", marathon.id, tree["root"].id)
    store.delete("goal", "Marathon", other.id)
    assert goal_names(store, other.id) == {"Run"}


@pytest.mark.parametrize(
    ("kind", "ref", "error", "says"),
    [
        ("potato", "Bach", Invalid, "kinds: fractal, goal"),
        ("goal", "Nope", NotFound, "no goal matches 'Nope'"),
        ("goal", "", Invalid, "name a goal"),
        ("activity", "", Invalid, "name an activity"),
        ("fractal", "Bach", NotFound, "no goal matches"),
        ("session", "nope", NotFound, ""),
    ],
)
def test_delete_refusals_leave_the_database_unchanged(
    engine: Any, store: Any, tree: Any, kind: str, ref: str, error: Any, says: str
) -> None:
    assert says in refused(engine, error, store.delete, kind, ref, tree["root"].id)


def test_delete_an_already_deleted_row_is_not_found(engine: Any, store: Any, tree: Any) -> None:
    store.delete("goal", "Fugue", tree["root"].id)
    refused(engine, NotFound, store.delete, "goal", tree["subject"].id, tree["root"].id)


def test_deletable_kinds_name_soft_deletable_models() -> None:
    from fractal_tui.models import MODELS, SoftDeletable

    for kind, model_name in DELETABLE_KINDS.items():
        assert issubclass(MODELS[model_name], SoftDeletable), kind


# --- restore -------------------------------------------------------------------------------


def test_restore_brings_back_exactly_that_batch(store: Any, clock: Any, tree: Any) -> None:
    root_id = tree["root"].id
    alone = store.delete("goal", "Subject", root_id)
    clock.advance(minutes=1)
    bach = store.delete("goal", "Bach", root_id)
    assert bach.counts == {"goals": 3}  # Subject had gone already
    assert store.restore(bach.batch[:8]) == {"goals": 3}
    assert goal_names(store, root_id) == {"Piano", "Bach", "Prelude", "Fugue", "Scales"}
    assert [b.batch for b in store.trash()] == [alone.batch]
    assert store.restore(tree["subject"].id) == {"goals": 1}  # by the id of a row in it
    assert "Subject" in goal_names(store, root_id)
    assert store.trash() == []


def test_restore_under_a_still_deleted_parent_is_refused(
    engine: Any, store: Any, clock: Any, tree: Any
) -> None:
    alone = store.delete("goal", "Subject", tree["root"].id)
    clock.advance(minutes=1)
    store.delete("goal", "Fugue", tree["root"].id)
    message = refused(engine, Conflict, store.restore, alone.batch)
    assert "'Fugue' is deleted too" in message


@pytest.mark.parametrize(("ref", "error"), [("", Invalid), ("zzzz-none", NotFound)])
def test_restore_unknown_is_refused(
    engine: Any, store: Any, tree: Any, ref: str, error: Any
) -> None:
    store.delete("goal", "Scales", tree["root"].id)
    refused(engine, error, store.restore, ref)


def test_restore_resets_the_delete_marks_and_logs_it(
    engine: Any, store: Any, clock: Any, tree: Any
) -> None:
    summary = store.delete("goal", "Bach", tree["root"].id)
    clock.advance(minutes=1)
    store.restore(summary.batch)
    rows = raw(engine, "SELECT count(*) FROM goals WHERE deleted_at IS NOT NULL")
    assert rows[0][0] == 0
    rows = raw(engine, "SELECT count(*) FROM goals WHERE delete_batch IS NOT NULL")
    assert rows[0][0] == 0
    latest = store.history(tree["root"].id, limit=1)[0]
    assert latest.kind == "restored" and latest.batch == summary.batch
    assert store.get_goal(tree["bach"].id).updated_at == clock.now


def test_trash_batch_finds_a_batch_by_prefix_or_row(store: Any, tree: Any) -> None:
    summary = store.delete("goal", "Fugue", tree["root"].id)
    for ref in (summary.batch, summary.batch[:6], tree["subject"].id, tree["fugue"].id[:7]):
        found = store.trash_batch(ref)
        assert found.batch == summary.batch and found.name == "Fugue"
        assert found.counts == {"goals": 2} and found.total == 2
    with pytest.raises(NotFound):
        store.trash_batch("zzzzzz")
    with pytest.raises(Invalid):
        store.trash_batch(" ")


# --- the trash -----------------------------------------------------------------------------


def test_trash_lists_batches_newest_first(store: Any, clock: Any, tree: Any) -> None:
    root_id = tree["root"].id
    first = store.delete("goal", "Fugue", root_id)
    clock.advance(hours=1)
    second = store.delete("activity", "Hanon", root_id)
    batches = store.trash()
    assert [b.batch for b in batches] == [second.batch, first.batch]
    assert batches[0].kind == "activity" and batches[0].name == "Hanon"
    assert batches[0].counts == {"activities": 1, "metrics": 2, "splits": 2}
    assert batches[0].deleted_at == clock.now
    assert batches[1].id == tree["fugue"].id and batches[1].root_id == root_id


def test_trash_of_one_fractal(store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    store.add_goal(other.id, "Marathon")
    store.delete("goal", "Marathon", other.id)
    store.delete("goal", "Scales", tree["root"].id)
    assert [b.name for b in store.trash(other.id)] == ["Marathon"]
    assert [b.name for b in store.trash(tree["root"].id)] == ["Scales"]
    assert len(store.trash()) == 2


# --- purge ---------------------------------------------------------------------------------


def test_purge_removes_only_deleted_rows_old_enough(
    engine: Any, store: Any, clock: Any, tree: Any
) -> None:
    root_id = tree["root"].id
    store.delete("goal", "Fugue", root_id)
    clock.advance(days=10)
    recent = store.delete("goal", "Scales", root_id)
    clock.advance(days=1)
    assert store.purge(older_than_days=5) == {"goals": 2}
    ids = {r[0] for r in raw(engine, "SELECT id FROM goals")}
    assert tree["fugue"].id not in ids and tree["subject"].id not in ids
    assert {tree["root"].id, tree["bach"].id, tree["prelude"].id, tree["scales"].id} <= ids
    assert [b.batch for b in store.trash()] == [recent.batch]
    assert store.purge(older_than_days=5) == {}
    assert store.purge(older_than_days=0) == {"goals": 1}
    assert goal_names(store, root_id) == {"Piano", "Bach", "Prelude"}


def test_purge_the_age_is_inclusive_of_the_cutoff(store: Any, clock: Any, tree: Any) -> None:
    store.delete("goal", "Scales", tree["root"].id)
    clock.advance(days=3)
    assert store.purge(older_than_days=3.5) == {}
    assert store.purge(older_than_days=3) == {"goals": 1}


def test_purge_one_batch(store: Any, tree: Any) -> None:
    keep = store.delete("goal", "Fugue", tree["root"].id)
    gone = store.delete("activity", "Hanon", tree["root"].id)
    assert store.purge(batch=gone.batch[:8]) == {"activities": 1, "metrics": 2, "splits": 2}
    assert [b.batch for b in store.trash()] == [keep.batch]


def test_purge_a_fractal_removes_its_event_log(engine: Any, store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    store.delete("fractal", "Piano")
    store.purge(older_than_days=0)
    assert (
        raw(engine, "SELECT count(*) FROM events WHERE root_id = :r", r=tree["root"].id)[0][0] == 0
    )
    assert raw(engine, "SELECT count(*) FROM goals")[0][0] == 1
    assert store.history(other.id)[0].kind == "fractal_created"
    assert store.check_invariants() == []


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({}, Invalid),
        ({"older_than_days": 1, "batch": "x"}, Invalid),
        ({"older_than_days": -1}, Invalid),
        ({"older_than_days": float("nan")}, Invalid),
        ({"older_than_days": float("inf")}, Invalid),
        ({"batch": "zzzzzz"}, NotFound),
    ],
)
def test_purge_refusals_leave_the_database_unchanged(
    engine: Any, store: Any, clock: Any, tree: Any, kw: dict[str, Any], error: Any
) -> None:
    store.delete("goal", "Fugue", tree["root"].id)
    clock.advance(days=30)
    refused(engine, error, store.purge, **kw)


def test_purge_older_than_the_calendar_removes_nothing(store: Any, tree: Any) -> None:
    store.delete("goal", "Fugue", tree["root"].id)
    assert store.purge(older_than_days=1e12) == {}
    assert len(store.trash()) == 1


# --- history -------------------------------------------------------------------------------


def test_history_newest_first_limit_kind_and_scope(store: Any, clock: Any, tree: Any) -> None:
    root_id = tree["root"].id
    clock.advance(minutes=1)
    store.complete_goal(tree["prelude"].id)
    clock.advance(minutes=1)
    store.delete("goal", "Scales", root_id)
    clock.advance(minutes=1)
    other = store.create_fractal("Run")
    latest = store.history(root_id, limit=2)
    assert [e.kind for e in latest] == ["deleted", "goal_completed"]
    assert latest[0].entity_id == tree["scales"].id and latest[0].batch is not None
    assert all(e.root_id == root_id for e in store.history(root_id, limit=100))
    assert [e.kind for e in store.history(other.id)] == ["fractal_created"]
    assert store.history(limit=1)[0].root_id == other.id
    created = store.history(root_id, kind="goal_created", limit=100)
    assert len(created) == 5 and {e.kind for e in created} == {"goal_created"}
    with pytest.raises(Invalid):
        store.history(root_id, limit=0)


def test_events_are_never_soft_deleted(engine: Any, store: Any, tree: Any) -> None:
    from fractal_tui.models import Event, SoftDeletable

    assert not issubclass(Event, SoftDeletable)
    before = len(store.history(tree["root"].id, limit=1000))
    store.delete("goal", "Bach", tree["root"].id)
    assert len(store.history(tree["root"].id, limit=1000)) == before + 1
