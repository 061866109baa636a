"""Sessions, goal links, instances and the timer ledger: every rule of the practice loop."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.views import MetricSpec, SplitSpec


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def root(store: Any) -> str:
    return store.create_fractal("Piano").id


@pytest.fixture
def acts(store: Any, root: str) -> dict[str, Any]:
    return {
        "scales": store.add_activity(
            root, "Scales", metrics=(MetricSpec("bpm", "bpm", is_multiplicative=False),)
        ),
        "bach": store.add_activity(root, "Bach"),
        "squat": store.add_activity(
            root,
            "Squat",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
        ),
        "curl": store.add_activity(
            root,
            "Curl",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
    }


def spans(store: Any, session_id: str, instance_id: str) -> list[tuple[datetime, Any]]:
    detail = store.session_detail(session_id)
    inst = detail.instance(instance_id)
    return [(iv.started_at, iv.ended_at) for iv in inst.intervals]


# --- starting sessions ---------------------------------------------------------------------


def test_start_session_links_goals_and_logs_an_event(store: Any, root: str, clock: Any) -> None:
    goal = store.add_goal(root, "Play Bach", level=3)
    now_goal = store.add_goal(goal.id, "Prelude bars 1-8")
    session = store.start_session(root, name="Morning", goal_ids=(goal.id, now_goal.id, goal.id))
    assert session.started_at == clock.now
    assert session.root_id == root
    assert set(session.goal_ids) == {goal.id, now_goal.id}
    assert set(session.goal_names) == {"Play Bach", "Prelude bars 1-8"}
    assert store.active_session(root).id == session.id
    assert any(e.kind == "session_started" for e in store.history(root))


def test_second_unfinished_session_is_a_conflict_naming_the_first(store: Any, root: str) -> None:
    store.start_session(root, name="Morning")
    with pytest.raises(Conflict, match="'Morning'.*still active"):
        store.start_session(root, name="Evening")
    assert store.sessions(root).total == 1


def test_each_fractal_has_its_own_active_session(store: Any, root: str) -> None:
    other = store.create_fractal("Gym").id
    store.start_session(root, name="Piano")
    store.start_session(other, name="Gym")
    assert store.active_session(root).name == "Piano"
    assert store.active_session(other).name == "Gym"


def test_start_session_rejects_bad_input_and_writes_nothing(
    store: Any, root: str, clock: Any
) -> None:
    other_goal = store.add_goal(store.create_fractal("Gym").id, "Squat 100")
    with pytest.raises(Invalid, match="future"):
        store.start_session(root, at=clock.now + timedelta(minutes=1))
    with pytest.raises(Invalid, match="control"):
        store.start_session(root, name="bad\x07name")
    with pytest.raises(NotFound):
        store.start_session(root, goal_ids=(other_goal.id,))
    assert store.active_session(root) is None
    assert store.sessions(root).total == 0


def test_start_session_in_the_past(store: Any, root: str, clock: Any) -> None:
    session = store.start_session(root, at=clock.now - timedelta(minutes=30))
    assert store.status(root).session_elapsed_seconds == 30 * 60
    assert session.started_at == at(8, 30)


def test_link_and_unlink_goals(store: Any, root: str) -> None:
    goal = store.add_goal(root, "Sight-reading")
    session = store.start_session(root)
    assert store.link_goal(session.id, goal.id).goal_ids == (goal.id,)
    assert store.link_goal(session.id, goal.id).goal_ids == (goal.id,)  # already linked
    assert store.unlink_goal(session.id, goal.id).goal_ids == ()


# --- timers --------------------------------------------------------------------------------


def test_switch_closes_a_and_opens_b_at_the_same_instant(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    clock.set(at(14, 0))
    session = store.start_session(root)
    clock.set(at(14, 10))
    a = store.start_activity(root, acts["scales"].id)
    clock.set(at(14, 15))
    b = store.start_activity(root, acts["bach"].id, switch=True)
    assert spans(store, session.id, a.id) == [(at(14, 10), at(14, 15))]
    assert spans(store, session.id, b.id) == [(at(14, 15), None)]
    assert store.check_invariants() == []


def test_second_start_without_switch_is_a_conflict_and_writes_nothing(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    store.start_activity(root, acts["scales"].id)
    before = store.session_detail(session.id)
    clock.advance(minutes=5)
    with pytest.raises(Conflict, match="already running for 'Scales'.*switch.*'Bach'"):
        store.start_activity(root, acts["bach"].id)
    assert store.session_detail(session.id) == before  # Bach was not even added


def test_start_timer_on_an_instance_and_same_instance_twice(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    inst = store.add_instance(session.id, acts["scales"].id)
    running = store.start_timer(session.id, inst.id)
    assert running.running
    with pytest.raises(Conflict, match="already running"):
        store.start_timer(session.id, inst.id, switch=True)


def test_start_activity_reuses_its_unfinished_instance(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    planned = store.add_instance(session.id, acts["scales"].id)
    started = store.start_activity(root, acts["scales"].id)
    assert started.id == planned.id
    clock.advance(minutes=1)
    store.complete_instance(started.id)
    clock.advance(minutes=1)
    again = store.start_activity(root, acts["scales"].id)
    assert again.id != planned.id  # a completed instance is not restarted silently
    assert store.get_session(session.id).instance_count == 2


def test_start_without_an_active_session_is_a_conflict(store: Any, root: str, acts: dict) -> None:
    with pytest.raises(Conflict, match="no active session"):
        store.start_activity(root, acts["scales"].id)


def test_timer_start_in_the_future_or_before_the_session_is_invalid(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    with pytest.raises(Invalid, match="future"):
        store.start_activity(root, acts["scales"].id, at=clock.now + timedelta(seconds=1))
    with pytest.raises(Invalid, match="before its session"):
        store.start_activity(root, acts["scales"].id, at=clock.now - timedelta(minutes=1))
    assert store.get_session(session.id).instance_count == 0


def test_pause_and_resume_exclude_paused_time(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    clock.set(at(10))
    session = store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    clock.set(at(10, 10))
    paused = store.pause_session(session.id)
    assert paused.paused and paused.paused_instance_id == inst.id
    assert not store.get_instance(inst.id).running
    clock.set(at(10, 25))
    status = store.status(root)
    assert status.session_elapsed_seconds == 10 * 60  # frozen while paused
    assert status.elapsed_seconds == 10 * 60 and not status.running
    resumed = store.resume_session(session.id)
    assert not resumed.paused and resumed.paused_seconds == 15 * 60
    assert spans(store, session.id, inst.id) == [(at(10), at(10, 10)), (at(10, 25), None)]
    clock.set(at(10, 30))
    status = store.status(root)
    assert status.elapsed_seconds == 15 * 60
    assert status.session_elapsed_seconds == 15 * 60


def test_pause_twice_and_resume_unpaused_are_conflicts(store: Any, root: str) -> None:
    session = store.start_session(root)
    with pytest.raises(Conflict, match="not paused"):
        store.resume_session(session.id)
    store.pause_session(session.id)
    with pytest.raises(Conflict, match="already paused"):
        store.pause_session(session.id)


def test_starting_a_timer_while_paused_ends_the_pause(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    store.start_activity(root, acts["scales"].id)
    clock.advance(minutes=5)
    store.pause_session(session.id)
    clock.advance(minutes=3)
    store.start_activity(root, acts["bach"].id)
    view = store.get_session(session.id)
    assert not view.paused and view.paused_seconds == 180


def test_pause_then_end_counts_the_open_pause(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    # start 10:00; 5 minutes paused earlier; paused again at 10:20; ended at 10:30
    clock.set(at(10))
    session = store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    clock.set(at(10, 5))
    store.pause_session(session.id)
    clock.set(at(10, 10))
    store.resume_session(session.id)
    clock.set(at(10, 20))
    store.pause_session(session.id)
    clock.set(at(10, 30))
    summary = store.end_session(session.id)
    ended = store.get_session(session.id)
    assert ended.paused_seconds == 15 * 60
    assert ended.duration_seconds == 15 * 60 == summary.duration_seconds
    assert ended.ended_at == ended.completed_at == at(10, 30)
    # the instance the pause stopped counts as running: it completes with the session
    assert store.get_instance(inst.id).completed_at == at(10, 30)


# --- completing instances ------------------------------------------------------------------


def test_complete_closes_the_interval_and_a_never_started_one_is_zero(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    running = store.start_activity(root, acts["scales"].id)
    idle = store.add_instance(session.id, acts["bach"].id)
    clock.advance(minutes=7)
    done = store.complete_instance(running.id)
    assert done.completed_at == clock.now and not done.running
    assert spans(store, session.id, running.id)[0][1] == clock.now
    instant = store.complete_instance(idle.id)
    assert instant.completed_at == clock.now and instant.intervals == ()


def test_completing_again_or_restarting_needs_reopen(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    clock.advance(minutes=2)
    store.complete_instance(inst.id)
    before = store.session_detail(session.id)
    with pytest.raises(Conflict, match="already complete"):
        store.complete_instance(inst.id)
    with pytest.raises(Conflict, match="reopen"):
        store.start_timer(session.id, inst.id)
    assert store.session_detail(session.id) == before
    reopened = store.reopen_instance(inst.id)
    assert reopened.completed_at is None and not reopened.running
    with pytest.raises(Conflict, match="not complete"):
        store.reopen_instance(inst.id)
    clock.advance(minutes=1)
    assert store.start_timer(session.id, inst.id).running


def test_stop_completes_the_running_or_named_instance(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    store.start_session(root)
    with pytest.raises(Conflict, match="no timer is running"):
        store.stop(root)
    store.start_activity(root, acts["scales"].id)
    clock.advance(minutes=2)
    stopped = store.stop(root)
    assert stopped.activity_name == "Scales" and stopped.completed_at == clock.now
    with pytest.raises(Conflict, match="no unfinished instance"):
        store.stop(root, acts["scales"].id)
    session = store.active_session(root)
    store.add_instance(session.id, acts["bach"].id)
    assert store.stop(root, acts["bach"].id).completed_at == clock.now


def test_complete_before_the_timer_started_is_invalid(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    with pytest.raises(Invalid, match="timed until"):
        store.complete_instance(inst.id, at=clock.now - timedelta(minutes=1))
    assert store.get_instance(inst.id).running


# --- ending and reopening sessions --------------------------------------------------------


def test_end_session_completes_running_leaves_unstarted_and_summarises(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    goal = store.add_goal(root, "Technique")
    session = store.start_session(root, name="Evening", goal_ids=(goal.id,))
    squat = store.start_activity(root, acts["squat"].id)
    weight, reps = acts["squat"].metrics
    for w, r in ((100, 5), (110, 3)):
        s = store.add_set(squat.id, status="completed")
        store.record_value(squat.id, weight.id, w, set_id=s.id)
        store.record_value(squat.id, reps.id, r, set_id=s.id)
    never = store.add_instance(session.id, acts["bach"].id)
    clock.advance(minutes=20)
    summary = store.end_session(session.id)
    assert summary.duration_seconds == 20 * 60
    assert summary.set_count == 2
    assert summary.activities_done == 1
    assert summary.goal_names == ("Technique",)
    by_name = {i.activity_name: i for i in summary.instances}
    assert by_name["Squat"].best == "100 kg × 5 reps"
    assert by_name["Squat"].volume == 830
    assert by_name["Squat"].seconds == 20 * 60
    assert not by_name["Bach"].completed
    assert store.get_instance(never.id).completed_at is None
    assert store.active_session(root) is None
    assert any(e.kind == "session_completed" for e in store.history(root))


def test_end_before_start_is_invalid_and_writes_nothing(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    clock.advance(minutes=5)
    store.start_activity(root, acts["scales"].id)
    clock.advance(minutes=10)
    before = store.session_detail(session.id)
    with pytest.raises(Invalid, match="before it started"):
        store.end_session(session.id, at=session.started_at - timedelta(minutes=1))
    with pytest.raises(Invalid, match="timed until"):
        store.end_session(session.id, at=session.started_at + timedelta(minutes=2))
    assert store.session_detail(session.id) == before


def test_ended_session_refuses_timers_and_a_second_end(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    clock.advance(minutes=1)
    store.end_session(session.id)
    with pytest.raises(Conflict, match="has ended"):
        store.end_session(session.id)
    with pytest.raises(Conflict, match="has ended"):
        store.add_instance(session.id, acts["bach"].id)


def test_reopen_session_is_paused_from_its_end(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    clock.advance(minutes=10)
    store.end_session(session.id)
    clock.advance(minutes=50)
    reopened = store.reopen_session(session.id)
    assert reopened.completed_at is None and reopened.duration_seconds is None
    assert reopened.paused_at == session.started_at + timedelta(minutes=10)
    assert store.status(root).session_elapsed_seconds == 10 * 60
    store.resume_session(session.id)
    clock.advance(minutes=5)
    assert store.end_session(session.id).duration_seconds == 15 * 60


def test_reopen_with_another_active_session_is_a_conflict(
    store: Any, root: str, clock: Any
) -> None:
    first = store.start_session(root, name="First")
    clock.advance(minutes=1)
    store.end_session(first.id)
    store.start_session(root, name="Second")
    with pytest.raises(Conflict, match="'Second'"):
        store.reopen_session(first.id)
    with pytest.raises(Conflict, match="has not ended"):
        store.reopen_session(store.active_session(root).id)


# --- manual times ----------------------------------------------------------------------------


def test_set_instance_times_replaces_its_ledger(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    clock.set(at(9))
    session = store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    clock.set(at(9, 10))
    store.pause_session(session.id)
    clock.set(at(9, 20))
    store.resume_session(session.id)
    clock.set(at(10))
    edited = store.set_instance_times(inst.id, at(9, 5), at(9, 35))
    assert [(i.started_at, i.ended_at) for i in edited.intervals] == [(at(9, 5), at(9, 35))]
    assert store.check_invariants() == []


def test_manual_instance_times_are_validated_and_change_nothing(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    clock.set(at(9))
    session = store.start_session(root)
    a = store.start_activity(root, acts["scales"].id)
    clock.set(at(9, 30))
    b = store.start_activity(root, acts["bach"].id, switch=True)
    clock.set(at(10))
    before = store.session_detail(session.id)
    with pytest.raises(Invalid, match="cannot end"):
        store.set_instance_times(a.id, at(9, 20), at(9, 10))
    with pytest.raises(Conflict, match="overlaps 'Bach'"):
        store.set_instance_times(a.id, at(9), at(9, 40))
    with pytest.raises(Invalid, match="future"):
        store.set_instance_times(b.id, at(9, 30), at(10, 5))
    with pytest.raises(Invalid, match="session started"):
        store.set_instance_times(a.id, at(8, 50), at(9, 10))
    assert store.session_detail(session.id) == before


def test_set_session_times_recomputes_duration_and_keeps_intervals_inside(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    clock.set(at(9))
    session = store.start_session(root)
    store.start_activity(root, acts["scales"].id)
    clock.set(at(9, 30))
    store.end_session(session.id)
    clock.set(at(12))
    edited = store.set_session_times(session.id, at(8, 45), at(9, 45))
    assert edited.duration_seconds == 60 * 60 and edited.ended_at == at(9, 45)
    before = store.session_detail(session.id)
    with pytest.raises(Conflict, match="outside the session"):
        store.set_session_times(session.id, at(9, 10), at(9, 45))
    with pytest.raises(Invalid, match="cannot end"):
        store.set_session_times(session.id, at(9, 45), at(9))
    with pytest.raises(Invalid, match="needs an end"):
        store.set_session_times(session.id, at(8, 45), None)
    assert store.session_detail(session.id) == before


# --- restart, status, list, order, delete ---------------------------------------------------


def test_timer_running_across_a_restart_reports_from_its_original_start(
    engine: Any, root: str, acts: dict, clock: Any
) -> None:
    from fractal_tui.clock import FakeClock
    from fractal_tui.store import Store

    first = Store(engine, clock=clock)
    clock.set(at(14))
    first.start_session(root)
    first.start_activity(root, acts["scales"].id)
    later = FakeClock(at(15, 30))
    second = Store(engine, clock=later)  # a new process over the same database
    status = second.status(root)
    assert status.activity_name == "Scales" and status.running
    assert status.running_since == at(14)
    assert status.elapsed_seconds == 90 * 60


def test_status_without_a_session(store: Any, root: str) -> None:
    status = store.status(root)
    assert status.session is None and status.activity_name is None and not status.running


def test_status_ignores_intervals_dropped_by_a_manual_edit(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    clock.set(at(9))
    session = store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    clock.set(at(9, 10))
    store.pause_session(session.id)
    clock.set(at(9, 20))
    store.resume_session(session.id)
    clock.set(at(9, 30))
    store.pause_session(session.id)
    store.set_instance_times(inst.id, at(9), at(9, 5))
    assert store.status(root).elapsed_seconds == 5 * 60


def test_sessions_are_listed_newest_first_with_counts_and_filters(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    goal = store.add_goal(root, "Repertoire")
    ids = []
    for day in range(3):
        clock.set(at(9) + timedelta(days=day))
        s = store.start_session(root, name=f"Day {day}", goal_ids=(goal.id,) if day == 1 else ())
        if day != 2:
            store.add_instance(s.id, acts["scales"].id)
        store.add_instance(s.id, acts["bach"].id)
        clock.advance(minutes=30)
        store.end_session(s.id)
        ids.append(s.id)
    page = store.sessions(root)
    assert [x.name for x in page.items] == ["Day 2", "Day 1", "Day 0"]
    assert [x.instance_count for x in page.items] == [1, 2, 2]
    assert page.items[1].goal_names == ("Repertoire",)
    assert page.total == 3
    assert [x.name for x in store.sessions(root, activity_id=acts["scales"].id).items] == [
        "Day 1",
        "Day 0",
    ]
    assert [x.name for x in store.sessions(root, goal_id=goal.id).items] == ["Day 1"]
    store.unlink_goal(ids[1], goal.id)
    assert store.sessions(root, goal_id=goal.id).total == 0
    window = store.sessions(root, start=at(0) + timedelta(days=1), end=at(0) + timedelta(days=2))
    assert [x.name for x in window.items] == ["Day 1"]
    paged = store.sessions(root, offset=1, limit=1)
    assert [x.name for x in paged.items] == ["Day 1"] and paged.total == 3
    with pytest.raises(Invalid):
        store.sessions(root, limit=0)


def test_deleted_instances_and_sessions_leave_lists_and_filters(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    inst = store.add_instance(session.id, acts["scales"].id)
    store.delete("instance", inst.id, root)
    assert store.sessions(root, activity_id=acts["scales"].id).total == 0
    assert store.get_session(session.id).instance_count == 0
    summary = store.delete("session", session.id, root)
    assert store.active_session(root) is None
    assert store.sessions(root).total == 0
    store.start_session(root, name="New one")  # the deleted one no longer blocks
    with pytest.raises(Conflict):
        store.restore(summary.batch, root)  # restoring would make two unfinished sessions


def test_deleting_the_paused_instance_lets_resume_run_nothing(
    store: Any, root: str, acts: dict, clock: Any
) -> None:
    session = store.start_session(root)
    inst = store.start_activity(root, acts["scales"].id)
    clock.advance(minutes=1)
    store.pause_session(session.id)
    store.delete("instance", inst.id, root)
    resumed = store.resume_session(session.id)
    assert resumed.paused_instance_id is None
    assert store.status(root).activity_name is None


def test_shift_instance_reorders(store: Any, root: str, acts: dict) -> None:
    session = store.start_session(root)
    a = store.add_instance(session.id, acts["scales"].id)
    b = store.add_instance(session.id, acts["bach"].id)
    assert store.shift_instance(b.id, -1) is True
    assert [i.id for i in store.session_detail(session.id).instances] == [b.id, a.id]
    assert store.shift_instance(b.id, -1) is False


def test_session_detail_carries_definitions_goals_and_values(
    store: Any, root: str, acts: dict
) -> None:
    session = store.start_session(root)
    inst = store.add_instance(session.id, acts["curl"].id, section="Warm-up")
    detail = store.session_detail(session.id)
    curl = detail.activity(acts["curl"].id)
    assert [sp.name for sp in curl.splits] == ["Left", "Right"]
    assert [m.name for m in curl.metrics] == ["weight", "reps"]
    assert detail.instance(inst.id).section == "Warm-up"
    assert detail.running is None


def test_hooks_fire_on_completion_and_end(engine: Any, clock: Any) -> None:
    from fractal_tui.store import Store

    calls: list[str] = []

    class Recording(Store):
        def _on_instance_completed(self, s: Any, instance: Any) -> None:
            calls.append("instance")

        def _on_session_ended(self, s: Any, session: Any) -> None:
            calls.append("session")

    store = Recording(engine, clock=clock)
    root = store.create_fractal("Hooks").id
    act = store.add_activity(root, "Scales")
    session = store.start_session(root)
    store.start_activity(root, act.id)
    clock.advance(minutes=1)
    store.end_session(session.id)
    assert calls == ["instance", "session"]
