"""CLI: add-fractal, fractals, rename-fractal, add-goal, goals, edit-goal, complete-goal."""

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import db_state


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def fails(run: Any, engine: Any, *args: str, code: int = 1, says: str = "") -> str:
    """Run a command that must fail with `code`, say `says` on stderr and write nothing."""
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


@pytest.fixture
def piano(store: Any) -> Any:
    """A small fractal: Piano > Bach (long-term) > Prelude, Fugue (mid-term); Scales."""
    root = store.create_fractal("Piano")
    bach = store.add_goal(root.id, "Bach")
    prelude = store.add_goal(bach.id, "Prelude")
    fugue = store.add_goal(bach.id, "Fugue")
    scales = store.add_goal(root.id, "Scales", level=3)
    return {"root": root, "bach": bach, "prelude": prelude, "fugue": fugue, "scales": scales}


def goal_named(store: Any, root_id: str, name: str) -> Any:
    return store.resolve_goal(root_id, name)


# --- add-fractal ---------------------------------------------------------------------------


def test_add_fractal_creates_a_root_goal_that_is_its_own_root(run: Any, store: Any) -> None:
    result = ok(run("add-fractal", "Become a concert pianist", "--description", "by 2030"))
    assert result.stdout.startswith("Created fractal 'Become a concert pianist' (ultimate, id ")
    [fractal] = store.list_fractals()
    assert fractal.name == "Become a concert pianist"
    assert fractal.description == "by 2030"
    assert fractal.level == 0
    assert fractal.root_id == fractal.id
    assert fractal.id[:8] in result.stdout


def test_add_fractal_json_has_the_row_fields(run: Any, store: Any, clock: Any) -> None:
    data = json.loads(ok(run("add-fractal", "Run", "--level", "long-term", "--json")).stdout)
    assert data["name"] == "Run"
    assert data["level"] == 1 and data["level_name"] == "long-term"
    assert data["root_id"] == data["id"] and data["parent_id"] is None
    assert data["created_at"] == clock.now.isoformat() == data["updated_at"]
    assert store.get_goal(data["id"]).level == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add-fractal", ""], "needs a name"),
        (["add-fractal", "   "], "needs a name"),
        (["add-fractal", "Bad\x07name"], "control characters"),
        (["add-fractal", "X", "--level", "huge"], "unknown level 'huge'"),
        (["add-fractal", "X", "--level", "9"], "unknown level '9'"),
    ],
)
def test_add_fractal_bad_input_writes_nothing(
    run: Any, engine: Any, args: list[str], says: str
) -> None:
    fails(run, engine, *args, says=says)


# --- fractals ------------------------------------------------------------------------------


def test_fractals_without_any_says_how_to_start(run: Any) -> None:
    assert "fractal add-fractal NAME" in ok(run("fractals")).stdout
    assert json.loads(ok(run("fractals", "--json")).stdout) == []


def test_fractals_lists_counts_and_completion(run: Any, store: Any, clock: Any, piano: Any) -> None:
    store.complete_goal(piano["prelude"].id)
    clock.advance(minutes=1)
    other = store.create_fractal("Run")
    store.add_goal(other.id, "5k")
    lines = ok(run("fractals")).stdout.splitlines()
    assert len(lines) == 2
    piano_line = next(line for line in lines if "Piano" in line)
    assert "4 goals, 25% done" in piano_line
    assert "no active session" in piano_line
    run_line = next(line for line in lines if "Run" in line)
    assert "1 goal, 0% done" in run_line
    # The fractal used last (Run: created after Piano's goals) is the default, marked *.
    assert run_line.startswith("* ") and piano_line.startswith("  ")
    data = json.loads(ok(run("fractals", "--json")).stdout)
    by_name = {f["name"]: f for f in data}
    assert by_name["Piano"]["goal_count"] == 4
    assert by_name["Piano"]["completed_count"] == 1
    assert by_name["Piano"]["completion_pct"] == 25.0
    assert by_name["Run"]["root_id"] == other.id
    for f in data:
        assert {"id", "name", "root_id", "created_at", "updated_at", "last_activity"} <= set(f)


def test_fractals_shows_the_active_session(run: Any, store: Any, clock: Any, piano: Any) -> None:
    session = store.start_session(piano["root"].id, name="Morning practice")
    clock.advance(minutes=5)
    line = ok(run("fractals")).stdout.strip()
    assert "session: Morning practice" in line
    assert f"last activity {clock.now.astimezone().strftime('%Y-%m-%d')}" in line
    [data] = json.loads(ok(run("fractals", "--json")).stdout)
    assert data["active_session_id"] == session.id
    assert data["active_session_name"] == "Morning practice"


