"""`fractal demo` and ``fractal_tui.demo.load_demo``: a realistic, valid, deterministic fractal."""

import json
import re
import statistics
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel

from fractal_tui.demo import DEMO_NAME, SESSIONS_PER_SCALE, load_demo
from fractal_tui.errors import Conflict, Invalid


def db_state(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(t.select()))
            for t in SQLModel.metadata.sorted_tables
        }


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def all_sessions(store: Any, root_id: str) -> list[Any]:
    """Every session, oldest first, with its detail (instances, intervals, sets, values)."""
    page = store.sessions(root_id, limit=10_000)
    return [store.session_detail(s.id) for s in reversed(page.items)]


def counts(store: Any, root_id: str) -> dict[str, int]:
    details = all_sessions(store, root_id)
    instances = [i for d in details for i in d.instances]
    return {
        "goals": len(store.goals(root_id)),
        "sessions": len(details),
        "instances": len(instances),
        "intervals": sum(len(i.intervals) for i in instances),
        "sets": sum(len(i.sets) for i in instances),
        "values": sum(len(i.values) for i in instances),
    }


# --- the command ---------------------------------------------------------------------------


def test_demo_on_a_fresh_database_passes_db_check(run: Any, store: Any) -> None:
    line = ok(run("demo")).stdout.strip()
    assert re.fullmatch(
        rf"Created demo fractal '{DEMO_NAME}': 16 goals, 6 activities, 18 sessions "
        r"\(id [0-9a-f]{8}\)",
        line,
    ), line
    check = ok(run("db", "check"))
    assert "No problems found." in check.stdout
    assert store.check_invariants() == []
    # every part of the practice loop is filled
    root = store.resolve_fractal(DEMO_NAME)
    n = counts(store, root.id)
    assert n["goals"] == 17  # the root and 16 goals
    assert n["sessions"] == SESSIONS_PER_SCALE == 18
    assert n["instances"] > 3 * n["sessions"]
    assert n["intervals"] > n["instances"]  # some pauses split an instance's time
    assert n["sets"] == 3 * n["sessions"]  # Hanon: three sets each session
    assert n["values"] > 2 * n["instances"]


def test_demo_scale_multiplies_the_history(run: Any, store: Any) -> None:
    ok(run("demo", "--scale", "2"))
    root = store.resolve_fractal(DEMO_NAME)
    n = counts(store, root.id)
    assert n["sessions"] == 2 * SESSIONS_PER_SCALE
    assert n["goals"] == 17  # the plan does not grow, the history does
    assert 2 * 3 * SESSIONS_PER_SCALE <= n["instances"] <= 2 * 5 * SESSIONS_PER_SCALE
    assert store.check_invariants() == []


def test_demo_json(run: Any, clock: Any) -> None:
    data = json.loads(ok(run("demo", "--json")).stdout)
    assert data["name"] == DEMO_NAME and data["root_id"] == data["id"]
    assert data["level_name"] == "ultimate"
    assert data["created_at"] == clock.now.isoformat()
    assert {"updated_at", "goal_count", "activity_count", "session_count"} <= set(data)
    assert data["session_count"] == 18 and data["activity_count"] == 6
    assert data["goal_count"] == 16 and data["completed_count"] >= 4


def test_a_second_demo_is_refused_and_writes_nothing(run: Any, engine: Any) -> None:
    ok(run("demo"))
    before = db_state(engine)
    result = run("demo")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: there is already a fractal named '{DEMO_NAME}'")
    assert "fractal delete fractal" in result.stderr
    assert db_state(engine) == before


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["demo", "--scale", "0"], 1, "from 1 to 1000"),
        (["demo", "--scale", "-3"], 1, "from 1 to 1000"),
        (["demo", "--scale", "1001"], 1, "from 1 to 1000"),
        (["demo", "--scale", "two"], 2, "not a valid integer"),
    ],
)
def test_demo_bad_scale_writes_nothing(
    run: Any, engine: Any, args: list[str], code: int, says: str
) -> None:
    before = db_state(engine)
    result = run(*args)
    assert result.exit_code == code
    assert says in result.stderr and "Traceback" not in result.stderr
    assert db_state(engine) == before


