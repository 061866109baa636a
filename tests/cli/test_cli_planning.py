"""CLI: add-target, add-template, templates, add-note — good input and bad input."""

import json
from typing import Any

import pytest
from cli_helpers import db_state

from fractal_tui.views import ConditionSpec, MetricSpec


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def fails(run: Any, engine: Any, *args: str, code: int = 1, says: str = "") -> str:
    """A command that must fail with `code`, say `says` on stderr and write nothing."""
    before = db_state(engine)
    result = run(*args)
    assert result.exit_code == code, (result.output, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    if code == 1:
        assert result.stderr.startswith("Error: ")
    assert says.lower() in result.stderr.lower(), result.stderr
    assert db_state(engine) == before
    return result.stderr


@pytest.fixture
def gym(store: Any) -> dict[str, Any]:
    root = store.create_fractal("Strength")
    goal = store.add_goal(root.id, "Squat 100 kg")
    squat = store.add_activity(
        root.id,
        "Back squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("Weight", "kg"), MetricSpec("reps", "reps")),
    )
    run_ = store.add_activity(root.id, "Run", metrics=(MetricSpec("distance", "km"),))
    return {"root": root, "goal": goal, "squat": squat, "run": run_}


# --- add-target --------------------------------------------------------------------------------


def test_add_target_threshold(run: Any, store: Any, gym: dict[str, Any]) -> None:
    out = ok(run("add-target", "squat 100 KG", "back squat", "weight>=100", "REPS == 5")).stdout
    assert out.startswith("Added target 'Back squat: Weight >= 100 kg, reps == 5 reps' to ")
    assert "best Weight -/100 kg, reps - (needs == 5 reps)" in out
    (target,) = store.targets(gym["goal"].id)
    assert [(c.metric_name, c.op, c.value) for c in target.conditions] == [
        ("Weight", ">=", 100),
        ("reps", "==", 5),
    ]


def test_add_target_json_sum_with_range(run: Any, store: Any, gym: dict[str, Any]) -> None:
    data = json.loads(
        ok(
            run(
                "add-target",
                "Squat 100 kg",
                "Run",
                "distance>=42.2",
                "--kind",
                "sum",
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--name",
                "Marathon a quarter",
                "--json",
            )
        ).stdout
    )
    assert data["name"] == "Marathon a quarter" and data["kind"] == "sum"
    assert data["starts_on"] == "2026-01-01" and data["ends_on"] == "2026-03-31"
    assert data["root_id"] == gym["root"].id and data["goal_name"] == "Squat 100 kg"
    assert data["progress"] == "sum -/42.2 km" and data["met"] is False
    for key in ("id", "created_at", "updated_at", "conditions"):
        assert key in data


def test_add_target_frequency_needs_no_condition(run: Any, store: Any, gym: dict[str, Any]) -> None:
    out = ok(run("add-target", "Squat 100 kg", "Run", "--kind", "frequency", "--count", "3")).stdout
    assert "'Run: 3 sessions'" in out and "0/3 sessions" in out


def test_add_target_met_already(run: Any, store: Any, gym: dict[str, Any], clock: Any) -> None:
    session = store.start_session(gym["root"].id)
    inst = store.add_instance(session.id, gym["run"].id)
    store.record_value(inst.id, gym["run"].metrics[0].id, 10)
    clock.advance(minutes=30)
    store.end_session(session.id)
    out = ok(run("add-target", "Squat 100 kg", "Run", "distance>=5")).stdout
    assert out.rstrip().endswith("already met")
    assert store.get_goal(gym["goal"].id).completed_by == "targets"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("Squat 100 kg", "Back squat", "weight"), "cannot read 'weight' as a condition"),
        (("Squat 100 kg", "Back squat", "weight>=heavy"), "is not a number"),
        (("Squat 100 kg", "Back squat", "weight>=nan"), "finite"),
        (("Squat 100 kg", "Back squat", "speed>=3"), "has no metric 'speed'"),
        (("Squat 100 kg", "Back squat"), "needs at least one condition"),
        (("Squat 100 kg", "Run", "--kind", "frequency"), "needs a count"),
        (("Squat 100 kg", "Run", "--kind", "frequency", "--count", "0"), "1 or more"),
        (("Squat 100 kg", "Run", "distance>=1", "--count", "2"), "only applies to frequency"),
        (("Squat 100 kg", "Run", "distance>=1", "--from", "someday"), "cannot read 'someday'"),
        (
            ("Squat 100 kg", "Run", "distance>=1", "--from", "2026-02-01", "--to", "2026-01-01"),
            "ends",
        ),
        (("Deadlift", "Run", "distance>=1"), "no goal matches 'Deadlift'"),
        (("Squat 100 kg", "Swim", "distance>=1"), "no activity matches 'Swim'"),
    ],
)
def test_add_target_bad_input(
    run: Any, engine: Any, gym: dict[str, Any], args: tuple[str, ...], says: str
) -> None:
    fails(run, engine, "add-target", *args, says=says)


def test_add_target_usage_errors(run: Any, engine: Any, gym: dict[str, Any]) -> None:
    fails(run, engine, "add-target", "Squat 100 kg", code=2, says="Missing argument")
    fails(run, engine, "add-target", "Squat 100 kg", "Run", "--kind", "weekly", code=2)
    fails(run, engine, "add-target", "Squat 100 kg", "Run", "--count", "x", code=2)


# --- templates ---------------------------------------------------------------------------------