def test_fractals_marks_the_fractal_chosen_with_the_global_option(
    run: Any, store: Any, piano: Any
) -> None:
    store.create_fractal("Run")
    lines = ok(run("--fractal", "Piano", "fractals")).stdout.splitlines()
    assert next(line for line in lines if "Piano" in line).startswith("* ")


# --- rename-fractal ------------------------------------------------------------------------


def test_rename_fractal(run: Any, store: Any, piano: Any) -> None:
    result = ok(run("rename-fractal", "piano", "Concert pianist"))
    assert result.stdout.strip() == "Renamed fractal 'Piano' to 'Concert pianist'"
    assert store.get_goal(piano["root"].id).name == "Concert pianist"
    data = json.loads(ok(run("rename-fractal", piano["root"].id[:6], "Pianist", "--json")).stdout)
    assert data["name"] == "Pianist" and data["id"] == piano["root"].id


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["rename-fractal", "Violin", "X"], "no goal matches 'Violin'"),
        (["rename-fractal", "Bach", "X"], "no goal matches 'Bach'"),  # a goal, not a fractal
        (["rename-fractal", "Piano", ""], "needs a name"),
        (["rename-fractal", "Piano", "a\nb"], "control characters"),
    ],
)
def test_rename_fractal_bad_input_writes_nothing(
    run: Any, engine: Any, piano: Any, args: list[str], says: str
) -> None:
    fails(run, engine, *args, says=says)


# --- add-goal ------------------------------------------------------------------------------


def test_add_goal_defaults_to_the_next_level_below_the_parent(
    run: Any, store: Any, piano: Any
) -> None:
    result = ok(run("add-goal", "Invention No. 1", "--parent", "Prelude"))
    assert result.stdout.startswith("Added short-term goal 'Invention No. 1' under 'Prelude' (id ")
    goal = goal_named(store, piano["root"].id, "Invention No. 1")
    assert goal.parent_id == piano["prelude"].id
    assert goal.level == 3
    assert goal.root_id == piano["root"].id


def test_add_goal_under_the_fractal_name_with_level_deadline_and_description(
    run: Any, store: Any, piano: Any
) -> None:
    data = json.loads(
        ok(
            run(
                "add-goal",
                "Sight-reading",
                "--parent",
                "PIANO",
                "--level",
                "mid-term",
                "--deadline",
                "2026-06-30",
                "--description",
                "a page a day",
                "--json",
            )
        ).stdout
    )
    assert data["parent_id"] == piano["root"].id
    assert data["level"] == 2 and data["level_name"] == "mid-term"
    assert data["deadline"] == "2026-06-30"
    assert data["description"] == "a page a day"
    assert data["root_id"] == piano["root"].id
    assert {"id", "name", "created_at", "updated_at"} <= set(data)
    assert store.get_goal(data["id"]).deadline.isoformat() == "2026-06-30"


def test_add_goal_by_parent_id_prefix_and_level_rank(run: Any, store: Any, piano: Any) -> None:
    ok(run("add-goal", "C major", "--parent", piano["scales"].id[:5], "--level", "5"))
    goal = goal_named(store, piano["root"].id, "C major")
    assert goal.parent_id == piano["scales"].id and goal.level == 5


def test_add_goal_resolves_names_in_the_current_fractal_only(
    run: Any, store: Any, engine: Any, piano: Any
) -> None:
    run_fractal = store.create_fractal("Run")
    store.add_goal(run_fractal.id, "Endurance")
    # "Endurance" lives in Run; with Piano chosen it is not found and nothing is written.
    fails(
        run,
        engine,
        "--fractal",
        "Piano",
        "add-goal",
        "X",
        "--parent",
        "Endurance",
        says="no goal matches 'Endurance'",
    )
    ok(run("--fractal", "Run", "add-goal", "Long run", "--parent", "Endurance"))
    assert goal_named(store, run_fractal.id, "Long run").root_id == run_fractal.id


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add-goal", "X", "--parent", "Nope"], "no goal matches 'Nope'"),
        (["add-goal", "X", "--parent", "Bach", "--level", "huge"], "unknown level 'huge'"),
        (["add-goal", "X", "--parent", "Bach", "--level", "long-term"], "below its parent"),
        (["add-goal", "X", "--parent", "Bach", "--level", "ultimate"], "below its parent"),
        (["add-goal", "X", "--parent", "Bach", "--deadline", "31/12/2026"], "YYYY-MM-DD"),
        (["add-goal", "X", "--parent", "Bach", "--deadline", "2026-02-30"], "YYYY-MM-DD"),
        (["add-goal", "", "--parent", "Bach"], "needs a name"),
        (["add-goal", "X", "--parent", ""], "name a goal"),
    ],
)
def test_add_goal_bad_input_writes_nothing(
    run: Any, engine: Any, piano: Any, args: list[str], says: str
) -> None:
    fails(run, engine, *args, says=says)


