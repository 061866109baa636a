"""CLI: start-session, sessions, session, start, pause, resume, stop, log, end-session, status."""

import json
from typing import Any

import pytest
from cli_helpers import db_state

from fractal_tui.views import MetricSpec, SplitSpec


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def fails(run: Any, engine: Any, *args: str, code: int = 1, says: str = "") -> str:
    before = db_state(engine)
    result = run(*args)
    assert result.exit_code == code, (result.output, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if code == 1:
        assert result.stderr.startswith("Error: ")
    assert says.lower() in result.stderr.lower(), result.stderr
    assert db_state(engine) == before
    return result.stderr


def iso(clock: Any, minutes: float = 0) -> str:
    from datetime import timedelta

    return (clock.now + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def piano(store: Any) -> dict[str, Any]:
    root = store.create_fractal("Piano")
    return {
        "root": root,
        "goal": store.add_goal(root.id, "Play Bach", level=3),
        "scales": store.add_activity(
            root.id, "Scales", metrics=(MetricSpec("bpm", "bpm", is_multiplicative=False),)
        ),
        "bach": store.add_activity(root.id, "Bach"),
        "squat": store.add_activity(
            root.id,
            "Squat",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
        ),
        "curl": store.add_activity(
            root.id,
            "Curl",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
    }


# --- start-session -----------------------------------------------------------------------------


def test_start_session_with_goals(run: Any, store: Any, piano: dict, clock: Any) -> None:
    result = ok(run("start-session", "Morning", "--goal", "Play Bach"))
    assert result.stdout.startswith("Started 'Morning' at ")
    assert "working on Play Bach" in result.stdout
    active = store.active_session(piano["root"].id)
    assert active.name == "Morning" and active.goal_ids == (piano["goal"].id,)


def test_start_session_json_and_at(run: Any, store: Any, piano: dict, clock: Any) -> None:
    data = json.loads(ok(run("start-session", "--at", iso(clock, -30), "--json")).stdout)
    assert data["started_at"] == iso(clock, -30)
    assert data["root_id"] == piano["root"].id and data["name"] == ""
    assert {"id", "created_at", "updated_at", "goal_names"} <= set(data)


def test_start_session_from_a_template(run: Any, store: Any, piano: dict) -> None:
    from fractal_tui.views import TemplateItemSpec, TemplateSection

    items = (TemplateItemSpec(piano["scales"].id, 10), TemplateItemSpec(piano["bach"].id, 20))
    store.add_template(piano["root"].id, "Daily", sections=(TemplateSection("Warm-up", items),))
    assert ok(run("start-session", "--template", "daily")).stdout.startswith("Started 'Daily'")
    detail = store.session_detail(store.active_session(piano["root"].id).id)
    assert [i.activity_name for i in detail.instances] == ["Scales", "Bach"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["start-session", "X", "--template", "Nope"], "no template matches 'Nope'"),
        (["start-session", "X", "--goal", "Nope"], "no goal matches 'Nope'"),
        (["start-session", "X", "--at", "yesterday-ish"], "cannot read"),
        (["start-session", "X", "--at", "2999-01-01"], "future"),
        (["start-session", "Bad\x07"], "control characters"),
    ],
)
def test_start_session_bad_input(run: Any, engine: Any, piano: dict, args: list, says: str) -> None:
    fails(run, engine, *args, says=says)


def test_second_session_is_a_conflict_naming_the_first(run: Any, engine: Any, piano: dict) -> None:
    ok(run("start-session", "Morning"))
    fails(run, engine, "start-session", "Evening", says="'Morning'")


# --- start / switch / stop ---------------------------------------------------------------------


def test_start_switch_and_stop(run: Any, store: Any, piano: dict, clock: Any) -> None:
    root = piano["root"].id
    ok(run("start-session"))
    assert ok(run("start", "Scales")).stdout.startswith("▶ Scales started at ")
    clock.advance(minutes=5)
    data = json.loads(ok(run("start", "bach", "--switch", "--json")).stdout)
    assert data["name"] == "Bach" and data["intervals"][0]["ended_at"] is None
    status = store.status(root)
    assert status.activity_name == "Bach"
    clock.advance(minutes=2)
    assert ok(run("stop")).stdout.strip() == "✓ Bach completed after 2:00"
    detail = store.session_detail(store.active_session(root).id)
    assert [i.completed_at is not None for i in detail.instances] == [False, True]


def test_start_bad_input_writes_nothing(run: Any, engine: Any, piano: dict, clock: Any) -> None:
    fails(run, engine, "start", "Scales", says="no active session")
    ok(run("start-session"))
    ok(run("start", "Scales"))
    fails(run, engine, "start", "Bach", says="use --switch to switch to 'Bach'")
    fails(run, engine, "start", "Nope", says="no activity matches 'Nope'")
    fails(run, engine, "start", "Bach", "--switch", "--at", iso(clock, 5), says="future")
    fails(run, engine, "start", code=2, says="Missing argument")


def test_stop_named_activity_and_errors(run: Any, engine: Any, piano: dict, clock: Any) -> None:
    ok(run("start-session"))
    fails(run, engine, "stop", says="no timer is running")
    fails(run, engine, "stop", "Scales", says="no unfinished instance")
    ok(run("start", "Scales"))
    clock.advance(minutes=1)
    fails(run, engine, "stop", "--at", iso(clock, -2), says="timed until")
    assert "Scales completed" in ok(run("stop", "Scales")).stdout


# --- pause / resume ----------------------------------------------------------------------------


def test_pause_and_resume(run: Any, store: Any, engine: Any, piano: dict, clock: Any) -> None:
    fails(run, engine, "pause", says="no active session")
    ok(run("start-session", "Morning"))
    ok(run("start", "Scales"))
    clock.advance(minutes=3)
    assert ok(run("pause")).stdout.startswith("⏸ Paused 'Morning' at ")
    fails(run, engine, "pause", says="already paused")
    clock.advance(minutes=4)
    assert ok(run("status")).stdout.strip() == "⏸ 'Morning' 3:00 paused (Scales 3:00)"
    assert ok(run("resume")).stdout.strip() == "Resumed 'Morning'; ▶ Scales"
    fails(run, engine, "resume", says="not paused")
    assert store.active_session(piano["root"].id).paused_seconds == 240


# --- log ---------------------------------------------------------------------------------------


def test_log_sets_splits_and_values(run: Any, store: Any, piano: dict) -> None:
    ok(run("start-session"))
    out = ok(run("log", "Squat", "weight=100", "reps=5")).stdout
    assert out.strip() == "Logged Squat set 1: weight=100, reps=5 (added to the session)"
    ok(run("log", "Squat", "weight=110", "reps=3"))
    ok(run("log", "Squat", "reps=4", "--set", "2", "--note", "grinder"))
    ok(run("log", "Curl", "weight=12", "reps=10", "--split", "Left"))
    ok(run("log", "Curl", "weight=12", "reps=8", "--split", "Right"))
    data = json.loads(ok(run("log", "Scales", "bpm=96", "--json")).stdout)
    assert data["name"] == "Scales" and data["values"][0]["value"] == 96
    assert {"id", "root_id", "created_at", "updated_at"} <= set(data)
    detail = store.session_detail(store.active_session(piano["root"].id).id)
    squat, curl, scales = detail.instances
    assert [s.notes for s in squat.sets] == ["", "grinder"]
    assert sorted(v.value for v in squat.values if v.set_id == squat.sets[1].id) == [4, 110]
    assert len(curl.sets) == 1 and len(curl.values) == 4
    assert [v.value for v in scales.values] == [96]
    ok(run("log", "Scales", "bpm="))  # blank clears
    assert store.get_instance(scales.id).values == ()


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["log", "Squat", "reps=x"], 1, "'x' is not a number"),
        (["log", "Squat", "reps=nan"], 1, "finite"),
        (["log", "Squat", "reps"], 2, "is not METRIC=VALUE"),
        (["log", "Squat"], 2, "Missing argument"),
        (["log", "Squat", "sets=5"], 1, "no metric 'sets'"),
        (["log", "Squat", "reps=5", "--set", "4"], 1, "there is no set 4"),
        (["log", "Squat", "reps=5", "--set", "1", "--new-set"], 2, "not both"),
        (["log", "Squat", "reps=5", "--set", "0"], 2, "0"),
        (["log", "Curl", "reps=5"], 1, "name a split (Left, Right)"),
        (["log", "Curl", "reps=5", "--split", "Up"], 1, "no split 'Up'"),
        (["log", "Scales", "bpm=5", "--new-set"], 1, "has no sets"),
    ],
)
def test_log_bad_input_writes_nothing(
    run: Any, engine: Any, piano: dict, args: list, code: int, says: str
) -> None:
    ok(run("start-session"))
    ok(run("log", "Squat", "weight=100", "reps=5"))
    fails(run, engine, *args, code=code, says=says)


