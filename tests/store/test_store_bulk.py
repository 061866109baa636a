"""The bulk path: many rows in few statements, with root_id, order, audit times and checks."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from fractal_tui.errors import Invalid
from fractal_tui.store.bulk import BulkGoal, BulkInstance, BulkSession, BulkSet
from fractal_tui.views import ConditionSpec, MetricSpec, SplitSpec

DAY = datetime(2025, 6, 1, 7, 0, tzinfo=UTC)  # the fake clock says 2026-01-05 09:00


@pytest.fixture
def root(store: Any) -> str:
    return store.create_fractal("Piano").id


@pytest.fixture
def acts(store: Any, root: str) -> dict[str, Any]:
    return {
        "scales": store.add_activity(root, "Scales", metrics=(MetricSpec("bpm", "bpm"),)),
        "curl": store.add_activity(
            root,
            "Curl",
            has_sets=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
    }


def ids(view: Any) -> tuple[list[str], list[str]]:
    return [m.id for m in view.metrics], [sp.id for sp in view.splits]


def session(acts: dict[str, Any], day: int, *, bpm: float = 100.0, **kw: Any) -> BulkSession:
    """A 30-minute session on day `day` after DAY: Scales (no sets), then Curl (2 sets)."""
    start = DAY + timedelta(days=day)
    (bpm_id,), _ = ids(acts["scales"])
    (weight, reps), (left, right) = ids(acts["curl"])
    sets = tuple(
        BulkSet(values=((weight, left, 12.0 + k), (weight, right, 12.0), (reps, left, 8.0)))
        for k in range(2)
    )
    return BulkSession(
        started_at=start,
        ended_at=start + timedelta(minutes=30),
        instances=(
            BulkInstance(
                acts["scales"].id,
                intervals=((start, start + timedelta(minutes=10)),),
                completed_at=start + timedelta(minutes=10),
                values=((bpm_id, None, bpm),),
            ),
            BulkInstance(
                acts["curl"].id,
                intervals=((start + timedelta(minutes=11), start + timedelta(minutes=25)),),
                sets=sets,
            ),
        ),
        **kw,
    )


def row_counts(engine: Any) -> dict[str, int]:
    tables = (
        "goals",
        "sessions",
        "session_goals",
        "activity_instances",
        "work_intervals",
        "activity_sets",
        "metric_values",
        "events",
    )
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}


def mismatched_roots(engine: Any) -> int:
    """Rows whose root_id differs from their parent's, over every bulk-written link."""
    links = (
        ("sessions", "root_id", "goals"),
        ("session_goals", "session_id", "sessions"),
        ("activity_instances", "session_id", "sessions"),
        ("work_intervals", "instance_id", "activity_instances"),
        ("activity_sets", "instance_id", "activity_instances"),
        ("metric_values", "instance_id", "activity_instances"),
        ("metric_values", "set_id", "activity_sets"),
        ("goals", "parent_id", "goals"),
    )
    total = 0
    with engine.connect() as conn:
        for child, column, parent in links:
            total += conn.execute(
                text(
                    f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{column} "
                    "WHERE c.root_id != p.root_id"
                )
            ).scalar()
    return total


# --- goals -------------------------------------------------------------------------------


def test_bulk_goals_derive_root_level_and_order(store: Any, root: str, engine: Any) -> None:
    first = store.add_goal(root, "Existing child")
    result = store.bulk_add_goals(
        root,
        [
            BulkGoal("Technique"),  # under the root, after "Existing child"
            BulkGoal("Scales", parent=0),  # under goal 0 of this call
            BulkGoal("Arpeggios", parent=0, level=4),
            BulkGoal("Under existing", parent=first.id),
        ],
    )
    assert result.counts == {"goals": 4} and len(result.ids) == 4
    tree = {g.name: g for g in store.goals(root)}
    assert tree["Technique"].parent_id == root
    assert tree["Technique"].sort_order == first.sort_order + 1
    assert tree["Scales"].parent_id == tree["Technique"].id
    assert tree["Scales"].level == tree["Technique"].level + 1  # next rank by default
    assert (tree["Scales"].sort_order, tree["Arpeggios"].sort_order) == (0, 1)
    assert tree["Arpeggios"].level == 4
    assert tree["Under existing"].parent_id == first.id
    assert {g.root_id for g in tree.values()} == {root}
    assert mismatched_roots(engine) == 0
    assert store.check_invariants() == []