def test_add_goal_under_the_lowest_level_is_refused(run: Any, engine: Any, store: Any) -> None:
    root = store.create_fractal("Tiny")
    store.add_goal(root.id, "Nano goal", level=6)
    fails(run, engine, "add-goal", "X", "--parent", "Nano goal", says="lowest level")


def test_add_goal_with_an_ambiguous_parent_lists_the_candidates(
    run: Any, engine: Any, store: Any, piano: Any
) -> None:
    store.add_goal(piano["bach"].id, "Scales", level=4)
    err = fails(run, engine, "add-goal", "X", "--parent", "scales", says="matches 2 goals")
    assert piano["scales"].id[:8] in err
    assert "id prefix" in err


def test_add_goal_without_parent_is_a_usage_error(run: Any, engine: Any, piano: Any) -> None:
    fails(run, engine, "add-goal", "X", code=2, says="--parent")


def test_add_goal_without_any_fractal_says_how_to_start(run: Any, engine: Any) -> None:
    fails(run, engine, "add-goal", "X", "--parent", "Y", says="fractal add-fractal")


# --- goals ---------------------------------------------------------------------------------


def test_goals_prints_the_tree_indented_with_levels_deadlines_and_ids(
    run: Any, store: Any, clock: Any, piano: Any
) -> None:
    today = clock.now.astimezone().date()
    store.update_goal(piano["prelude"].id, deadline=today + timedelta(days=10))
    store.update_goal(piano["fugue"].id, deadline=today - timedelta(days=2))
    lines = ok(run("goals")).stdout.splitlines()
    assert [re.match(r"^( *\[.\] [^\[]+?)  \[", line).group(1) for line in lines] == [
        "[ ] Piano",
        "  [ ] Bach",
        "    [ ] Prelude",
        "    [ ] Fugue",
        "  [ ] Scales",
    ]
    assert "[long-term]" in lines[1]
    assert f"due {(today + timedelta(days=10)).isoformat()} (in 10d)" in lines[2]
    assert "(2d overdue)" in lines[3]
    assert "[short-term]" in lines[4]
    assert piano["scales"].id[:8] in lines[4]


def test_goals_hides_completed_goals_unless_all(run: Any, store: Any, piano: Any) -> None:
    store.complete_goal(piano["prelude"].id)
    shown = ok(run("goals")).stdout
    assert "Prelude" not in shown and "Fugue" in shown
    everything = ok(run("goals", "--all")).stdout
    prelude_line = next(line for line in everything.splitlines() if "Prelude" in line)
    assert prelude_line.strip().startswith("[x] Prelude")
    assert "done " in prelude_line


def test_goals_keeps_a_completed_goal_that_has_open_goals_below(
    run: Any, store: Any, piano: Any
) -> None:
    store.complete_goal(piano["bach"].id)  # its children are still open
    lines = ok(run("goals")).stdout.splitlines()
    assert any(line.strip().startswith("[x] Bach") for line in lines)
    assert any("Fugue" in line for line in lines)
    store.complete_goal(piano["prelude"].id)
    store.complete_goal(piano["fugue"].id)
    assert "Bach" not in ok(run("goals")).stdout


def test_goals_json_is_the_tree_with_parent_ids_and_level_names(
    run: Any, store: Any, piano: Any
) -> None:
    store.complete_goal(piano["fugue"].id)
    data = json.loads(ok(run("goals", "--json")).stdout)
    assert [g["name"] for g in data] == ["Piano", "Bach", "Prelude", "Scales"]
    assert [g["depth"] for g in data] == [0, 1, 2, 1]
    assert data[2]["parent_id"] == piano["bach"].id
    assert data[2]["level_name"] == "mid-term"
    assert all(g["root_id"] == piano["root"].id for g in data)
    data = json.loads(ok(run("goals", "--all", "--json")).stdout)
    assert [g["name"] for g in data] == ["Piano", "Bach", "Prelude", "Fugue", "Scales"]
    assert data[3]["completed_at"] is not None


def test_goals_shows_only_the_chosen_fractal(run: Any, store: Any, piano: Any) -> None:
    other = store.create_fractal("Run")
    store.add_goal(other.id, "Marathon")
    assert "Marathon" not in ok(run("--fractal", "Piano", "goals")).stdout
    shown = ok(run("--fractal", "Run", "goals")).stdout
    assert "Marathon" in shown and "Bach" not in shown


