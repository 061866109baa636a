"""The store's built-in rules across every table (issue 2).

Two fractals are filled the same way through public store methods only, touching every table
of ``fractal_tui.models.MODELS``. Tests parametrised over MODELS then prove, table by table:
root_id comes from the parent, a read of one fractal never returns a row of the other, soft
delete / restore / purge work per batch, sort_order appends and reorders, audit times move
as they should, refusals write nothing, and check_invariants() sees planted problems.

A table added to MODELS without being covered here fails ``test_every_table_is_filled``
and the reader / parent tables below: extend ``fill`` and ``READERS`` for it.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.models import MODELS, Ordered, RootScoped, SoftDeletable
from fractal_tui.views import (
    ConditionSpec,
    MetricSpec,
    SplitSpec,
    TemplateItemSpec,
    TemplateSection,
)

# --- helpers -------------------------------------------------------------------------------


def db_state(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, to prove that a rejected call wrote nothing."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(t.select()))
            for t in SQLModel.metadata.sorted_tables
        }


def refused(engine: Any, error: Any, call: Callable[[], Any]) -> str:
    before = db_state(engine)
    with pytest.raises(error) as info:
        call()
    assert db_state(engine) == before
    return str(info.value)


def rows(engine: Any, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def table_of(model_name: str) -> str:
    return MODELS[model_name].__tablename__  # type: ignore[attr-defined,no-any-return]


def live_ids(engine: Any, model_name: str, root_id: str) -> set[str]:
    model = MODELS[model_name]
    where = "root_id = :r" + (" AND deleted_at IS NULL" if issubclass(model, SoftDeletable) else "")
    return {
        r[0]
        for r in rows(engine, f"SELECT id FROM {table_of(model_name)} WHERE {where}", r=root_id)
    }


@dataclass
class Fractal:
    """What `fill` made in one fractal (views), for the tests to point at."""

    root: Any
    goal: Any
    subgoal: Any
    group: Any
    hanon: Any
    scales: Any
    template: Any
    target: Any
    session: Any
    hanon_run: Any
    scales_run: Any
    sets: list[Any]
    notes: list[Any]

    def metric(self, activity: Any, name: str) -> str:
        return next(m.id for m in activity.metrics if m.name == name)

    def split(self, name: str) -> str:
        return next(sp.id for sp in self.scales.splits if sp.name == name)


def fill(store: Any, clock: Any, name: str) -> Fractal:
    """A fractal with a row in every table, made through public store methods only."""
    root = store.create_fractal(name)
    goal = store.add_goal(root.id, "Bach")
    subgoal = store.add_goal(goal.id, "Prelude")
    group = store.add_group(root.id, "Technique")
    hanon = store.add_activity(
        root.id,
        "Hanon",
        group_id=group.id,
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("BPM", "bpm", is_best_set=True), MetricSpec("Reps", "x")),
    )
    scales = store.add_activity(
        root.id,
        "Scales",
        group_id=group.id,
        metrics=(MetricSpec("BPM", "bpm"),),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    template = store.add_template(
        root.id,
        "Daily",
        sections=(
            TemplateSection(
                "Warm-up", (TemplateItemSpec(hanon.id, 10), TemplateItemSpec(scales.id, 5))
            ),
        ),
    )
    target = store.add_target(goal.id, hanon.id, (ConditionSpec("BPM", ">=", 300),))
    session = store.start_session(root.id, name="Morning", goal_ids=[goal.id, subgoal.id])
    hanon_run = store.add_instance(session.id, hanon.id)
    clock.advance(minutes=1)
    store.start_timer(session.id, hanon_run.id)
    bpm, reps = (next(m.id for m in hanon.metrics if m.name == n) for n in ("BPM", "Reps"))
    sets = []
    for tempo in (100, 104):
        clock.advance(minutes=2)
        one = store.add_set(hanon_run.id)
        store.record_value(hanon_run.id, bpm, tempo, set_id=one.id)
        store.record_value(hanon_run.id, reps, 3, set_id=one.id)
        sets.append(one)
    scales_run = store.add_instance(session.id, scales.id)
    clock.advance(minutes=1)
    store.start_timer(session.id, scales_run.id, switch=True)
    clock.advance(minutes=4)
    scales_bpm = scales.metrics[0].id
    for side, tempo in zip(scales.splits, (90, 96), strict=True):
        store.record_value(scales_run.id, scales_bpm, tempo, split_id=side.id)
    store.complete_instance(scales_run.id)
    notes = [
        store.add_note(goal_id=goal.id, text="slow practice"),
        store.add_note(session_id=session.id, text="good focus"),
        store.add_note(instance_id=hanon_run.id, text="even"),
    ]
    clock.advance(minutes=1)
    store.end_session(session.id)
    clock.advance(minutes=1)
    return Fractal(
        root=root,
        goal=goal,
        subgoal=subgoal,
        group=group,
        hanon=hanon,
        scales=scales,
        template=template,
        target=target,
        session=store.get_session(session.id),
        hanon_run=store.get_instance(hanon_run.id),
        scales_run=store.get_instance(scales_run.id),
        sets=sets,
        notes=notes,
    )


@pytest.fixture(scope="module")
def filled_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Fractal, Fractal, Any]:
    """`two` built once per module on SQLite; each test gets a copy of the file."""
    from fractal_tui.clock import FakeClock
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store

    path = tmp_path_factory.mktemp("filled") / "two.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    clock = FakeClock()
    store = Store(engine, clock=clock)
    a, b = fill(store, clock, "Piano"), fill(store, clock, "Violin")
    engine.dispose()
    return path, a, b, clock.now


@pytest.fixture
def two(
    request: pytest.FixtureRequest, store: Any, clock: Any, engine: Any
) -> tuple[Fractal, Fractal]:
    """Two fractals filled alike, with the same names, so a leak would resolve."""
    if engine.dialect.name != "sqlite":
        return fill(store, clock, "Piano"), fill(store, clock, "Violin")
    path, a, b, end = request.getfixturevalue("filled_sqlite")
    engine.dispose()  # no pooled connection may hold the old file open
    source, target = sqlite3.connect(path), sqlite3.connect(engine.url.database)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    clock.set(end)
    return a, b


def _ids(views: Any) -> set[str]:
    return {v.id for v in views}


def _details(store: Any, root_id: str) -> list[Any]:
    return [store.session_detail(s.id) for s in store.sessions(root_id, limit=1000).items]


def _instances(store: Any, root_id: str) -> list[Any]:
    return [i for d in _details(store, root_id) for i in d.instances]


# Public reads of one fractal, per table: every id (or link pair) they return.
READERS: dict[str, Callable[[Any, str], set[Any]]] = {
    "Goal": lambda st, r: _ids(st.goals(r)),
    "ActivityGroup": lambda st, r: _ids(st.groups(r)),
    "Activity": lambda st, r: _ids(st.activities(r)),
    "MetricDefinition": lambda st, r: {m.id for a in st.activities(r) for m in a.metrics},
    "SplitDefinition": lambda st, r: {sp.id for a in st.activities(r) for sp in a.splits},
    "SessionTemplate": lambda st, r: _ids(st.templates(r)),
    "TemplateItem": lambda st, r: {i.id for t in st.templates(r) for i in t.items},
    "PracticeSession": lambda st, r: _ids(st.sessions(r, limit=1000).items),
    "SessionGoal": lambda st, r: {
        (s.id, g) for s in st.sessions(r, limit=1000).items for g in s.goal_ids
    },
    "ActivityInstance": lambda st, r: _ids(_instances(st, r)),
    "WorkInterval": lambda st, r: {iv.id for i in _instances(st, r) for iv in i.intervals},
    "ActivitySet": lambda st, r: {x.id for i in _instances(st, r) for x in i.sets},
    "MetricValue": lambda st, r: {v.id for i in _instances(st, r) for v in i.values},
    "Target": lambda st, r: {t.id for g in st.goals(r) for t in st.targets(g.id)},
    "TargetCondition": lambda st, r: {
        c.id for g in st.goals(r) for t in st.targets(g.id) for c in t.conditions
    },
    "Note": lambda st, r: _ids(st.notes(r)),
    "Event": lambda st, r: _ids(st.history(r, limit=10_000)),
}


def stored(engine: Any, model_name: str, root_id: str) -> set[Any]:
    """What READERS should return, read from the tables directly."""
    if model_name == "SessionGoal":
        return {
            (r[0], r[1])
            for r in rows(
                engine,
                "SELECT session_id, goal_id FROM session_goals "
                "WHERE root_id = :r AND deleted_at IS NULL",
                r=root_id,
            )
        }
    return live_ids(engine, model_name, root_id)


# --- every table is covered ----------------------------------------------------------------


@pytest.mark.parametrize("model_name", list(MODELS))
def test_every_table_is_filled_in_both_fractals(engine: Any, two: Any, model_name: str) -> None:
    a, b = two
    for fractal in (a, b):
        assert live_ids(engine, model_name, fractal.root.id), (
            f"fill() made no {model_name} row: cover the new table in this module"
        )
    assert model_name in READERS, f"add a public reader for {model_name} to READERS"


# --- root_id -------------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", [n for n, m in MODELS.items() if issubclass(m, RootScoped)])
def test_root_id_is_filled_and_equals_the_parents(engine: Any, two: Any, model_name: str) -> None:
    a, b = two
    model = MODELS[model_name]
    table = table_of(model_name)
    roots = [r[0] for r in rows(engine, f"SELECT root_id FROM {table}")]
    assert roots and None not in roots
    assert set(roots) == {a.root.id, b.root.id}
    # both fractals were filled alike, so each holds the same number of rows
    assert roots.count(a.root.id) == roots.count(b.root.id)
    source = model.__root_from__  # type: ignore[attr-defined]
    if source is not None:
        column, parent = source
        joined = rows(
            engine,
            f"SELECT c.root_id, p.root_id, c.{column} FROM {table} c "
            f"LEFT JOIN {table_of(parent)} p ON p.id = c.{column}",
        )
        for child_root, parent_root, parent_id in joined:
            if model_name == "Goal" and parent_id is None:
                continue  # a fractal's root: checked below
            assert parent_root is not None, f"{model_name} row without its {column}"
            assert child_root == parent_root
    if model_name == "Goal":
        for goal_id, root_id in rows(
            engine, "SELECT id, root_id FROM goals WHERE parent_id IS NULL"
        ):
            assert goal_id == root_id
    if model_name == "Note":
        for subject in (
            ("goal_id", "goals"),
            ("session_id", "sessions"),
            ("instance_id", "activity_instances"),
        ):
            col, parent_table = subject
            for child_root, parent_root in rows(
                engine,
                f"SELECT n.root_id, p.root_id FROM notes n JOIN {parent_table} p ON p.id = n.{col}",
            ):
                assert child_root == parent_root


def test_a_fractal_root_is_its_own_root_and_the_schema_refuses_null(two: Any) -> None:
    a, _ = two
    assert a.root.root_id == a.root.id
    for model in MODELS.values():
        if issubclass(model, RootScoped):
            assert not model.__table__.c.root_id.nullable  # type: ignore[attr-defined]


# --- isolation -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", list(MODELS))
def test_reads_of_one_fractal_never_return_another_fractals_rows(
    engine: Any, store: Any, two: Any, model_name: str
) -> None:
    a, b = two
    reader = READERS[model_name]
    seen_a, seen_b = reader(store, a.root.id), reader(store, b.root.id)
    assert seen_a == stored(engine, model_name, a.root.id)
    assert seen_b == stored(engine, model_name, b.root.id)
    assert seen_a and seen_b and not seen_a & seen_b


def test_names_and_ids_resolve_only_within_the_fractal(store: Any, two: Any) -> None:
    a, b = two
    pairs = [
        (store.resolve_goal, a.goal, b.goal, "Bach"),
        (store.resolve_activity, a.hanon, b.hanon, "Hanon"),
        (store.resolve_group, a.group, b.group, "Technique"),
        (store.resolve_template, a.template, b.template, "Daily"),
        (store.resolve_session, a.session, b.session, "Morning"),
        (store.resolve_target, a.target, b.target, a.target.name),
    ]
    for resolve, mine, theirs, name in pairs:
        assert resolve(a.root.id, name).id == mine.id  # same name in both: no ambiguity
        assert resolve(b.root.id, name).id == theirs.id
        for ref in (theirs.id, theirs.id[:8]):
            with pytest.raises(NotFound):
                resolve(a.root.id, ref)


def test_links_across_fractals_are_refused_and_write_nothing(
    engine: Any, store: Any, clock: Any, two: Any
) -> None:
    a, b = two
    a_bpm = a.metric(a.hanon, "BPM")
    live = store.start_session(a.root.id, name="Evening")
    calls: list[Callable[[], Any]] = [
        lambda: store.add_instance(live.id, b.hanon.id),
        lambda: store.add_target(a.goal.id, b.hanon.id, (ConditionSpec("BPM", ">=", 1),)),
        lambda: store.link_goal(live.id, b.goal.id),
        lambda: store.move_goal(a.subgoal.id, b.goal.id),
        lambda: store.edit_goal(a.subgoal.id, parent_id=b.goal.id),
        lambda: store.add_activity(a.root.id, "X", group_id=b.group.id),
        lambda: store.add_template(
            a.root.id, "T", sections=(TemplateSection("S", (TemplateItemSpec(b.hanon.id, 1),)),)
        ),
        lambda: store.record_value(b.hanon_run.id, a_bpm, 1, set_id=b.sets[0].id),
        lambda: store.start_session(b.root.id, goal_ids=[a.goal.id]),
    ]
    for call in calls:
        refused(engine, (Invalid, NotFound), call)


# --- soft delete, restore, purge across tables ---------------------------------------------

SESSION_DEPENDENTS = (
    "PracticeSession",
    "SessionGoal",
    "ActivityInstance",
    "WorkInterval",
    "ActivitySet",
    "MetricValue",
    "Note",
)


def live_counts(engine: Any, root_id: str) -> dict[str, int]:
    return {
        name: len(live_ids(engine, name, root_id))
        for name, model in MODELS.items()
        if issubclass(model, SoftDeletable)
    }


def test_deleting_a_session_hides_its_instances_sets_values_intervals_links_and_notes(
    engine: Any, store: Any, two: Any
) -> None:
    a, b = two
    before_a, before_b = live_counts(engine, a.root.id), live_counts(engine, b.root.id)
    summary = store.delete("session", a.session.id, a.root.id)
    after = live_counts(engine, a.root.id)
    for name in SESSION_DEPENDENTS:
        expected_gone = 2 if name == "Note" else before_a[name]  # the goal's note stays
        assert before_a[name] - after[name] == expected_gone, name
    assert after["Goal"] == before_a["Goal"] and after["Activity"] == before_a["Activity"]
    assert summary.counts == {
        "sessions": 1,
        "session goal links": 2,
        "activity instances": 2,
        "timer intervals": before_a["WorkInterval"],
        "sets": 2,
        "values": 6,
        "notes": 2,
    }
    assert live_counts(engine, b.root.id) == before_b
    assert store.sessions(a.root.id).items == ()
    with pytest.raises(NotFound):
        store.get_instance(a.hanon_run.id)
    store.restore(summary.batch)
    assert live_counts(engine, a.root.id) == before_a


def test_restore_brings_back_exactly_that_batch_not_what_was_deleted_before(
    engine: Any, store: Any, clock: Any, two: Any
) -> None:
    a, _ = two
    bpm = a.metric(a.hanon, "BPM")
    first_set = a.sets[0]
    alone = store.remove_set(first_set.id)  # deleted on its own (with its 2 values)
    assert alone.counts == {"sets": 1, "values": 2}
    clock.advance(minutes=1)
    store.record_value(a.hanon_run.id, bpm, None, set_id=a.sets[1].id)  # cleared: deleted
    clock.advance(minutes=1)
    before = live_counts(engine, a.root.id)
    session_batch = store.delete("session", a.session.id, a.root.id)
    store.restore(session_batch.batch)
    assert live_counts(engine, a.root.id) == before
    instance = store.get_instance(a.hanon_run.id)
    assert [x.id for x in instance.sets] == [a.sets[1].id]
    assert [v.value for v in instance.values] == [3]  # the cleared BPM stays cleared
    store.restore(alone.batch)
    assert len(store.get_instance(a.hanon_run.id).sets) == 2


def test_deleting_an_activity_takes_definitions_practice_template_items_and_targets(
    engine: Any, store: Any, two: Any
) -> None:
    a, b = two
    before_b = live_counts(engine, b.root.id)
    summary = store.delete("activity", a.hanon.id, a.root.id)
    assert summary.counts["metrics"] == 2
    assert summary.counts["activity instances"] == 1
    assert summary.counts["sets"] == 2 and summary.counts["values"] == 4
    assert summary.counts["template items"] == 1
    assert summary.counts["targets"] == 1 and summary.counts["target conditions"] == 1
    assert [i.activity_id for t in store.templates(a.root.id) for i in t.items] == [a.scales.id]
    assert store.targets(a.goal.id) == []
    assert live_counts(engine, b.root.id) == before_b
    assert store.check_invariants() == []


def test_deleting_a_goal_takes_subgoals_targets_session_links_and_notes(
    engine: Any, store: Any, two: Any
) -> None:
    a, _ = two
    summary = store.delete("goal", a.goal.id, a.root.id)
    assert summary.counts == {
        "goals": 2,
        "targets": 1,
        "target conditions": 1,
        "session goal links": 2,
        "notes": 1,
    }
    assert store.get_session(a.session.id).goal_ids == ()
    assert store.check_invariants() == []


def test_deleting_a_fractal_hides_every_table_and_restore_brings_it_all_back(
    engine: Any, store: Any, two: Any
) -> None:
    a, b = two
    before_a, before_b = live_counts(engine, a.root.id), live_counts(engine, b.root.id)
    summary = store.delete("fractal", a.root.id)
    assert all(n == 0 for n in live_counts(engine, a.root.id).values())
    assert sum(summary.counts.values()) == sum(before_a.values())
    assert live_counts(engine, b.root.id) == before_b
    assert [f.id for f in store.list_fractals()] == [b.root.id]
    store.restore(summary.batch)
    assert live_counts(engine, a.root.id) == before_a


def test_purge_removes_only_deleted_rows_and_only_old_enough(
    engine: Any, store: Any, clock: Any, two: Any
) -> None:
    a, b = two
    old = store.delete("session", a.session.id, a.root.id)
    clock.advance(days=10)
    recent = store.delete("activity", b.scales.id, b.root.id)
    clock.advance(days=1)
    live_before = {n: live_counts(engine, r.root.id) for n, r in (("a", a), ("b", b))}
    purged = store.purge(older_than_days=5)
    assert purged == {kind: n for kind, n in old.counts.items()}
    assert {n: live_counts(engine, r.root.id) for n, r in (("a", a), ("b", b))} == live_before
    assert rows(engine, "SELECT count(*) FROM sessions WHERE id = :i", i=a.session.id)[0][0] == 0
    assert [t.batch for t in store.trash()] == [recent.batch]
    assert store.check_invariants() == []


def test_purge_keeps_a_deleted_row_that_live_rows_still_point_at(
    engine: Any, store: Any, clock: Any, two: Any
) -> None:
    a, _ = two
    bpm, reps = a.hanon.metrics
    # Dropping "Reps" from the activity soft-deletes its definition; recorded values keep it.
    store.update_activity(a.hanon.id, metrics=[MetricSpec("BPM", "bpm", id=bpm.id)])
    clock.advance(days=30)
    store.purge(older_than_days=1)
    assert (
        rows(engine, "SELECT count(*) FROM metric_definitions WHERE id = :i", i=reps.id)[0][0] == 1
    )
    assert store.check_invariants() == []


# --- ordering ------------------------------------------------------------------------------


def orders(engine: Any, model_name: str, column: str, parent_id: str) -> list[tuple[str, int]]:
    return [
        (r[0], r[1])
        for r in rows(
            engine,
            f"SELECT id, sort_order FROM {table_of(model_name)} "
            f"WHERE {column} = :p AND deleted_at IS NULL ORDER BY sort_order, created_at",
            p=parent_id,
        )
    ]


@pytest.mark.parametrize(
    ("model_name", "column", "parent", "shift"),
    [
        ("ActivityInstance", "session_id", "session", "shift_instance"),
        ("ActivitySet", "instance_id", "hanon_run", "shift_set"),
        ("Activity", "group_id", "group", "shift_activity"),
        ("ActivityGroup", "root_id", "root", "shift_group"),
        ("SessionTemplate", "root_id", "root", "shift_template"),
        ("Target", "goal_id", "goal", "shift_target"),
        ("Goal", "parent_id", "goal", "shift_goal"),
    ],
)
def test_sort_order_appends_and_shifting_reorders(
    engine: Any,
    store: Any,
    clock: Any,
    two: Any,
    model_name: str,
    column: str,
    parent: str,
    shift: str,
) -> None:
    a, _ = two
    parent_id = getattr(a, parent).id
    add_more: dict[str, Callable[[], Any]] = {
        "ActivityInstance": lambda: None,
        "ActivitySet": lambda: None,
        "Activity": lambda: store.add_activity(a.root.id, "Arpeggios", group_id=a.group.id),
        "ActivityGroup": lambda: store.add_group(a.root.id, "Repertoire"),
        "SessionTemplate": lambda: store.add_template(a.root.id, "Weekend"),
        "Target": lambda: store.add_target(
            a.goal.id, a.scales.id, (ConditionSpec("BPM", ">=", 500),)
        ),
        "Goal": lambda: store.add_goal(a.goal.id, "Fugue"),
    }
    add_more[model_name]()
    before = orders(engine, model_name, column, parent_id)
    assert len(before) >= 2
    assert [o for _, o in before] == list(range(len(before)))  # appended: 0, 1, 2, ...
    last_id = before[-1][0]
    clock.advance(minutes=1)
    assert getattr(store, shift)(last_id, -1) is True
    after = orders(engine, model_name, column, parent_id)
    expected = [i for i, _ in before]
    expected[-2], expected[-1] = expected[-1], expected[-2]
    assert [i for i, _ in after] == expected
    assert [o for _, o in after] == list(range(len(after)))
    assert getattr(store, shift)(expected[0], -1) is False  # already first


def test_new_rows_go_last_per_scope(engine: Any, two: Any) -> None:
    a, b = two
    for model_name, column, parent in (
        ("ActivityInstance", "session_id", "session"),
        ("ActivitySet", "instance_id", "hanon_run"),
        ("MetricDefinition", "activity_id", "hanon"),
        ("SplitDefinition", "activity_id", "scales"),
        ("TemplateItem", "template_id", "template"),
    ):
        for fractal in (a, b):
            got = orders(engine, model_name, column, getattr(fractal, parent).id)
            assert [o for _, o in got] == list(range(len(got))), model_name
    assert all(issubclass(MODELS[n], Ordered) for n in ("ActivityInstance", "TemplateItem"))


# --- audit times ---------------------------------------------------------------------------


def audit(engine: Any, model_name: str, row_id: str) -> tuple[str, str]:
    [(created, updated)] = rows(
        engine, f"SELECT created_at, updated_at FROM {table_of(model_name)} WHERE id = :i", i=row_id
    )
    return str(created), str(updated)


@pytest.mark.parametrize(
    ("model_name", "row", "change"),
    [
        ("Goal", "goal", lambda st, f: st.update_goal(f.goal.id, description="x")),
        ("ActivityGroup", "group", lambda st, f: st.update_group(f.group.id, name="Tech")),
        ("Activity", "hanon", lambda st, f: st.update_activity(f.hanon.id, name="Hanon 1-10")),
        ("SessionTemplate", "template", lambda st, f: st.update_template(f.template.id, name="D")),
        ("PracticeSession", "session", lambda st, f: st.rename_session(f.session.id, "Late")),
        ("ActivityInstance", "scales_run", lambda st, f: st.shift_instance(f.scales_run.id, -1)),
        ("ActivitySet", "sets", lambda st, f: st.set_set_notes(f.sets[0].id, "hard")),
        ("Target", "target", lambda st, f: st.update_target(f.target.id, name="Fast")),
        ("Note", "notes", lambda st, f: st.update_note(f.notes[0].id, "slower")),
    ],
)
def test_updated_at_moves_on_change_and_created_at_does_not(
    engine: Any, store: Any, clock: Any, two: Any, model_name: str, row: str, change: Any
) -> None:
    a, _ = two
    target = getattr(a, row)
    row_id = (target[0] if isinstance(target, list) else target).id
    created, updated = audit(engine, model_name, row_id)
    clock.advance(minutes=10)
    change(store, a)
    created_after, updated_after = audit(engine, model_name, row_id)
    assert created_after == created
    assert updated_after != updated and updated_after > updated


def test_a_value_updated_in_place_keeps_its_created_at(
    engine: Any, store: Any, clock: Any, two: Any
) -> None:
    a, _ = two
    bpm = a.metric(a.hanon, "BPM")
    [value] = [
        v
        for v in store.get_instance(a.hanon_run.id).values
        if v.set_id == a.sets[0].id and v.metric_id == bpm
    ]
    created, updated = audit(engine, "MetricValue", value.id)
    clock.advance(minutes=3)
    again = store.record_value(a.hanon_run.id, bpm, 108, set_id=a.sets[0].id)
    assert again.id == value.id and again.value == 108
    assert audit(engine, "MetricValue", value.id)[0] == created
    assert audit(engine, "MetricValue", value.id)[1] > updated


# --- refusals write nothing ----------------------------------------------------------------


@pytest.fixture
def live(store: Any, clock: Any, two: Any) -> Any:
    """Fractal A with an unfinished session whose Hanon timer runs."""
    a, _ = two
    session = store.start_session(a.root.id, name="Evening")
    run = store.add_instance(session.id, a.hanon.id)
    store.start_timer(session.id, run.id)
    clock.advance(minutes=5)
    return a, session, run


@pytest.mark.parametrize(
    ("case", "error", "says"),
    [
        ("unknown goal parent", NotFound, "no goal"),
        ("unknown activity", NotFound, "no activity"),
        ("unknown instance", NotFound, ""),
        ("unknown metric", NotFound, ""),
        ("level not below parent", Invalid, "cannot sit under"),
        ("fourth metric", Invalid, "at most 3 metrics"),
        ("one split", Invalid, "2 to 5"),
        ("second running interval", Conflict, ""),
        ("second unfinished session", Conflict, "still active"),
        ("end before start", Invalid, "before it started"),
        ("instance end before start", Invalid, ""),
        ("NaN value", Invalid, "finite"),
        ("value for a missing split", Invalid, "name a split"),
    ],
)
def test_domain_errors_leave_the_database_unchanged(
    engine: Any, store: Any, live: Any, case: str, error: Any, says: str
) -> None:
    a, session, run = live
    bpm = a.metric(a.hanon, "BPM")
    four = tuple(MetricSpec(f"M{i}", "u") for i in range(4))
    # Some cases need a row first (an instance, a set); it is made before the snapshot.
    prepare: dict[str, Callable[[], Any]] = {
        "second running interval": lambda: store.add_instance(session.id, a.scales.id).id,
        "NaN value": lambda: store.add_set(run.id).id,
        "value for a missing split": lambda: store.add_instance(session.id, a.scales.id).id,
    }
    made = prepare.get(case, lambda: None)()
    calls: dict[str, Callable[[], Any]] = {
        "unknown goal parent": lambda: store.add_goal("no-such-goal", "X"),
        "unknown activity": lambda: store.add_instance(session.id, "no-such-activity"),
        "unknown instance": lambda: store.start_timer(session.id, "no-such-instance"),
        "unknown metric": lambda: store.record_value(
            run.id, "no-such-metric", 1, set_id=a.sets[0].id
        ),
        "level not below parent": lambda: store.add_goal(a.subgoal.id, "X", level=1),
        "fourth metric": lambda: store.add_activity(a.root.id, "X", metrics=four),
        "one split": lambda: store.add_activity(a.root.id, "X", splits=(SplitSpec("Left"),)),
        "second running interval": lambda: store.start_timer(session.id, made),
        "second unfinished session": lambda: store.start_session(a.root.id),
        "end before start": lambda: store.end_session(
            session.id, at=session.started_at - timedelta(minutes=1)
        ),
        "instance end before start": lambda: store.set_instance_times(
            run.id, session.started_at + timedelta(minutes=3), session.started_at
        ),
        "NaN value": lambda: store.record_value(run.id, bpm, float("nan"), set_id=made),
        "value for a missing split": lambda: store.record_value(made, a.scales.metrics[0].id, 90),
    }
    assert says in refused(engine, error, calls[case])


# --- check_invariants ----------------------------------------------------------------------


def test_check_invariants_is_empty_on_good_data(store: Any, two: Any) -> None:
    assert store.check_invariants() == []


def plant(engine: Any, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def test_check_invariants_reports_a_root_id_that_differs_from_the_parent(
    engine: Any, store: Any, two: Any
) -> None:
    a, b = two
    plant(
        engine,
        "UPDATE metric_values SET root_id = :r WHERE instance_id = :i",
        r=b.root.id,
        i=a.hanon_run.id,
    )
    problems = store.check_invariants()
    assert "4 values have a root_id different from their instance's" in problems


def test_check_invariants_reports_live_rows_under_a_deleted_parent(
    engine: Any, store: Any, two: Any
) -> None:
    a, _ = two
    plant(
        engine,
        "UPDATE sessions SET deleted_at = updated_at, delete_batch = 'x' WHERE id = :i",
        i=a.session.id,
    )
    problems = store.check_invariants()
    assert "2 visible activity instances hang under a deleted session" in problems


def test_check_invariants_reports_a_negative_duration(engine: Any, store: Any, two: Any) -> None:
    a, _ = two
    plant(engine, "UPDATE sessions SET duration_seconds = -5 WHERE id = :i", i=a.session.id)
    assert "1 sessions have a negative duration or paused time" in store.check_invariants()


@pytest.fixture
def sqlite_store(sqlite_url: str, clock: Any) -> Any:
    """A store over SQLite, whose constraints a raw connection can bypass to plant problems."""
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store

    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    yield Store(engine, clock=clock), sqlite_url.removeprefix("sqlite:///")
    engine.dispose()


def plant_raw(path: str, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Write with SQLite's foreign keys and check constraints off (as a buggy tool might)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def test_check_invariants_reports_planted_sqlite_problems(sqlite_store: Any, clock: Any) -> None:
    store, path = sqlite_store
    a = fill(store, clock, "Piano")
    b = fill(store, clock, "Violin")
    store.end_session(store.start_session(a.root.id, name="Second").id)
    clock.advance(minutes=1)
    assert store.check_invariants() == []
    interval = rows(
        store.engine, "SELECT id FROM work_intervals WHERE instance_id = :i", i=a.scales_run.id
    )[0][0]
    plant_raw(
        path,
        ("UPDATE metric_values SET metric_id = 'gone' WHERE instance_id = ?", (a.scales_run.id,)),
        (
            "UPDATE work_intervals SET ended_at = '2000-01-01 00:00:00.000000' WHERE id = ?",
            (interval,),
        ),
        ("UPDATE goals SET root_id = ? WHERE id = ?", (b.root.id, a.root.id)),
        ("DROP INDEX uq_sessions_one_unfinished", ()),
        ("UPDATE sessions SET completed_at = NULL, ended_at = NULL", ()),
        ("DROP INDEX uq_work_intervals_one_running", ()),
        ("UPDATE work_intervals SET ended_at = NULL WHERE session_id = ?", (b.session.id,)),
    )
    problems = store.check_invariants()
    assert "2 values point at a missing row through metric_id" in problems
    assert "1 timer intervals end before they start" in problems
    assert "1 root goals are not their own root" in problems
    assert "1 fractals have more than one unfinished session" in problems
    assert "1 sessions have more than one running timer" in problems
    assert store.check_invariants() == problems  # reading changes nothing