# --- what the demo holds -------------------------------------------------------------------


@pytest.fixture
def demo(store: Any) -> Any:
    return load_demo(store)


def test_load_demo_returns_the_root_goal(store: Any, demo: Any) -> None:
    assert demo.is_root and demo.name == DEMO_NAME and demo.root_id == demo.id
    assert [f.id for f in store.list_fractals()] == [demo.id]
    with pytest.raises(Conflict, match="already a fractal named"):
        load_demo(store)


def test_goals_are_several_levels_deep_with_deadlines_and_some_done(
    store: Any, clock: Any, demo: Any
) -> None:
    goals = store.goals(demo.id)
    assert {g.level for g in goals} == {0, 1, 2, 3, 4, 5}
    today = clock.now.astimezone().date()
    open_with_deadline = [g for g in goals if g.deadline and not g.done]
    assert len(open_with_deadline) >= 8
    assert all(g.deadline > today for g in open_with_deadline)
    done = [g for g in goals if g.done]
    assert len(done) >= 5
    assert {g.completed_by for g in done} == {"manual", "targets"}
    by_id = {g.id: g for g in goals}
    for g in goals:
        if g.parent_id is not None:
            assert g.level > by_id[g.parent_id].level


def test_activities_groups_metrics_sets_and_splits(store: Any, demo: Any) -> None:
    assert [g.name for g in store.groups(demo.id)] == ["Technique", "Repertoire", "Sight-reading"]
    by_name = {a.name: a for a in store.activities(demo.id)}
    hanon = by_name["Hanon exercises"]
    assert hanon.has_sets and hanon.metrics_multiplicative and not hanon.has_splits
    assert [(m.name, m.unit) for m in hanon.metrics] == [("BPM", "bpm"), ("Repetitions", "reps")]
    scales = by_name["Hands-separate scales"]
    assert scales.has_splits and [sp.name for sp in scales.splits] == ["Left", "Right"]
    units = {m.unit for a in by_name.values() for m in a.metrics}
    assert {"bpm", "min", "%"} <= units
    assert all(a.group_id is not None for a in by_name.values())


