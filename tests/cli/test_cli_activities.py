"""`fractal add-group`, `groups`, `edit-group`, `add-activity`, `activities`, `edit-activity`."""

import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from fractal_tui.cli import COMMANDS, cli
from fractal_tui.models import ActivityInstance, MetricValue, PracticeSession


def table_rows(store: Any) -> dict[str, list[tuple]]:
    from sqlmodel import SQLModel

    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in r) for r in conn.execute(select(t)).all())
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def root(store: Any) -> str:
    return store.create_fractal("Gym").id


@pytest.fixture
def run(db_url: str, root: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke `fractal --db DB …`; edit-group is registered here until the lead adds it."""
    monkeypatch.setitem(COMMANDS, "edit-group", "activities:edit_group")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, ["--db", db_url, *args])

    return invoke


def fails(run: Any, store: Any, args: list[str], message: str, code: int = 1) -> None:
    """The command exits with code, says message on stderr, and changes nothing."""
    before = table_rows(store)
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    if code == 1:
        assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output + result.stderr
    assert table_rows(store) == before


# --- add-activity --------------------------------------------------------------------------


def test_add_activity_json_has_metric_and_split_ids(run: Any, store: Any, root: str) -> None:
    result = run(
        "add-activity", "Back squat", "--group", "Legs", "--sets", "--product",
        "--metric", "weight:kg:best", "--metric", "reps:count",
        "--metric", "rpe:1-10:additive:lower", "--split", "Left", "--split", "Right", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"] == "Back squat" and data["root_id"] == root
    assert data["created"] is True and data["group_created"] is True
    assert data["group_name"] == "Legs" and data["has_sets"] and data["metrics_multiplicative"]
    assert data["has_splits"] is True
    for key in ("id", "created_at", "updated_at"):
        assert data[key]
    metrics = {m["name"]: m for m in data["metrics"]}
    assert list(metrics) == ["weight", "reps", "rpe"]
    assert metrics["weight"]["is_best_set"] and metrics["weight"]["unit"] == "kg"
    assert metrics["rpe"]["is_multiplicative"] is False
    assert metrics["rpe"]["higher_is_better"] is False
    stored = store.get_activity(data["id"])
    assert [m.id for m in stored.metrics] == [m["id"] for m in data["metrics"]]
    assert [sp.id for sp in stored.splits] == [sp["id"] for sp in data["splits"]]
    assert [sp["name"] for sp in data["splits"]] == ["Left", "Right"]


def test_add_activity_says_when_it_creates_the_group(run: Any, store: Any, root: str) -> None:
    first = run("add-activity", "Squat", "--group", "Legs", "--metric", "weight:kg")
    assert first.exit_code == 0
    assert first.stdout.startswith("Added activity 'Squat' in new group 'Legs' (id ")
    assert "metrics: weight [kg]" in first.stdout
    second = run("add-activity", "Lunge", "--group", "legs")
    assert second.exit_code == 0
    assert "in group 'Legs'" in second.stdout and "new group" not in second.stdout
    assert [(g.name, g.activity_count) for g in store.groups(root)] == [("Legs", 2)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "weight"], "--metric 'weight' needs a unit: write NAME:UNIT"),
        (["--metric", ":kg"], "--metric ':kg' needs a name"),
        (["--metric", "weight:kg:heavy"], "unknown flag 'heavy'; flags are best, additive, lower"),
        (
            ["--metric", "a:u", "--metric", "b:u", "--metric", "c:u", "--metric", "d:u"],
            "an activity can have at most 3 metrics; got 4",
        ),
        (
            ["--metric", "a:u:best", "--metric", "b:u:best"],
            "only one metric can pick the best set",
        ),
        (["--metric", "a:u", "--metric", "A:v"], "two metrics are called 'A'"),
        (["--split", "Left"], "an activity has no splits or 2 to 5 of them"),
        (["--split", "L", "--split", "l"], "two splits are called 'l'"),
        # The group would be new: a failure must not leave it behind.
        (["--group", "Legs", "--split", "Left"], "no splits or 2 to 5"),
    ],
)
def test_add_activity_bad_specs_exit_1_and_write_nothing(
    run: Any, store: Any, args: list[str], message: str
) -> None:
    fails(run, store, ["add-activity", "Squat", *args], message)


def test_add_activity_empty_name(run: Any, store: Any) -> None:
    fails(run, store, ["add-activity", "  "], "Error: an activity needs a name")


def test_add_activity_if_missing_is_a_no_op_when_it_exists(run: Any, store: Any, root: str) -> None:
    made = run("add-activity", "Squat", "--metric", "weight:kg", "--json")
    assert made.exit_code == 0
    made_id = json.loads(made.stdout)["id"]
    before = table_rows(store)
    again = run("add-activity", "SQUAT", "--if-missing", "--metric", "reps:count", "--json")
    assert again.exit_code == 0
    data = json.loads(again.stdout)
    assert data["created"] is False and data["id"] == made_id
    assert [m["name"] for m in data["metrics"]] == ["weight"]
    assert table_rows(store) == before
    human = run("add-activity", "squat", "--if-missing")
    assert human.exit_code == 0 and "exists already" in human.stdout
    # Without the flag names need not be unique.
    assert run("add-activity", "Squat").exit_code == 0
    assert [a.name for a in store.activities(root)] == ["Squat", "Squat"]
    # A bad spec is still an error, even when the activity exists.
    fails(run, store, ["add-activity", "Squat", "--if-missing", "--metric", "x"], "needs a unit")


def test_add_activity_without_a_fractal_is_a_clear_error(tmp_path: Any) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "empty.db"), "add-activity", "X"])
    assert result.exit_code == 1
    assert "there is no fractal yet" in result.stderr


# --- groups --------------------------------------------------------------------------------


def test_add_group_and_groups(run: Any, store: Any, root: str) -> None:
    assert run("add-group", "Technique", "--description", "daily").exit_code == 0
    made = run("add-group", "Repertoire", "--json")
    assert json.loads(made.stdout)["name"] == "Repertoire"
    run("add-activity", "Scales", "--group", "Technique")
    listing = run("groups")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[0].startswith(" 1. Technique") and "1 activity " in lines[0]
    assert lines[1].startswith(" 2. Repertoire") and "0 activities" in lines[1]
    data = json.loads(run("groups", "--json").stdout)
    assert [(g["name"], g["activity_count"], g["sort_order"]) for g in data] == [
        ("Technique", 1, 0),
        ("Repertoire", 0, 1),
    ]
    assert {"id", "root_id", "created_at", "updated_at"} <= set(data[0])

    before = table_rows(store)
    again = run("add-group", "technique", "--if-missing", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["created"] is False
    assert table_rows(store) == before
    fails(run, store, ["add-group", " "], "Error: a group needs a name")


def test_groups_when_there_are_none(run: Any) -> None:
    result = run("groups")
    assert result.exit_code == 0 and "No groups yet" in result.stdout
    assert json.loads(run("groups", "--json").stdout) == []


def test_edit_group_renames_and_reorders(run: Any, store: Any, root: str) -> None:
    run("add-group", "Technique")
    run("add-group", "Repertoire")
    result = run("edit-group", "repertoire", "--up", "--name", "Pieces")
    assert result.exit_code == 0, result.stderr
    assert "Updated group 'Pieces'" in result.stdout and "moved it up" in result.stdout
    assert [g.name for g in store.groups(root)] == ["Pieces", "Technique"]
    assert "already first" in run("edit-group", "Pieces", "--up").stdout
    fails(run, store, ["edit-group", "Pieces"], "nothing to change", code=2)
    fails(run, store, ["edit-group", "Pieces", "--up", "--down"], "not both", code=2)
    fails(run, store, ["edit-group", "Nope", "--up"], "Error: no group matches 'Nope'")
    fails(run, store, ["edit-group", "Pieces", "--name", ""], "Error: a group needs a name")


# --- activities ----------------------------------------------------------------------------


def test_activities_lists_by_group_with_ungrouped_last(run: Any, store: Any, root: str) -> None:
    run("add-activity", "Plank", "--metric", "time:s:lower")
    run("add-activity", "Squat", "--group", "Legs", "--sets", "--product",
        "--metric", "weight:kg:best", "--metric", "reps:count")  # fmt: skip
    run("add-activity", "Lunge", "--group", "Legs", "--split", "Left", "--split", "Right")
    run("add-group", "Core")
    run("edit-group", "Core", "--up")
    run("add-activity", "Crunch", "--group", "Core")
    result = run("activities")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [ln.strip().split("  ")[0] for ln in lines] == [
        "Core",
        "Crunch",
        "Legs",
        "Squat",
        "Lunge",
        "(no group)",
        "Plank",
    ]
    squat = next(ln for ln in lines if "Squat" in ln)
    assert "weight [kg] (best), reps [count]" in squat and "product: weight x reps" in squat
    assert "never done" in squat
    assert "splits: Left/Right" in next(ln for ln in lines if "Lunge" in ln)
    assert "time [s] (lower is better)" in next(ln for ln in lines if "Plank" in ln)

    data = json.loads(run("activities", "--json").stdout)
    assert [a["name"] for a in data] == ["Crunch", "Squat", "Lunge", "Plank"]
    assert data[1]["times_done"] == 0 and data[1]["last_done"] is None
    only_legs = json.loads(run("activities", "--group", "legs", "--json").stdout)
    assert [a["name"] for a in only_legs] == ["Squat", "Lunge"]
    found = run("activities", "--search", "UNG")
    assert "Lunge" in found.stdout and "Squat" not in found.stdout
    assert run("activities", "--search", "zzz").stdout.strip() == "No activity matches."


def test_activities_when_there_are_none(run: Any) -> None:
    assert "No activities yet" in run("activities").stdout
    assert json.loads(run("activities", "--json").stdout) == []


# --- edit-activity -------------------------------------------------------------------------


def record_values(store: Any, activity_id: str, values: dict[str, float]) -> None:
    a = store.get_activity(activity_id)
    by_name = {m.name: m.id for m in a.metrics}
    now = store.now()
    with store._tx(a.root_id) as s:
        session = store._insert(
            s, PracticeSession(started_at=now, ended_at=now, completed_at=now), root_id=a.root_id
        )
        inst = store._insert(s, ActivityInstance(session_id=session.id, activity_id=a.id))
        for name, value in values.items():
            store._insert(s, MetricValue(instance_id=inst.id, metric_id=by_name[name], value=value))


def test_edit_activity_metrics_matched_by_name_keep_their_values(
    run: Any, store: Any, root: str
) -> None:
    run("add-activity", "Squat", "--metric", "weight:kg:best", "--metric", "reps:count",
        "--metric", "rpe:1-10")  # fmt: skip
    before = store.resolve_activity(root, "Squat")
    ids = {m.name: m.id for m in before.metrics}
    record_values(store, before.id, {"weight": 100, "reps": 5, "rpe": 8})

    result = run("edit-activity", "squat", "--metric", "reps:count", "--metric", "weight:lb:best",
                 "--metric", "tempo:s:additive")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "removed metric 'rpe' (its recorded values are kept)" in result.stdout
    assert "added metric 'tempo'" in result.stdout
    after = store.get_activity(before.id)
    assert [(m.name, m.unit) for m in after.metrics] == [
        ("reps", "count"),
        ("weight", "lb"),
        ("tempo", "s"),
    ]
    assert after.metrics[0].id == ids["reps"] and after.metrics[1].id == ids["weight"]
    assert after.metrics[2].is_multiplicative is False
    with store._read(root) as s:
        kept = {v.metric_id: v.value for v in s.execute(select(MetricValue)).scalars()}
    assert kept == {ids["weight"]: 100, ids["reps"]: 5, ids["rpe"]: 8}

    renamed = run("edit-activity", "Squat", "--rename-metric", "weight=load", "--json")
    data = json.loads(renamed.stdout)
    assert [m["name"] for m in data["metrics"]] == ["reps", "load", "tempo"]
    assert data["metrics"][1]["id"] == ids["weight"]
    cleared = run("edit-activity", "Squat", "--no-metrics")
    assert cleared.exit_code == 0 and store.get_activity(before.id).metrics == ()


def test_edit_activity_name_group_flags_splits_and_order(run: Any, store: Any, root: str) -> None:
    run("add-activity", "Squat", "--group", "Legs")
    run("add-activity", "Lunge", "--group", "Legs", "--split", "Left", "--split", "Right")
    lunge = store.resolve_activity(root, "Lunge")
    left, right = (sp.id for sp in lunge.splits)

    result = run("edit-activity", "Lunge", "--up", "--sets", "--product", "--name", "Split squat",
                 "--description", "rear foot up")  # fmt: skip
    assert result.exit_code == 0 and "moved up" in result.stdout
    after = store.get_activity(lunge.id)
    assert (after.name, after.description, after.has_sets, after.metrics_multiplicative) == (
        "Split squat",
        "rear foot up",
        True,
        True,
    )
    assert [a.name for a in store.activities(root)] == ["Split squat", "Squat"]

    splits = run("edit-activity", "split squat", "--split", "right", "--split", "Left",
                 "--split", "Both", "--no-sets")  # fmt: skip
    assert splits.exit_code == 0, splits.stderr
    after = store.get_activity(lunge.id)
    assert [sp.name for sp in after.splits] == ["right", "Left", "Both"]
    assert [sp.id for sp in after.splits][:2] == [right, left] and not after.has_sets
    renamed = run("edit-activity", "split squat", "--rename-split", "right=R")
    assert "renamed split 'right' to 'R'" in renamed.stdout

    moved = run("edit-activity", "split squat", "--group", "Unilateral")
    assert "moved to group 'Unilateral'" in moved.stdout and "created group" in moved.stdout
    loose = run("edit-activity", "split squat", "--no-group", "--no-splits", "--json")
    data = json.loads(loose.stdout)
    assert data["group_id"] is None and data["splits"] == [] and data["has_splits"] is False


def test_edit_activity_bad_input_exits_and_writes_nothing(run: Any, store: Any, root: str) -> None:
    run("add-activity", "Squat", "--metric", "weight:kg", "--split", "L", "--split", "R")
    run("add-activity", "squat")
    fails(run, store, ["edit-activity", "Squat", "--name", "x"], "'Squat' matches 2 activities")
    squat = store.activities(root)[0].id[:8]
    cases = [
        (["--metric", "weight"], "needs a unit", 1),
        (
            ["--metric", "a:u", "--metric", "b:u", "--metric", "c:u", "--metric", "d:u"],
            "at most 3 metrics",
            1,
        ),  # fmt: skip
        (["--split", "Only"], "no splits or 2 to 5", 1),
        (["--name", ""], "an activity needs a name", 1),
        (["--rename-metric", "reps=count"], "has no metric called 'reps'; it has: weight", 1),
        (["--rename-metric", "weight"], "write OLD=NEW", 1),
        (["--split", "Only", "--group", "New group"], "no splits or 2 to 5", 1),
        ([], "nothing to change", 2),
        (["--up", "--down"], "not both", 2),
        (["--metric", "a:b", "--no-metrics"], "not both", 2),
        (["--group", "G", "--no-group"], "not both", 2),
    ]
    for args, message, code in cases:
        fails(run, store, ["edit-activity", squat, *args], message, code)
    fails(run, store, ["edit-activity", "Nothing", "--name", "x"], "no activity matches 'Nothing'")


def test_every_command_has_an_example_in_its_help(run: Any) -> None:
    for name in ("add-group", "groups", "edit-group", "add-activity", "activities"):
        result = run(name, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout, name
    assert "Example:" in run("edit-activity", "--help").stdout