def test_goals_with_an_unknown_fractal_fails(run: Any, engine: Any, piano: Any) -> None:
    fails(run, engine, "--fractal", "Violin", "goals", says="no goal matches 'Violin'")


# --- edit-goal -----------------------------------------------------------------------------


def test_edit_goal_changes_fields(run: Any, store: Any, clock: Any, piano: Any) -> None:
    clock.advance(minutes=5)
    result = ok(
        run(
            "edit-goal",
            "Prelude",
            "--name",
            "Prelude in C",
            "--description",
            "BWV 846",
            "--deadline",
            "2026-03-01",
            "--level",
            "short-term",
            "--complete-with-children",
        )
    )
    assert result.stdout.startswith("Updated goal 'Prelude in C'")
    goal = store.get_goal(piano["prelude"].id)
    assert goal.name == "Prelude in C"
    assert goal.description == "BWV 846"
    assert goal.deadline.isoformat() == "2026-03-01"
    assert goal.level == 3
    assert goal.complete_with_children is True
    assert goal.updated_at == clock.now and goal.created_at < clock.now
    ok(run("edit-goal", "Prelude in C", "--deadline", "none", "--no-complete-with-children"))
    goal = store.get_goal(piano["prelude"].id)
    assert goal.deadline is None and goal.complete_with_children is False


def test_edit_goal_moves_under_another_parent(run: Any, store: Any, piano: Any) -> None:
    data = json.loads(ok(run("edit-goal", "Fugue", "--parent", "Piano", "--json")).stdout)
    assert data["parent_id"] == piano["root"].id
    assert data["level"] == 2  # still below its new parent
    siblings = [g.name for g in store.goals(piano["root"].id) if g.parent_id == piano["root"].id]
    assert siblings == ["Bach", "Scales", "Fugue"]  # appended last among its new siblings
    events = store.history(piano["root"].id, kind="goal_moved")
    assert [e.entity_id for e in events] == [piano["fugue"].id]


def test_edit_goal_moves_with_a_new_level_in_one_step(run: Any, store: Any, piano: Any) -> None:
    ok(run("edit-goal", "Fugue", "--parent", "Scales", "--level", "immediate"))
    goal = store.get_goal(piano["fugue"].id)
    assert goal.parent_id == piano["scales"].id and goal.level == 4


def test_edit_goal_reorders_siblings(run: Any, store: Any, piano: Any) -> None:
    bach = piano["bach"]
    store.add_goal(bach.id, "Gigue")

    def order() -> list[str]:
        return [g.name for g in store.goals(piano["root"].id) if g.parent_id == bach.id]

    assert order() == ["Prelude", "Fugue", "Gigue"]
    ok(run("edit-goal", "Gigue", "--before", "Prelude"))
    assert order() == ["Gigue", "Prelude", "Fugue"]
    ok(run("edit-goal", "Gigue", "--after", "Fugue"))
    assert order() == ["Prelude", "Fugue", "Gigue"]
    ok(run("edit-goal", "Gigue", "--up"))
    assert order() == ["Prelude", "Gigue", "Fugue"]
    ok(run("edit-goal", "Prelude", "--down"))
    assert order() == ["Gigue", "Prelude", "Fugue"]
    ok(run("edit-goal", "Gigue", "--up"))  # already first: nothing changes, still success
    assert order() == ["Gigue", "Prelude", "Fugue"]


