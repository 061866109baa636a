"""Targets in the store: validation, evaluation on practice, goals completing and reverting,
progress, "vs last time", and parents completing with their children."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from fractal_tui.errors import FractalError, Invalid, NotFound
from fractal_tui.views import ConditionSpec, MetricSpec

# --- helpers -------------------------------------------------------------------------------


def db_state(store: Any) -> dict[str, list[tuple]]:
    """Every row of every table (deleted ones too), to prove a rejection wrote nothing."""
    out = {}
    with store.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


@dataclass
class World:
    store: Any
    clock: Any
    root: Any
    goal: Any
    squat: Any  # sets, weight x reps
    run: Any  # no sets: distance (km), time (min, lower is better)

    def metric(self, activity: Any, name: str) -> str:
        return next(m.id for m in activity.metrics if m.name == name)

    def session(
        self,
        activity: Any,
        *,
        sets: list[dict[str, float]] | None = None,
        values: dict[str, float] | None = None,
        complete: bool = True,
        end: bool = True,
        skipped: tuple[int, ...] = (),
    ) -> tuple[Any, Any]:
        """One session with one instance of an activity; returns (session, instance)."""
        st = self.store
        session = st.start_session(self.root.id)
        instance = st.add_instance(session.id, activity.id)
        for n, cells in enumerate(sets or []):
            status = "skipped" if n in skipped else "completed"
            row = st.add_set(instance.id, status=status)
            for name, v in cells.items():
                st.record_value(instance.id, self.metric(activity, name), v, set_id=row.id)
        for name, v in (values or {}).items():
            st.record_value(instance.id, self.metric(activity, name), v)
        self.clock.advance(minutes=10)
        if complete:
            st.complete_instance(instance.id)
        if end:
            st.end_session(session.id)
        self.clock.advance(minutes=1)
        return session, instance


@pytest.fixture
def w(store: Any, clock: Any) -> World:
    root = store.create_fractal("Strength")
    goal = store.add_goal(root.id, "Squat 100 kg")
    squat = store.add_activity(
        root.id,
        "Squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
    )
    run = store.add_activity(
        root.id,
        "Run",
        metrics=(
            MetricSpec("distance", "km"),
            MetricSpec("time", "min", is_multiplicative=False, higher_is_better=False),
        ),
    )
    return World(store, clock, root, goal, squat, run)


def kinds(store: Any, root_id: str) -> list[str]:
    """Event kinds, oldest first (events of one instant come in no particular order)."""
    return [e.kind for e in reversed(store.history(root_id, limit=500))]


# --- adding targets ------------------------------------------------------------------------


def test_add_target_with_metric_names_and_a_readable_name(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("WEIGHT", ">=", 100)])
    assert t.goal_id == w.goal.id and t.root_id == w.root.id and t.kind == "threshold"
    assert t.name == "Squat: weight >= 100 kg" and t.activity_name == "Squat"
    (c,) = t.conditions
    assert (c.metric_id, c.op, c.value, c.metric_name, c.unit) == (
        w.metric(w.squat, "weight"),
        ">=",
        100,
        "weight",
        "kg",
    )
    assert t.met_at is None
    assert "target_created" in kinds(w.store, w.root.id)
    assert [x.id for x in w.store.targets(w.goal.id)] == [t.id]
    assert [x.id for x in w.store.goal_detail(w.goal.id).targets] == [t.id]


def test_add_target_by_metric_id_and_operator_alias(w: World) -> None:
    reps = w.metric(w.squat, "reps")
    t = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec(reps, "=", 10)], name="Tens")
    assert t.name == "Tens" and t.conditions[0].op == "==" and t.conditions[0].metric_id == reps


def test_frequency_and_sum_targets(w: World) -> None:
    f = w.store.add_target(w.goal.id, w.run.id, kind="frequency", count=3)
    assert f.kind == "frequency" and f.count == 3 and f.conditions == ()
    assert f.name == "Run: 3 sessions"
    total = w.store.add_target(
        w.goal.id,
        w.run.id,
        [ConditionSpec("distance", ">=", 42)],
        kind="sum",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 31),
    )
    assert total.starts_on == date(2026, 1, 1) and total.ends_on == date(2026, 1, 31)
    assert total.name == "Run: sum distance >= 42 km"


BAD_TARGETS = [
    ({"conditions": [ConditionSpec("speed", ">=", 1)]}, "has no metric 'speed'"),
    ({"conditions": [ConditionSpec("distance", ">=", 1)]}, "has no metric 'distance'"),
    ({"conditions": [ConditionSpec("weight", ">=", math.nan)]}, "finite"),
    ({"conditions": [ConditionSpec("weight", ">=", math.inf)]}, "finite"),
    ({"conditions": [ConditionSpec("weight", "!=", 1)]}, "unknown operator"),
    ({"conditions": []}, "needs at least one condition"),
    ({"conditions": [], "kind": "sum"}, "needs at least one condition"),
    ({"conditions": [], "kind": "frequency"}, "needs a count"),
    ({"conditions": [], "kind": "frequency", "count": 0}, "1 or more"),
    ({"conditions": [ConditionSpec("weight", ">=", 1)], "count": 2}, "only applies to frequency"),
    ({"conditions": [ConditionSpec("weight", ">=", 1)], "kind": "weekly"}, "unknown target kind"),
    (
        {
            "conditions": [ConditionSpec("weight", ">=", 1)],
            "starts_on": date(2026, 2, 1),
            "ends_on": date(2026, 1, 1),
        },
        "ends",
    ),
    ({"conditions": [ConditionSpec("weight", ">=", 1)], "name": "bad\x07name"}, "control"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_TARGETS)
def test_bad_targets_are_rejected_and_write_nothing(
    w: World, kwargs: dict[str, Any], message: str
) -> None:
    before = db_state(w.store)
    kwargs = dict(kwargs)
    conditions = kwargs.pop("conditions")
    with pytest.raises(Invalid, match=message):
        w.store.add_target(w.goal.id, w.squat.id, conditions, **kwargs)
    assert db_state(w.store) == before


def test_target_on_missing_goal_or_activity_of_another_fractal(w: World) -> None:
    other = w.store.create_fractal("Music")
    scales = w.store.add_activity(other.id, "Scales", metrics=(MetricSpec("bpm", "bpm"),))
    before = db_state(w.store)
    with pytest.raises(FractalError, match="another fractal|no activity"):
        w.store.add_target(w.goal.id, scales.id, [ConditionSpec("bpm", ">=", 100)])
    with pytest.raises(NotFound):
        w.store.add_target("no-such-goal", w.squat.id, [ConditionSpec("weight", ">=", 1)])
    assert db_state(w.store) == before


# --- threshold targets and goals -------------------------------------------------------------


def test_threshold_met_on_completion_completes_the_goal(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("weight", ">=", 100)])
    st = w.store
    session = st.start_session(w.root.id)
    inst = st.add_instance(session.id, w.squat.id)
    for kg in (95, 105):
        row = st.add_set(inst.id, status="completed")
        st.record_value(inst.id, w.metric(w.squat, "weight"), kg, set_id=row.id)
    assert st.get_target(t.id).met_at is None  # an unfinished instance does not count yet
    w.clock.advance(minutes=7)
    st.complete_instance(inst.id)
    met = st.get_target(t.id)
    assert met.met_at == w.clock.now and met.met_session_id == session.id
    goal = st.get_goal(w.goal.id)
    assert goal.completed_at is not None and goal.completed_by == "targets"
    assert set(kinds(st, w.root.id)[-2:]) == {"target_met", "goal_completed"}


def test_threshold_needs_every_condition_in_one_set(w: World) -> None:
    t = w.store.add_target(
        w.goal.id,
        w.squat.id,
        [ConditionSpec("weight", ">=", 100), ConditionSpec("reps", ">=", 5)],
    )
    w.session(w.squat, sets=[{"weight": 100, "reps": 3}, {"weight": 80, "reps": 8}])
    assert w.store.get_target(t.id).met_at is None
    w.session(w.squat, sets=[{"weight": 100, "reps": 5}])
    assert w.store.get_target(t.id).met_at is not None


def test_goal_completes_only_when_every_target_is_met(w: World) -> None:
    a = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("weight", ">=", 100)])
    b = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    w.session(w.squat, sets=[{"weight": 100, "reps": 1}])
    assert w.store.get_target(a.id).met_at is not None
    assert w.store.get_goal(w.goal.id).completed_at is None
    w.session(w.run, values={"distance": 5.2, "time": 30})
    assert w.store.get_target(b.id).met_at is not None
    assert w.store.get_goal(w.goal.id).completed_by == "targets"


def test_skipped_sets_do_not_meet_targets(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("weight", ">=", 100)])
    w.session(w.squat, sets=[{"weight": 120, "reps": 1}, {"weight": 90, "reps": 5}], skipped=(0,))
    assert w.store.get_target(t.id).met_at is None


def test_values_logged_without_completing_count_when_the_session_ends(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("time", "<=", 25)])
    session, _ = w.session(w.run, values={"distance": 5, "time": 24}, complete=False, end=False)
    assert w.store.get_target(t.id).met_at is None
    w.store.end_session(session.id)
    met = w.store.get_target(t.id)
    assert met.met_at == w.clock.now and met.met_session_id == session.id


def test_lowering_a_value_reverts_the_target_and_reopens_the_goal(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    _, inst = w.session(w.run, values={"distance": 6})
    assert w.store.get_goal(w.goal.id).completed_by == "targets"
    w.store.record_value(inst.id, w.metric(w.run, "distance"), 4)
    assert w.store.get_target(t.id).met_at is None
    assert w.store.get_goal(w.goal.id).completed_at is None
    assert set(kinds(w.store, w.root.id)[-2:]) == {"target_unmet", "goal_reopened"}


def test_deleting_the_instance_that_met_it_reverts_and_restore_brings_it_back(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    session, inst = w.session(w.run, values={"distance": 6})
    summary = w.store.delete("instance", inst.id, w.root.id)
    assert w.store.get_target(t.id).met_at is None
    assert w.store.get_goal(w.goal.id).completed_at is None
    assert {"target_unmet", "goal_reopened"} <= set(kinds(w.store, w.root.id))
    w.store.restore(summary.batch, w.root.id)
    again = w.store.get_target(t.id)
    assert again.met_at is not None and again.met_session_id == session.id
    assert w.store.get_goal(w.goal.id).completed_by == "targets"


def test_deleting_the_session_reverts(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    session, _ = w.session(w.run, values={"distance": 6})
    w.store.delete("session", session.id, w.root.id)
    assert w.store.get_target(t.id).met_at is None
    assert w.store.get_goal(w.goal.id).completed_at is None


def test_still_met_by_other_practice_after_a_delete(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    first, inst1 = w.session(w.run, values={"distance": 6})
    second, _ = w.session(w.run, values={"distance": 7})
    assert w.store.get_target(t.id).met_session_id == first.id
    w.store.delete("instance", inst1.id, w.root.id)
    kept = w.store.get_target(t.id)
    assert kept.met_at is not None and kept.met_session_id == second.id
    assert w.store.get_goal(w.goal.id).completed_by == "targets"


def test_reopening_a_completed_instance_reverts(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    _, inst = w.session(w.run, values={"distance": 6}, end=False)
    assert w.store.get_target(t.id).met_at is not None
    w.store.reopen_instance(inst.id)
    assert w.store.get_target(t.id).met_at is None


def test_target_added_after_the_fact_is_met_at_once(w: World) -> None:
    session, _ = w.session(w.run, values={"distance": 10})
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    assert t.met_at is not None and t.met_session_id == session.id
    assert w.store.get_goal(w.goal.id).completed_by == "targets"


def test_new_unmet_target_reopens_a_goal_its_targets_completed(w: World) -> None:
    w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    w.session(w.run, values={"distance": 10})
    assert w.store.get_goal(w.goal.id).completed_by == "targets"
    w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("weight", ">=", 200)])
    assert w.store.get_goal(w.goal.id).completed_at is None


def test_manually_completed_goal_stays_completed_when_a_target_is_unmet(w: World) -> None:
    w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("weight", ">=", 200)])
    w.store.complete_goal(w.goal.id)
    w.session(w.squat, sets=[{"weight": 100, "reps": 5}])
    goal = w.store.get_goal(w.goal.id)
    assert goal.completed_at is not None and goal.completed_by == "manual"


def test_deleting_the_last_unmet_target_completes_the_goal(w: World) -> None:
    w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    hard = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 50)])
    w.session(w.run, values={"distance": 10})
    assert w.store.get_goal(w.goal.id).completed_at is None
    w.store.delete("target", hard.id, w.root.id)
    assert w.store.get_goal(w.goal.id).completed_by == "targets"


# --- un-completing a goal resets its targets -------------------------------------------------


def test_reopening_a_goal_completed_by_targets_resets_them(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    w.session(w.run, values={"distance": 10})
    assert w.store.get_goal(w.goal.id).completed_by == "targets"
    w.store.complete_goal(w.goal.id, undo=True)
    assert w.store.get_target(t.id).met_at is None
    assert w.store.get_goal(w.goal.id).completed_at is None
    assert set(kinds(w.store, w.root.id)[-2:]) == {"goal_reopened", "target_reset"}
    # Old practice does not complete it again ...
    assert w.store.evaluate_targets(w.root.id) == []
    w.session(w.run, values={"distance": 3})
    assert w.store.get_target(t.id).met_at is None
    progress = w.store.target_progress(t.id)
    assert progress.summary == "best 3/5 km"  # only practice after the reset counts
    # ... new practice does.
    session, _ = w.session(w.run, values={"distance": 5})
    assert w.store.get_target(t.id).met_session_id == session.id
    assert w.store.get_goal(w.goal.id).completed_by == "targets"


def test_reopening_a_goal_with_unmet_targets_keeps_the_met_ones(w: World) -> None:
    a = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 50)])
    w.session(w.run, values={"distance": 10})
    w.store.complete_goal(w.goal.id)
    w.store.complete_goal(w.goal.id, undo=True)
    assert w.store.get_target(a.id).met_at is not None


# --- sum and frequency -----------------------------------------------------------------------


def test_sum_target_over_sessions(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 20)], kind="sum")
    w.session(w.run, values={"distance": 8})
    w.session(w.run, values={"distance": 7})
    assert w.store.target_progress(t.id).summary == "sum 15/20 km"
    assert w.store.target_progress(t.id).fraction == pytest.approx(0.75)
    last, _ = w.session(w.run, values={"distance": 6})
    met = w.store.get_target(t.id)
    assert met.met_session_id == last.id
    progress = w.store.target_progress(t.id)
    assert progress.met and progress.summary == "sum 21/20 km" and progress.fraction == 1


def test_sum_of_sets(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("reps", ">=", 100)], kind="sum")
    w.session(w.squat, sets=[{"weight": 60, "reps": 30}, {"weight": 60, "reps": 40}])
    w.session(w.squat, sets=[{"weight": 60, "reps": 20}, {"weight": 60, "reps": 15}])
    assert w.store.target_progress(t.id).summary == "sum 105/100 reps"
    assert w.store.get_target(t.id).met_at is not None


def test_sum_respects_the_date_range(w: World) -> None:
    today = w.clock.now.astimezone().date()
    t = w.store.add_target(
        w.goal.id,
        w.run.id,
        [ConditionSpec("distance", ">=", 10)],
        kind="sum",
        starts_on=today + timedelta(days=1),
    )
    w.session(w.run, values={"distance": 12})
    assert w.store.get_target(t.id).met_at is None
    w.clock.advance(days=1)
    w.session(w.run, values={"distance": 10})
    assert w.store.get_target(t.id).met_at is not None


def test_frequency_counts_distinct_sessions(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, kind="frequency", count=2)
    st = w.store
    session = st.start_session(w.root.id)
    for _ in range(2):  # two instances in one session count once
        inst = st.add_instance(session.id, w.run.id)
        w.clock.advance(minutes=5)
        st.complete_instance(inst.id)
    st.end_session(session.id)
    w.clock.advance(minutes=1)
    assert st.target_progress(t.id).summary == "1/2 sessions"
    assert st.get_target(t.id).met_at is None
    second, _ = w.session(w.run, values={"distance": 1})
    assert st.get_target(t.id).met_session_id == second.id
    assert st.target_progress(t.id).summary == "2/2 sessions"


# --- editing, progress, evaluation -------------------------------------------------------------


def test_update_target_reevaluates(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    w.session(w.run, values={"distance": 6})
    old_condition = w.store.get_target(t.id).conditions[0].id
    harder = w.store.update_target(t.id, conditions=[ConditionSpec("distance", ">=", 10)])
    assert harder.met_at is None and harder.conditions[0].value == 10
    assert harder.conditions[0].id == old_condition  # rewritten in place
    assert w.store.get_goal(w.goal.id).completed_at is None
    renamed = w.store.update_target(t.id, name="Ten k")
    assert renamed.name == "Ten k"
    before = db_state(w.store)
    with pytest.raises(Invalid, match="1 or more"):
        w.store.update_target(t.id, kind="frequency", count=0)
    with pytest.raises(Invalid, match="has no metric"):
        w.store.update_target(t.id, conditions=[ConditionSpec("pace", ">=", 1)])
    assert db_state(w.store) == before


def test_resolve_and_shift_targets(w: World) -> None:
    a = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    b = w.store.add_target(w.goal.id, w.run.id, kind="frequency", count=2, name="Twice")
    assert w.store.resolve_target(w.root.id, "twice").id == b.id
    assert w.store.resolve_target(w.root.id, a.id[:6]).id == a.id
    assert w.store.shift_target(b.id, -1) is True
    assert [t.name for t in w.store.targets(w.goal.id)] == ["Twice", a.name]
    assert w.store.shift_target(b.id, -1) is False


def test_progress_of_a_threshold_shows_best_so_far(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.squat.id, [ConditionSpec("weight", ">=", 100)])
    assert w.store.target_progress(t.id).summary == "best -/100 kg"
    w.session(w.squat, sets=[{"weight": 90, "reps": 5}, {"weight": 95, "reps": 3}])
    p = w.store.target_progress(t.id)
    assert p.summary == "best 95/100 kg" and not p.met and p.fraction == pytest.approx(0.95)
    assert p.conditions[0].current == 95 and p.conditions[0].metric_name == "weight"
    session, _ = w.session(w.squat, sets=[{"weight": 100, "reps": 1}])
    p = w.store.target_progress(t.id)
    assert p.met and p.met_session_id == session.id and p.met_at is not None
    (goal_progress,) = w.store.goal_targets_progress(w.goal.id)
    assert goal_progress.summary == p.summary


def test_evaluate_targets_returns_what_changed(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    assert w.store.evaluate_targets(w.root.id) == []
    w.session(w.run, values={"distance": 6})
    assert w.store.evaluate_targets(w.root.id) == []  # already met by the hook
    assert w.store.get_target(t.id).met_at is not None


def test_targets_of_another_fractal_are_untouched(w: World) -> None:
    other = w.store.create_fractal("Other")
    g2 = w.store.add_goal(other.id, "Run more")
    run2 = w.store.add_activity(other.id, "Run", metrics=(MetricSpec("distance", "km"),))
    t2 = w.store.add_target(g2.id, run2.id, [ConditionSpec("distance", ">=", 1)])
    w.session(w.run, values={"distance": 10})
    assert w.store.get_target(t2.id).met_at is None


def test_deleting_a_goal_takes_its_targets(w: World) -> None:
    t = w.store.add_target(w.goal.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    summary = w.store.delete_goal(w.goal.id)
    assert summary.counts.get("targets") == 1 and summary.counts.get("target conditions") == 1
    with pytest.raises(NotFound):
        w.store.get_target(t.id)


# --- vs last time ------------------------------------------------------------------------------


def test_compare_with_last_time_uses_best_set(w: World) -> None:
    _, first = w.session(w.squat, sets=[{"weight": 100, "reps": 5}, {"weight": 100, "reps": 5}])
    assert w.store.compare_with_last(first.id) is None
    _, second = w.session(w.squat, sets=[{"weight": 90, "reps": 8}, {"weight": 80, "reps": 2}])
    cmp = w.store.compare_with_last(second.id)
    assert cmp is not None and cmp.previous_instance_id == first.id and cmp.used_best_set
    weight, reps = cmp.metrics
    assert (weight.previous, weight.current, weight.delta) == (100, 90, -10)
    assert weight.pct == pytest.approx(-10.0) and weight.improved is False
    assert reps.delta == 3 and reps.improved is True
    assert cmp.yield_delta is not None and cmp.yield_delta.delta == 220
    assert cmp.volume_delta is not None and cmp.volume_delta.delta == -120
    assert cmp.improved is True


def test_compare_with_last_time_respects_lower_is_better(w: World) -> None:
    w.session(w.run, values={"distance": 5, "time": 30})
    _, older = w.session(w.run, values={"distance": 5, "time": 28})
    _, latest = w.session(w.run, values={"distance": 5, "time": 29})
    cmp = w.store.compare_with_last(latest.id)
    assert cmp is not None and cmp.previous_instance_id == older.id
    dist, time = cmp.metrics
    assert dist.delta == 0 and time.delta == 1 and time.improved is False
    assert cmp.improved is False
    # the earlier one compares with the one before it, not with later practice
    earlier = w.store.compare_with_last(older.id)
    assert earlier is not None and earlier.metrics[1].improved is True


def test_compare_an_unfinished_instance_with_last_time(w: World) -> None:
    _, done = w.session(w.run, values={"distance": 5})
    _, live = w.session(w.run, values={"distance": 6}, complete=False, end=False)
    cmp = w.store.compare_with_last(live.id)
    assert cmp is not None and cmp.previous_instance_id == done.id and cmp.metrics[0].delta == 1


# --- parents complete with their children ------------------------------------------------------


def test_parent_completes_with_its_last_child_and_reopens_with_one(w: World) -> None:
    st = w.store
    parent = st.add_goal(w.root.id, "Get strong", complete_with_children=True)
    a = st.add_goal(parent.id, "Squat")
    b = st.add_goal(parent.id, "Bench")
    st.complete_goal(a.id)
    assert st.get_goal(parent.id).completed_at is None
    st.complete_goal(b.id)
    done = st.get_goal(parent.id)
    assert done.completed_at is not None and done.completed_by == "children"
    w.clock.advance(minutes=1)
    st.complete_goal(a.id, undo=True)
    assert st.get_goal(parent.id).completed_at is None
    assert kinds(st, w.root.id)[-2:] == ["goal_reopened", "goal_reopened"]


def test_parent_without_the_flag_does_not_follow(w: World) -> None:
    parent = w.store.add_goal(w.root.id, "Plain parent")
    child = w.store.add_goal(parent.id, "Only child")
    w.store.complete_goal(child.id)
    assert w.store.get_goal(parent.id).completed_at is None


def test_child_completed_by_targets_completes_the_parent(w: World) -> None:
    st = w.store
    parent = st.add_goal(w.root.id, "Endurance", complete_with_children=True)
    child = st.add_goal(parent.id, "Run 5 k")
    t = st.add_target(child.id, w.run.id, [ConditionSpec("distance", ">=", 5)])
    _, inst = w.session(w.run, values={"distance": 5})
    assert st.get_goal(child.id).completed_by == "targets"
    assert st.get_goal(parent.id).completed_by == "children"
    st.delete("instance", inst.id, w.root.id)
    assert st.get_target(t.id).met_at is None
    assert st.get_goal(child.id).completed_at is None
    assert st.get_goal(parent.id).completed_at is None


def test_manually_completed_parent_is_not_reopened_by_children(w: World) -> None:
    parent = w.store.add_goal(w.root.id, "P", complete_with_children=True)
    child = w.store.add_goal(parent.id, "C")
    w.store.complete_goal(parent.id)
    w.store.complete_goal(child.id)
    w.store.complete_goal(child.id, undo=True)
    assert w.store.get_goal(parent.id).completed_by == "manual"