@pytest.mark.parametrize(
    "goals",
    [
        [BulkGoal("Ok"), BulkGoal("Bad parent", parent=5)],
        [BulkGoal("Ok"), BulkGoal("Forward", parent=1)],
        [BulkGoal("Ok"), BulkGoal("")],
        [BulkGoal("Ok"), BulkGoal("Bad\x07name")],
        [BulkGoal("Ok", level=3), BulkGoal("Same level", parent=0, level=3)],
        [BulkGoal("Ok"), BulkGoal("No such goal", parent="0000-nope")],
    ],
)
def test_bad_bulk_goals_write_nothing(store: Any, root: str, engine: Any, goals: list) -> None:
    before = row_counts(engine)
    with pytest.raises(Invalid):
        store.bulk_add_goals(root, goals)
    assert row_counts(engine) == before


def test_bulk_goals_refuse_a_goal_of_another_fractal(store: Any, root: str, engine: Any) -> None:
    other = store.create_fractal("Chess")
    elsewhere = store.add_goal(other.id, "Openings")
    before = row_counts(engine)
    with pytest.raises(Invalid, match="no goal"):
        store.bulk_add_goals(root, [BulkGoal("Sneaky", parent=elsewhere.id)])
    assert row_counts(engine) == before


# --- sessions ----------------------------------------------------------------------------


def test_bulk_sessions_apply_the_built_in_rules(
    store: Any, root: str, acts: dict[str, Any], engine: Any, clock: Any
) -> None:
    goal = store.add_goal(root, "Bach")
    live = store.start_session(root, at=clock.now - timedelta(hours=1))
    store.end_session(live.id)
    clock.advance(minutes=5)
    result = store.bulk_add_sessions(
        root,
        (session(acts, d, goal_ids=(goal.id, goal.id), name=f"Day {d}") for d in range(5)),
        chunk=2,
    )
    assert result.counts == {
        "sessions": 5,
        "session goal links": 5,
        "activity instances": 10,
        "timer intervals": 10,
        "sets": 10,
        "values": 35,
    }
    assert store.check_invariants() == []
    assert mismatched_roots(engine) == 0
    # Through the ordinary reads: order after the existing session, audit times, duration.
    views = [store.get_session(sid) for sid in result.ids]
    assert [v.name for v in views] == [f"Day {d}" for d in range(5)]
    with engine.connect() as conn:
        orders = dict(conn.execute(text("SELECT id, sort_order FROM sessions")).all())
    assert [orders[sid] for sid in result.ids] == [1, 2, 3, 4, 5]
    assert orders[live.id] == 0
    assert all(v.created_at == v.updated_at == clock.now for v in views)
    assert all(v.root_id == root and v.done for v in views)
    assert views[0].duration_seconds == 30 * 60
    assert views[0].goal_names == ("Bach",)
    detail = store.session_detail(result.ids[0])
    scales, curl = detail.instances
    assert (scales.activity_name, scales.sort_order, curl.sort_order) == ("Scales", 0, 1)
    assert [v.value for v in scales.values] == [100.0]
    assert [s.sort_order for s in curl.sets] == [0, 1]
    assert {s.status for s in curl.sets} == {"completed"}
    assert sorted(v.value for v in curl.values if v.set_id == curl.sets[1].id) == [8, 12, 13]


def test_bulk_sessions_use_few_statements(
    store: Any, root: str, acts: dict[str, Any], engine: Any
) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    store.bulk_add_sessions(root, (session(acts, d) for d in range(40)), chunk=100)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    # One executemany per table (+ the event), not one statement per row (560 rows here).
    assert len(inserts) <= 8
    assert len(statements) < 30