def test_log_without_session(run: Any, engine: Any, piano: dict) -> None:
    fails(run, engine, "log", "Squat", "reps=5", says="no active session")


# --- end-session, session, sessions, status -----------------------------------------------------


def test_end_session_prints_a_summary(run: Any, store: Any, piano: dict, clock: Any) -> None:
    ok(run("start-session", "Legs", "--goal", "Play Bach"))
    ok(run("start", "Squat"))
    ok(run("log", "Squat", "weight=100", "reps=5"))
    ok(run("log", "Squat", "weight=90", "reps=8"))
    clock.advance(minutes=25)
    out = ok(run("end-session")).stdout
    assert out.splitlines() == [
        "Ended 'Legs' after 25:00 · 1 activity done · 2 sets",
        "  ✓ Squat  25:00  best 90 kg × 8 reps",
        "Worked on: Play Bach",
    ]
    assert store.active_session(piano["root"].id) is None


def test_end_session_json_and_errors(run: Any, engine: Any, piano: dict, clock: Any) -> None:
    fails(run, engine, "end-session", says="no active session")
    ok(run("start-session", "Legs"))
    clock.advance(minutes=10)
    fails(run, engine, "end-session", "--at", iso(clock, -20), says="before it started")
    data = json.loads(ok(run("end-session", "--json")).stdout)
    assert data["duration_seconds"] == 600 and data["name"] == "Legs"
    assert data["activities_done"] == 0 and data["session"]["completed_at"] == iso(clock)