def test_edit_goal_moves_and_places_together(run: Any, store: Any, piano: Any) -> None:
    store.add_goal(piano["scales"].id, "C major", level=4)
    store.add_goal(piano["scales"].id, "G major", level=4)
    ok(run("edit-goal", "Fugue", "--parent", "Scales", "--level", "micro", "--before", "G major"))
    kids = [g.name for g in store.goals(piano["root"].id) if g.parent_id == piano["scales"].id]
    assert kids == ["C major", "Fugue", "G major"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["edit-goal", "Nope", "--name", "X"], "no goal matches 'Nope'"),
        (["edit-goal", "Fugue", "--name", "X", "--parent", "Nope"], "no goal matches 'Nope'"),
        (["edit-goal", "Fugue", "--name", "X", "--level", "huge"], "unknown level"),
        (["edit-goal", "Fugue", "--name", "X", "--level", "long-term"], "below its parent"),
        (["edit-goal", "Bach", "--level", "mid-term"], "cannot keep a mid-term child"),
        (["edit-goal", "Fugue", "--name", "X", "--deadline", "soon"], "YYYY-MM-DD"),
        (["edit-goal", "Fugue", "--name", ""], "needs a name"),
        (["edit-goal", "Fugue", "--name", "X", "--parent", "Prelude"], "below its parent"),
        (["edit-goal", "Bach", "--name", "X", "--parent", "Fugue"], "under itself"),
        (["edit-goal", "Bach", "--parent", "Bach"], "under itself"),
        (["edit-goal", "Piano", "--parent", "Bach"], "root cannot be moved"),
        (["edit-goal", "Fugue", "--name", "X", "--before", "Scales"], "not a sibling"),
        (["edit-goal", "Fugue", "--after", "Fugue"], "not a sibling"),
        (["edit-goal", "Piano", "--level", "nano"], "cannot keep"),
    ],
)
def test_edit_goal_bad_input_writes_nothing(
    run: Any, engine: Any, piano: Any, args: list[str], says: str
) -> None:
    fails(run, engine, *args, says=says)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["edit-goal", "Fugue"], "nothing to change"),
        (["edit-goal", "Fugue", "--before", "Prelude", "--after", "Prelude"], "at most one"),
        (["edit-goal", "Fugue", "--up", "--before", "Prelude"], "cannot be combined"),
    ],
)
def test_edit_goal_usage_errors(
    run: Any, engine: Any, piano: Any, args: list[str], says: str
) -> None:
    fails(run, engine, *args, code=2, says=says)


def test_edit_goal_with_an_ambiguous_name_lists_candidates(
    run: Any, engine: Any, store: Any, piano: Any
) -> None:
    store.add_goal(piano["scales"].id, "Fugue", level=4)
    err = fails(run, engine, "edit-goal", "fugue", "--name", "X", says="matches 2 goals")
    assert piano["fugue"].id[:8] in err


# --- complete-goal -------------------------------------------------------------------------


def test_complete_goal_and_undo(run: Any, store: Any, clock: Any, piano: Any) -> None:
    assert ok(run("complete-goal", "Prelude")).stdout.strip() == "Completed goal 'Prelude'"
    goal = store.get_goal(piano["prelude"].id)
    assert goal.completed_at == clock.now and goal.completed_by == "manual"
    again = ok(run("complete-goal", "Prelude")).stdout.strip()
    assert again == "Goal 'Prelude' was already done"
    data = json.loads(ok(run("complete-goal", "Prelude", "--undo", "--json")).stdout)
    assert data["completed_at"] is None and data["id"] == piano["prelude"].id
    assert store.get_goal(piano["prelude"].id).completed_at is None
    kinds = [e.kind for e in store.history(piano["root"].id)]
    assert kinds.count("goal_completed") == 1 and kinds.count("goal_reopened") == 1


def test_complete_goal_completes_a_parent_that_follows_its_children(
    run: Any, store: Any, piano: Any
) -> None:
    ok(run("edit-goal", "Bach", "--complete-with-children"))
    ok(run("complete-goal", "Prelude"))
    assert store.get_goal(piano["bach"].id).completed_at is None
    ok(run("complete-goal", "Fugue"))
    bach = store.get_goal(piano["bach"].id)
    assert bach.completed_at is not None and bach.completed_by == "children"
    ok(run("complete-goal", "Fugue", "--undo"))
    assert store.get_goal(piano["bach"].id).completed_at is None


def test_complete_goal_unknown_fails(run: Any, engine: Any, piano: Any) -> None:
    fails(run, engine, "complete-goal", "Nope", says="no goal matches 'Nope'")


# --- real processes ------------------------------------------------------------------------

_MAIN = "import sys; from fractal_tui.cli import main; sys.argv[0] = 'fractal'; main()"


def _fractal(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    # The installed console script; `python -m fractal_tui.cli` would load cli.py twice
    # (as __main__ and as fractal_tui.cli) and lose the AppContext class identity.
    script = Path(sys.executable).with_name("fractal")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", _MAIN]
    return subprocess.run(
        [*cmd, "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_real_process_exit_codes_without_traceback(tmp_path: Any) -> None:
    db = str(tmp_path / "proc.db")
    done = _fractal(db, "add-fractal", "Piano", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "Piano"
    bad = _fractal(db, "add-goal", "X", "--parent", "Nope")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: no goal matches 'Nope'"
    assert "Traceback" not in bad.stderr and bad.stdout == ""
    usage = _fractal(db, "add-goal", "X")
    assert usage.returncode == 2
    assert "--parent" in usage.stderr and "Traceback" not in usage.stderr
    tree = _fractal(db, "goals")
    assert tree.returncode == 0 and tree.stdout.startswith("[ ] Piano  [ultimate]")