def test_bulk_sessions_reevaluate_targets(store: Any, root: str, acts: dict[str, Any]) -> None:
    goal = store.add_goal(root, "Fast scales")
    (bpm_id,), _ = ids(acts["scales"])
    target = store.add_target(goal.id, acts["scales"].id, [ConditionSpec(bpm_id, ">=", 150)])
    assert store.get_target(target.id).met_at is None
    store.bulk_add_sessions(root, [session(acts, 0, bpm=120), session(acts, 1, bpm=160)])
    assert store.get_target(target.id).met_at is not None


def test_bulk_sessions_show_in_history(store: Any, root: str, acts: dict[str, Any]) -> None:
    store.bulk_add_sessions(root, [session(acts, 0)])
    assert any("in bulk" in e.message for e in store.history(root))


def _bad(acts: dict[str, Any], other_activity: Any) -> dict[str, Any]:
    """Sessions that break one rule each (the second session of a list of two)."""
    (bpm_id,), _ = ids(acts["scales"])
    (weight, _reps), (left, _right) = ids(acts["curl"])
    ok = session(acts, 3)
    start = ok.started_at
    inst = ok.instances[0]

    def with_instance(**changes: Any) -> BulkSession:
        fields = {
            "activity_id": inst.activity_id,
            "intervals": inst.intervals,
            "completed_at": inst.completed_at,
            "values": inst.values,
        }
        fields.update(changes)
        return BulkSession(ok.started_at, ok.ended_at, instances=(BulkInstance(**fields),))

    return {
        "unsorted": session(acts, 1),
        "future": BulkSession(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC)),
        "naive": BulkSession(datetime(2025, 7, 1), datetime(2025, 7, 1, 1)),
        "ends before start": BulkSession(start, start - timedelta(minutes=1)),
        "paused too long": BulkSession(start, start + timedelta(minutes=1), paused_seconds=61),
        "control name": session(acts, 3, name="bad\x1bname"),
        "no such goal": session(acts, 3, goal_ids=("nope",)),
        "activity of another fractal": with_instance(activity_id=other_activity.id),
        "interval outside": with_instance(
            intervals=((start, ok.ended_at + timedelta(minutes=1)),), completed_at=None
        ),
        "overlap": BulkSession(
            start,
            ok.ended_at,
            instances=(inst, BulkInstance(inst.activity_id, intervals=inst.intervals)),
        ),
        "overlaps the session before": BulkSession(
            DAY + timedelta(days=2, minutes=5),
            DAY + timedelta(days=2, minutes=40),
            instances=(
                BulkInstance(
                    inst.activity_id,
                    intervals=(
                        (DAY + timedelta(days=2, minutes=5), DAY + timedelta(days=2, minutes=8)),
                    ),
                ),
            ),
        ),
        "completed before timer ended": with_instance(completed_at=start),
        "NaN": with_instance(values=((bpm_id, None, math.nan),)),
        "inf": with_instance(values=((bpm_id, None, math.inf),)),
        "metric of another activity": with_instance(values=((weight, None, 1.0),)),
        "split on unsplit activity": with_instance(values=((bpm_id, left, 1.0),)),
        "same cell twice": with_instance(values=((bpm_id, None, 1.0), (bpm_id, None, 2.0))),
        "sets on no-sets activity": with_instance(values=(), sets=(BulkSet(),)),
        "values outside sets": with_instance(
            activity_id=acts["curl"].id, values=((weight, left, 1.0),)
        ),
        "missing split": with_instance(
            activity_id=acts["curl"].id,
            values=(),
            sets=(BulkSet(values=((weight, None, 1.0),)),),
        ),
        "bad set status": with_instance(
            activity_id=acts["curl"].id, values=(), sets=(BulkSet(status="done"),)
        ),
    }