def test_sessions_are_recent_completed_and_timed(store: Any, clock: Any, demo: Any) -> None:
    details = all_sessions(store, demo.id)
    now = clock.now
    assert all(d.session.done for d in details)
    starts = [d.session.started_at for d in details]
    assert starts == sorted(starts)
    assert now - timedelta(days=2) < starts[-1] < now
    assert starts[0] > now - timedelta(days=2 * SESSIONS_PER_SCALE + 1)
    for d in details:
        assert d.session.duration_seconds and d.session.duration_seconds > 0
        spans = sorted((iv.started_at, iv.ended_at) for iv in d.intervals)
        assert all(end is not None and start < end for start, end in spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # no overlap
        assert d.session.started_at <= spans[0][0] and spans[-1][1] <= d.session.ended_at
        assert d.goals  # every session works on goals
    paused = [d for d in details if d.session.paused_seconds > 0]
    assert paused and all(len(d.intervals) > len(d.instances) for d in paused)


def test_values_improve_over_time(store: Any, demo: Any) -> None:
    details = all_sessions(store, demo.id)
    hanon = next(a for a in store.activities(demo.id) if a.name == "Hanon exercises")
    bpm_id = next(m.id for m in hanon.metrics if m.name == "BPM")

    def mean_bpm(part: list[Any]) -> float:
        return statistics.mean(
            v.value
            for d in part
            for i in d.instances
            if i.activity_id == hanon.id
            for v in i.values
            if v.metric_id == bpm_id
        )

    assert mean_bpm(details[-4:]) > mean_bpm(details[:4]) + 20
    scales = next(a for a in store.activities(demo.id) if a.name == "Hands-separate scales")
    sides = {
        v.split_id
        for d in details
        for i in d.instances
        if i.activity_id == scales.id
        for v in i.values
    }
    assert sides == {sp.id for sp in scales.splits}


def test_targets_notes_and_events(store: Any, demo: Any) -> None:
    goals = {g.name: g for g in store.goals(demo.id)}
    hanon_goal = goals["Hanon 1-10 at 100 BPM, three repetitions"]
    [target] = store.targets(hanon_goal.id)
    assert target.met_at is not None and hanon_goal.completed_by == "targets"
    scales_goal = goals["Scales: every key at 132 BPM, both hands"]
    assert [t.met_at for t in store.targets(scales_goal.id)] == [None]  # still to reach
    sight_goal = goals["Sight-read every other day"]
    [sight] = store.targets(sight_goal.id)
    newest = store.sessions(demo.id, limit=2).items
    assert sight.met_session_id == newest[1].id  # met live, in the second newest session
    assert sight_goal.completed_by == "targets"
    assert store.notes(demo.id)
    [template] = store.templates(demo.id)
    assert template.name == "Daily practice"
    assert [i.planned_minutes for i in template.items] == [10, 10, 25, 10]
    kinds = {e.kind for e in store.history(demo.id, limit=1000)}
    assert {"session_completed", "target_met", "goal_completed", "imported"} <= kinds


def test_the_demo_is_deterministic(store: Any, clock: Any, tmp_path: Path, demo: Any) -> None:
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store

    other_engine = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    ensure_schema(other_engine)
    try:
        twin = Store(other_engine, clock=clock)
        twin_root = load_demo(twin)

        def shape(s: Any, root_id: str) -> list[Any]:
            names = {a.id: a.name for a in s.activities(root_id)}
            return [
                (
                    d.session.name,
                    d.session.started_at,
                    d.session.ended_at,
                    [
                        (names[i.activity_id], sorted(v.value for v in i.values))
                        for i in d.instances
                    ],
                )
                for d in all_sessions(s, root_id)
            ]

        assert shape(store, demo.id) == shape(twin, twin_root.id)
    finally:
        other_engine.dispose()


def test_another_name_makes_a_second_independent_demo(store: Any, demo: Any) -> None:
    second = load_demo(store, name="Second pianist")
    assert store.check_invariants() == []
    assert {g.root_id for g in store.goals(second.id)} == {second.id}
    assert len(store.sessions(second.id).items) == len(store.sessions(demo.id).items)
    assert not {a.id for a in store.activities(second.id)} & {
        a.id for a in store.activities(demo.id)
    }


@pytest.mark.parametrize("scale", [0, -1, 1001, 1.5, True])
def test_load_demo_refuses_a_bad_scale(engine: Any, store: Any, scale: Any) -> None:
    before = db_state(engine)
    with pytest.raises(Invalid):
        load_demo(store, scale=scale)
    assert db_state(engine) == before


def test_the_demo_uses_only_public_store_methods() -> None:
    import fractal_tui.demo as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    assert not re.search(r"store\._|\.(_tx|_read|_insert|_update)\(", source)
    for heavy in ("sqlalchemy", "sqlmodel", "textual", "execute("):
        assert heavy not in source


# --- real processes ------------------------------------------------------------------------

_MAIN = "import sys; from fractal_tui.cli import main; sys.argv[0] = 'fractal'; main()"


def _fractal(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("fractal")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", _MAIN]
    return subprocess.run([*cmd, "--db", db, *args], capture_output=True, text=True, timeout=300)


def test_real_process_demo_then_db_check(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    made = _fractal(db, "demo")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"Created demo fractal '{DEMO_NAME}'")
    check = _fractal(db, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    again = _fractal(db, "demo")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert again.stderr.startswith("Error: there is already a fractal named")