def test_session_shows_instances_sets_and_timers(
    run: Any, engine: Any, piano: dict, clock: Any
) -> None:
    fails(run, engine, "session", says="no active session")
    ok(run("start-session", "Morning", "--goal", "Play Bach"))
    ok(run("start", "Scales"))
    ok(run("log", "Scales", "bpm=96", "--note", "even"))
    ok(run("log", "Curl", "weight=12", "reps=10", "--split", "Left"))
    clock.advance(minutes=4)
    lines = ok(run("session")).stdout.splitlines()
    assert lines[0].startswith("Morning (id ") and lines[0].endswith("4:00 elapsed")
    assert lines[1:] == [
        "Goals: Play Bach",
        " 1. ▶ Scales  4:00",
        "      96 bpm",
        "      note: even",
        " 2. · Curl  0:00",
        "      set 1 (completed): Left 12 kg × 10 reps",
    ]
    data = json.loads(ok(run("session", "Morning", "--json")).stdout)
    assert [i["activity_name"] for i in data["instances"]] == ["Scales", "Curl"]
    assert data["session"]["goal_names"] == ["Play Bach"]
    fails(run, engine, "session", "Nope", says="no session matches 'Nope'")


def test_sessions_lists_newest_first_with_filters(
    run: Any, engine: Any, piano: dict, clock: Any
) -> None:
    for name in ("One", "Two"):
        ok(run("start-session", name))
        ok(run("start", "Scales" if name == "One" else "Bach"))
        clock.advance(minutes=30)
        ok(run("end-session"))
        clock.advance(days=1)
    lines = ok(run("sessions")).stdout.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["Two", "One"]
    assert lines[0].startswith("✓ ") and "30:00  1 activity" in lines[0]
    scales_only = json.loads(ok(run("sessions", "--activity", "Scales", "--json")).stdout)
    assert [x["name"] for x in scales_only] == ["One"]
    day_one = clock.now.date().isoformat()
    assert ok(run("sessions", "--from", day_one)).stdout.strip() == "No sessions."
    fails(run, engine, "sessions", "--activity", "Nope", says="no activity matches")
    fails(run, engine, "sessions", "--from", "soon", says="cannot read")
    fails(run, engine, "sessions", "--limit", "0", code=2, says="0")


def test_status_lines(run: Any, piano: dict, clock: Any) -> None:
    assert ok(run("status")).stdout.strip() == "No active session"
    ok(run("start-session", "Morning"))
    assert ok(run("status")).stdout.strip() == "· 'Morning' 0:00 (no timer running)"
    ok(run("start", "Scales"))
    clock.advance(minutes=1, seconds=5)
    assert ok(run("status")).stdout.strip() == "▶ Scales 1:05 · 'Morning' 1:05"
    data = json.loads(ok(run("status", "--json")).stdout)
    assert data["activity_name"] == "Scales" and data["elapsed_seconds"] == 65
    assert data["session"]["name"] == "Morning"


def test_start_session_repeat_copies_the_last_completed_session(
    run: Any, store: Any, clock: Any, piano: dict[str, Any]
) -> None:
    root = piano["root"]
    ok(run("start-session", "Evening"))
    ok(run("start", "Scales"))
    ok(run("start", "Bach", "--switch"))
    clock.advance(minutes=20)
    ok(run("end-session"))
    clock.advance(hours=20)
    out = json.loads(ok(run("start-session", "--repeat", "--json")).stdout)
    assert out["name"] == "Evening"
    detail = store.session_detail(out["id"])
    names = [i.activity_name for i in detail.instances]
    assert names == ["Scales", "Bach"]
    assert all(not i.intervals for i in detail.instances)  # planned, not yet timed
    assert store.active_session(root.id).id == out["id"]


def test_start_session_repeat_refusals_write_nothing(
    run: Any, engine: Any, piano: dict[str, Any]
) -> None:
    fails(run, engine, "start-session", "--repeat", says="no completed session")
    fails(run, engine, "start-session", "--repeat", "Name", code=2, says="--repeat")
    ok(run("start-session", "Evening"))
    ok(run("end-session"))
    ok(run("start-session", "Again"))
    fails(run, engine, "start-session", "--repeat", says="'Again' (started")