CASES = [
    "unsorted",
    "future",
    "naive",
    "ends before start",
    "paused too long",
    "control name",
    "no such goal",
    "activity of another fractal",
    "interval outside",
    "overlap",
    "overlaps the session before",
    "completed before timer ended",
    "NaN",
    "inf",
    "metric of another activity",
    "split on unsplit activity",
    "same cell twice",
    "sets on no-sets activity",
    "values outside sets",
    "missing split",
    "bad set status",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_bulk_sessions_write_nothing(
    store: Any, root: str, acts: dict[str, Any], engine: Any, case: str
) -> None:
    other = store.create_fractal("Chess")
    other_activity = store.add_activity(other.id, "Openings")
    bad = _bad(acts, other_activity)[case]
    before = row_counts(engine)
    # The first session is valid and, with chunk=1, already sent when the bad one comes.
    with pytest.raises(Invalid):
        store.bulk_add_sessions(root, [session(acts, 2), bad], chunk=1)
    assert row_counts(engine) == before
    assert store.check_invariants() == []


def test_bulk_refuses_an_unknown_fractal(store: Any, engine: Any) -> None:
    before = row_counts(engine)
    with pytest.raises(Exception, match="no goal"):
        store.bulk_add_sessions("not-a-fractal", [])
    assert row_counts(engine) == before


# --- batched: many store calls, few commits -----------------------------------------------


def goal_names(engine: Any) -> set[str]:
    """Goals another connection can see (committed ones), read without the write lock."""
    with engine.connect().execution_options(fractal_read_only=True) as conn:
        return set(conn.execute(text("SELECT name FROM goals")).scalars())


def test_batched_units_are_atomic_and_committed_in_steps(
    store: Any, root: str, engine: Any
) -> None:
    with store.batched(commit_every=2, commit_seconds=3600) as unit:
        with unit():
            store.add_goal(root, "One")
        assert "One" not in goal_names(engine)  # not committed yet
        with pytest.raises(Invalid), unit():
            store.add_goal(root, "Two")  # written, then undone with its unit
            store.add_goal(root, "")
        with unit():
            store.add_goal(root, "Three")
        assert {"One", "Three"} <= goal_names(engine)  # two units: committed
        with unit():
            store.add_goal(root, "Four")
        assert [g.name for g in store.goals(root)][1:] == ["One", "Three", "Four"]
    assert goal_names(engine) == {"Piano", "One", "Three", "Four"}
    assert store.check_invariants() == []
    store.add_goal(root, "After")  # the store is back to its own transactions
    assert "After" in goal_names(engine)


def test_batched_keeps_finished_units_when_the_caller_stops(
    store: Any, root: str, engine: Any
) -> None:
    with pytest.raises(KeyError), store.batched() as unit:
        with unit():
            store.add_goal(root, "Kept")
        raise KeyError("stopped")
    assert goal_names(engine) == {"Piano", "Kept"}


# --- planner statistics after a bulk load (SQLite) ------------------------------------------


def test_a_grown_database_gets_planner_statistics_once(sqlite_url: str, clock: Any) -> None:
    from fractal_tui import db
    from fractal_tui.store import Store

    engine = db.make_engine(sqlite_url)
    db.ensure_schema(engine)
    store = Store(engine, clock=clock)
    root = store.create_fractal("Piano").id
    acts = {
        "scales": store.add_activity(root, "Scales", metrics=(MetricSpec("bpm", "bpm"),)),
        "curl": store.add_activity(
            root,
            "Curl",
            has_sets=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
    }
    assert db.refresh_statistics(engine) is False  # too small to matter
    store.bulk_add_sessions(root, (session(acts, d) for d in range(150)))  # 1050 values
    db.ensure_schema(engine)  # what every command does first

    def stats() -> int:
        with engine.connect().execution_options(fractal_read_only=True) as conn:
            return conn.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar()

    assert stats() > 0
    assert db.refresh_statistics(engine) is False  # not grown since
    assert db.refresh_statistics(engine, force=True) is True
    engine.dispose()