def test_add_template_with_items_and_list(run: Any, store: Any, gym: dict[str, Any]) -> None:
    out = ok(
        run(
            "add-template",
            "Leg day",
            "--item",
            "Warm-up:Run=10",
            "--item",
            "Main:back squat=30",
            "--item",
            "Warm-up: run = 5",
            "--description",
            "heavy",
        )
    ).stdout
    assert out.startswith("Added template 'Leg day' (3 activities in 2 sections, 45 min; id ")
    (t,) = store.templates(gym["root"].id)
    assert [(s.name, s.planned_minutes) for s in t.sections] == [("Warm-up", 15), ("Main", 30)]
    listing = ok(run("templates")).stdout
    assert listing.splitlines() == [
        f"Leg day  (45 min, id {t.id[:8]})",
        "  heavy",
        "  Warm-up  15 min: Run 10, Run 5",
        "  Main  30 min: Back squat 30",
    ]
    data = json.loads(ok(run("templates", "--json")).stdout)
    assert [d["name"] for d in data] == ["Leg day"]
    assert data[0]["planned_minutes"] == 45 and data[0]["root_id"] == gym["root"].id
    assert [s["name"] for s in data[0]["sections"]] == ["Warm-up", "Main"]


def test_templates_empty(run: Any, gym: dict[str, Any]) -> None:
    assert "No templates yet" in ok(run("templates")).stdout
    assert json.loads(ok(run("templates", "--json")).stdout) == []


def test_add_template_from_session(run: Any, store: Any, gym: dict[str, Any], clock: Any) -> None:
    session = store.start_session(gym["root"].id, name="Monday")
    inst = store.add_instance(session.id, gym["squat"].id, section="Main")
    store.start_timer(session.id, inst.id)
    clock.advance(minutes=24, seconds=10)
    store.end_session(session.id)
    data = json.loads(
        ok(run("add-template", "Like Monday", "--from-session", "last", "--json")).stdout
    )
    assert data["name"] == "Like Monday" and data["planned_minutes"] == 25
    assert data["sections"][0]["name"] == "Main"
    out = ok(run("add-template", "Again", "--from-session", session.id[:6])).stdout
    assert "1 activity in 1 section, 25 min" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("",), "needs a name"),
        (("Leg day", "--item", "Warm-up:Swim=5"), "no activity matches 'Swim'"),
        (("Leg day", "--item", "Warm-up:Run=ten"), "is not a number of minutes"),
        (("Leg day", "--item", "Warm-up:Run=-5"), "between 0 and"),
        (("Leg day", "--item", "Warm-up:=5"), "names no activity"),
        (("Leg day", "--from-session", "active"), "no active session"),
        (("Leg day", "--from-session", "last"), "no session yet"),
        (("Leg day", "--from-session", "zzzzzz"), "no session matches"),
        (("Taken",), "already exists"),
    ],
)
def test_add_template_bad_input(
    run: Any, engine: Any, store: Any, gym: dict[str, Any], args: tuple[str, ...], says: str
) -> None:
    store.add_template(gym["root"].id, "Taken")
    fails(run, engine, "add-template", *args, says=says)


def test_add_template_usage_error(run: Any, engine: Any, gym: dict[str, Any]) -> None:
    fails(
        run,
        engine,
        "add-template",
        "X",
        "--from-session",
        "last",
        "--item",
        "A:Run=1",
        code=2,
        says="not both",
    )


# --- add-note ----------------------------------------------------------------------------------


def test_add_note_to_goal_session_and_instance(run: Any, store: Any, gym: dict[str, Any]) -> None:
    out = ok(run("add-note", "squat 100 kg", "go", "deeper")).stdout
    assert out.startswith("Added a note to goal 'Squat 100 kg' (id ")
    assert [n.text for n in store.notes_for(goal_id=gym["goal"].id)] == ["go deeper"]
    session = store.start_session(gym["root"].id, name="Monday")
    inst = store.add_instance(session.id, gym["run"].id)
    assert "session 'Monday'" in ok(run("add-note", "session", "tired")).stdout
    data = json.loads(ok(run("add-note", inst.id[:7], "easy pace", "--json")).stdout)
    assert data["instance_id"] == inst.id and data["text"] == "easy pace"
    assert data["subject"]["kind"] == "instance" and data["root_id"] == gym["root"].id
    assert [n.text for n in store.notes_for(session_id=session.id)] == ["tired"]


def test_add_note_bad_input(run: Any, engine: Any, store: Any, gym: dict[str, Any]) -> None:
    fails(run, engine, "add-note", "session", "x", says="no active session")
    fails(run, engine, "add-note", "Deadlift", "x", says="nothing matches 'Deadlift'")
    fails(run, engine, "add-note", "Squat 100 kg", "   ", says="needs some text")
    fails(run, engine, "add-note", "Squat 100 kg", "bell\x07", says="control characters")
    fails(run, engine, "add-note", "Squat 100 kg", "x", "--kind", "session", says="nothing")
    fails(run, engine, "add-note", "Squat 100 kg", code=2, says="Missing argument")
    store.add_goal(gym["root"].id, "Squat 100 kg")
    fails(run, engine, "add-note", "Squat 100 kg", "x", says="matches 2 things")


def test_help_has_examples(run: Any) -> None:
    for name in ("add-target", "add-template", "templates", "add-note"):
        assert "Example:" in ok(run(name, "--help")).stdout


def test_targets_shown_in_goal_detail_after_cli(run: Any, store: Any, gym: dict[str, Any]) -> None:
    ok(run("add-target", "Squat 100 kg", "Back squat", "weight>=100"))
    store.add_target(gym["goal"].id, gym["run"].id, [ConditionSpec("distance", ">=", 5)])
    assert len(store.goal_detail(gym["goal"].id).targets) == 2
