"""CLI: `fractal report` and `fractal progress`, text and JSON, and bad input.

The practice below is played through the store's public practice loop on the test's
FakeClock, in UTC (the process's local zone is set to UTC here, Berlin in one test):

- Morning  Thu 01-01 10:00-11:00, goal Technique: Scales 10:00-10:30 (BPM 100);
  Squat 10:30-11:00, sets 60x5, 70x3.
- Late     Fri 01-02 23:00 - Sat 01-03 01:00, goal Scales goal: Scales 23:00-00:30 (BPM 110);
  Curl 00:30-01:00, sets L10/R12, L11/R9.
- Gym      Sun 01-04 15:00-15:20, no goal: Squat, sets 65x5, 75x2.
- Now      Mon 01-05 08:00, running Scales timer (BPM 105); the clock is at 09:00.
"""

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cli_helpers import db_state

from fractal_tui.views import MetricSpec, SplitSpec


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The process's local zone, UTC unless a test asks for another."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    use("UTC")
    yield use
    monkeypatch.undo()
    time.tzset()


def ok(result: Any) -> str:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert result.stderr == ""
    return result.stdout


def fails(run: Any, engine: Any, *args: str, code: int = 1, says: str = "") -> str:
    before = db_state(engine)
    result = run(*args)
    assert result.exit_code == code, (result.output, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    if code == 1:
        assert result.stderr.startswith("Error: ")
    assert says.lower() in result.stderr.lower(), result.stderr
    assert db_state(engine) == before
    return result.stderr


def play(
    store: Any,
    clock: Any,
    root: str,
    name: str,
    start: datetime,
    end: Any,
    items: Any,
    goals: tuple[str, ...] = (),
) -> str:
    """items: (activity, timer start, timer end or None, sets or values)."""
    clock.set(max([start] + [t for t in (end, *(i[2] for i in items)) if t is not None]))
    sid = store.start_session(root, name=name, goal_ids=goals, at=start).id
    for activity, begin, stop, recorded in items:
        inst = store.add_instance(sid, activity.id).id
        metric = {m.name: m.id for m in activity.metrics}
        split = {sp.name: sp.id for sp in activity.splits}
        for spec in [recorded] if isinstance(recorded, dict) else recorded:
            set_id = store.add_set(inst, status="completed").id if activity.has_sets else None
            for mname, value in spec.items():
                sides = value if isinstance(value, dict) else {None: value}
                for side, v in sides.items():
                    store.record_value(
                        inst,
                        metric[mname],
                        v,
                        set_id=set_id,
                        split_id=split[side] if side else None,
                    )
        store.start_timer(sid, inst, switch=True, at=begin)
        if stop is not None:
            store.complete_instance(inst, at=stop)
    if end is not None:
        store.end_session(sid, at=end)
    return sid


@pytest.fixture
def piano(store: Any, clock: Any) -> dict[str, Any]:
    clock.set(at(1, 8))
    root = store.create_fractal("Piano").id
    technique = store.add_goal(root, "Technique").id
    scales_goal = store.add_goal(technique, "Scales goal").id
    store.add_goal(root, "Repertoire")
    scales = store.add_activity(root, "Scales", metrics=(MetricSpec("BPM", "bpm"),))
    squat = store.add_activity(
        root,
        "Squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("Weight", "kg"), MetricSpec("Reps", "reps")),
    )
    curl = store.add_activity(
        root,
        "Curl",
        has_sets=True,
        metrics=(MetricSpec("Reps", "reps"),),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    store.add_activity(root, "Sight-reading", metrics=(MetricSpec("Pieces", "pieces"),))
    play(
        store,
        clock,
        root,
        "Morning",
        at(1, 10),
        at(1, 11),
        [
            (scales, at(1, 10), at(1, 10, 30), {"BPM": 100}),
            (
                squat,
                at(1, 10, 30),
                at(1, 11),
                [{"Weight": 60, "Reps": 5}, {"Weight": 70, "Reps": 3}],
            ),
        ],
        goals=(technique,),
    )
    play(
        store,
        clock,
        root,
        "Late",
        at(2, 23),
        at(3, 1),
        [
            (scales, at(2, 23), at(3, 0, 30), {"BPM": 110}),
            (
                curl,
                at(3, 0, 30),
                at(3, 1),
                [{"Reps": {"Left": 10, "Right": 12}}, {"Reps": {"Left": 11, "Right": 9}}],
            ),
        ],
        goals=(scales_goal,),
    )
    play(
        store,
        clock,
        root,
        "Gym",
        at(4, 15),
        at(4, 15, 20),
        [
            (
                squat,
                at(4, 15),
                at(4, 15, 20),
                [{"Weight": 65, "Reps": 5}, {"Weight": 75, "Reps": 2}],
            ),
        ],
    )
    play(store, clock, root, "Now", at(5, 8), None, [(scales, at(5, 8), None, {"BPM": 105})])
    clock.set(at(5, 9))
    return {"root": root}


# --- report ------------------------------------------------------------------------------------


def test_report_by_day_is_the_last_7_days_with_midnight_split_and_the_running_timer(
    run: Any, piano: Any
) -> None:
    out = ok(run("report"))
    assert out.splitlines() == [
        "Piano: 2025-12-30 to 2026-01-05, by day",
        "",
        "Day              Sessions       Time",
        "2026-01-01 Thu          1    1:00:00",
        "2026-01-02 Fri          1    1:00:00",
        "2026-01-03 Sat          0    1:00:00",
        "2026-01-04 Sun          1    0:20:00",
        "2026-01-05 Mon          1    1:00:00  running",
        "Total                   4    4:20:00  running",
        "",
        "Includes the running timer of 'Scales' up to now.",
    ]


def test_report_days_follow_the_local_zone(run: Any, piano: Any, local_zone: Any) -> None:
    # In Berlin (UTC+1) the late session runs from 00:00 to 02:00 on Saturday.
    local_zone("Europe/Berlin")
    out = ok(run("report", "--from", "2026-01-02", "--to", "2026-01-03"))
    assert "2026-01-02 Fri          0    1:00:00" not in out
    assert "2026-01-03 Sat          1    2:00:00" in out
    assert out.splitlines()[0] == "Piano: 2026-01-02 to 2026-01-03, by day"


def test_report_by_activity(run: Any, piano: Any) -> None:
    out = ok(run("report", "--by", "activity", "--from", "2026-01-01"))
    assert out.splitlines()[2:7] == [
        "Activity  Sessions  Times       Time",
        "Scales           3      3    3:00:00  running",
        "Squat            2      2    0:50:00",
        "Curl             1      1    0:30:00",
        "Total            4           4:20:00  running",
    ]


def test_report_by_goal_rolls_up_and_indents(run: Any, piano: Any) -> None:
    out = ok(run("report", "--by", "goal", "--from", "2026-01-01", "--to", "2026-01-04"))
    assert out.splitlines()[:6] == [
        "Piano: 2026-01-01 to 2026-01-04, by goal",
        "",
        "Goal             Sessions       Time",
        "Piano                   3    3:20:00",
        "  Technique             2    3:00:00",
        "    Scales goal         1    2:00:00",
    ]
    assert "Repertoire" not in out  # nothing in the range: left out


def test_report_json(run: Any, piano: Any) -> None:
    data = json.loads(ok(run("report", "--by", "activity", "--json")))
    assert (data["name"], data["by"], data["total_seconds"], data["sessions"]) == (
        "Piano",
        "activity",
        15600,
        4,
    )
    assert data["running"] is True and data["running_activity"] == "Scales"
    assert data["root_id"] == piano["root"] and data["empty"] is False
    assert data["from"] == "2025-12-30T00:00:00+00:00" and data["to"] == "2026-01-05T09:00:00+00:00"
    assert [(r["name"], r["seconds"], r["running"]) for r in data["rows"]] == [
        ("Scales", 10800, True),
        ("Squat", 3000, False),
        ("Curl", 1800, False),
    ]
    days = json.loads(ok(run("report", "--json")))["rows"]
    assert [d["day"] for d in days] == [f"2026-01-0{n}" for n in range(1, 6)]


def test_report_of_an_empty_range_says_so(run: Any, piano: Any) -> None:
    out = ok(run("report", "--from", "2025-06-01", "--to", "2025-06-30"))
    assert out.startswith("No sessions or practice time in 'Piano' from 2025-06-01 to 2025-06-30")
    data = json.loads(ok(run("report", "--from", "2025-06-01", "--to", "2025-06-01", "--json")))
    assert data["empty"] is True and data["rows"] == [] and data["total_seconds"] == 0


def test_report_with_no_practice_at_all(run: Any, store: Any) -> None:
    store.create_fractal("Empty")
    assert "No sessions or practice time in 'Empty'" in ok(run("report", "--by", "goal"))


def test_report_bad_input(run: Any, engine: Any, piano: Any) -> None:
    fails(run, engine, "report", "--from", "yesterday", says="cannot read 'yesterday' as a time")
    fails(run, engine, "report", "--to", "2026-13-01", says="cannot read")
    fails(
        run,
        engine,
        "report",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-01",
        says="--from (2026-01-05 00:00) is after --to",
    )
    fails(run, engine, "report", "--by", "week", code=2, says="invalid value for '--by'")


def test_report_without_a_fractal(run: Any, engine: Any) -> None:
    fails(run, engine, "report", says="no fractal yet")


# --- progress ------------------------------------------------------------------------------


def test_progress_text(run: Any, piano: Any) -> None:
    out = ok(run("progress", "scales"))
    assert out.splitlines() == [
        "Scales: BPM (best set per session)",
        "",
        "Day         Session         Value  Sets",
        "2026-01-01  Morning       100 bpm     1  * best so far",
        "2026-01-02  Late          110 bpm     1  * best so far",
        "2026-01-05  Now           105 bpm     1",
        "",
        "Personal best: 110 bpm",
        "vs last time: -5 bpm (-4.5%), worse",
    ]


def test_progress_product_and_average_and_split(run: Any, piano: Any) -> None:
    out = ok(run("progress", "Squat", "--metric", "product"))
    assert "2026-01-04  Gym       325 kg×reps     2  * best so far" in out
    assert "vs last time: +25 kg×reps (+8.3%), better" in out
    avg = ok(run("progress", "Squat", "--metric", "weight", "--average"))
    assert avg.splitlines()[0] == "Squat: Weight (average of sets per session)"
    assert "70 kg" in avg.splitlines()[4]
    left = ok(run("progress", "Curl", "--split", "left"))
    assert left.splitlines()[0] == "Curl: Reps (best set per session, Left)"
    assert "11 reps" in left.splitlines()[3]


def test_progress_json(run: Any, piano: Any) -> None:
    data = json.loads(ok(run("progress", "Squat", "--json")))
    assert (data["activity_name"], data["metric_name"], data["unit"], data["mode"]) == (
        "Squat",
        "Weight",
        "kg",
        "best",
    )
    assert [(p["day"], p["value"], p["personal_best"]) for p in data["points"]] == [
        ("2026-01-01", 60, True),
        ("2026-01-04", 65, True),
    ]
    assert data["delta"]["delta"] == 5 and data["delta"]["improved"] is True
    assert data["root_id"] == piano["root"]


def test_progress_range(run: Any, piano: Any) -> None:
    out = ok(run("progress", "Scales", "--from", "2026-01-02", "--to", "2026-01-02"))
    assert "2026-01-02  Late" in out and "Morning" not in out and "2026-01-05" not in out


def test_progress_with_no_values(run: Any, piano: Any) -> None:
    out = ok(run("progress", "Sight-reading"))
    assert out.splitlines() == [
        "Sight-reading: Pieces (best set per session)",
        "No values recorded in this range.",
    ]


def test_progress_bad_input(run: Any, engine: Any, piano: Any) -> None:
    fails(run, engine, "progress", "Violin", says="no activity matches 'Violin'")
    fails(
        run,
        engine,
        "progress",
        "Squat",
        "--metric",
        "tempo",
        says="'Squat' has no metric 'tempo'; its metrics: Weight, Reps, product",
    )
    fails(run, engine, "progress", "Scales", "--metric", "product", says="has no product")
    fails(
        run,
        engine,
        "progress",
        "Curl",
        "--split",
        "Middle",
        says="'Curl' has no split 'Middle'; its splits: Left, Right",
    )
    fails(run, engine, "progress", "Scales", "--split", "Left", says="'Scales' has no splits")
    fails(run, engine, "progress", "Scales", "--from", "soon", says="cannot read 'soon'")
    fails(
        run,
        engine,
        "progress",
        "Scales",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-01",
        says="is after --to",
    )
    fails(run, engine, "progress", code=2, says="missing argument")


def test_help_has_examples(run: Any) -> None:
    for command in ("report", "progress"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout
        assert f"fractal {command}" in result.stdout
