"""CLI: delete, trash, restore, purge, history."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import db_state

from fractal_tui.commands import trash as trash_commands


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend stdin is a terminal, so commands ask for confirmation."""
    monkeypatch.setattr(trash_commands, "_stdin_is_tty", lambda: True)


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def fails(run: Any, engine: Any, *args: str, code: int = 1, says: str = "", **kw: Any) -> str:
    """Run a command that must fail with `code`, say `says` on stderr and write nothing."""
    before = db_state(engine)
    result = run(*args, **kw)
    assert result.exit_code == code, (result.output, result.stderr)
    assert "Traceback" not in result.stderr
    assert says.lower() in result.stderr.lower(), result.stderr
    assert db_state(engine) == before
    return result.stderr


@pytest.fixture
def piano(store: Any) -> Any:
    """Piano > Bach > (Prelude, Fugue > Subject); Scales."""
    root = store.create_fractal("Piano")
    bach = store.add_goal(root.id, "Bach")
    prelude = store.add_goal(bach.id, "Prelude")
    fugue = store.add_goal(bach.id, "Fugue")
    subject = store.add_goal(fugue.id, "Subject")
    scales = store.add_goal(root.id, "Scales")
    return {
        "root": root,
        "bach": bach,
        "prelude": prelude,
        "fugue": fugue,
        "subject": subject,
        "scales": scales,
    }


def names(store: Any, root_id: str) -> set[str]:
    return {g.name for g in store.goals(root_id)}


# --- delete --------------------------------------------------------------------------------


def test_delete_goal_says_what_went_with_it_and_how_to_restore(
    run: Any, store: Any, piano: Any
) -> None:
    line = ok(run("delete", "goal", "Bach")).stdout.strip()
    [batch] = store.trash()
    assert line == (
        f"Deleted goal 'Bach' with 3 goals (restore with: fractal restore {batch.batch[:8]})"
    )
    assert names(store, piano["root"].id) == {"Piano", "Scales"}
    ok(run("restore", batch.batch[:8]))
    assert names(store, piano["root"].id) == {
        "Piano",
        "Bach",
        "Prelude",
        "Fugue",
        "Subject",
        "Scales",
    }


def test_delete_a_leaf_has_nothing_with_it(run: Any, store: Any, piano: Any) -> None:
    line = ok(run("delete", "goal", "Scales")).stdout
    assert line.startswith("Deleted goal 'Scales' (restore with: fractal restore ")


def test_delete_json(run: Any, store: Any, piano: Any) -> None:
    data = json.loads(ok(run("delete", "GOAL", piano["fugue"].id[:6], "--json")).stdout)
    assert data["kind"] == "goal" and data["id"] == piano["fugue"].id
    assert data["name"] == "Fugue"
    assert data["counts"] == {"goals": 2}
    assert data["total"] == 2
    assert data["root_id"] == piano["root"].id
    assert store.trash()[0].batch == data["batch"]


def test_delete_a_whole_fractal(run: Any, store: Any, piano: Any) -> None:
    other = store.create_fractal("Run")
    line = ok(run("delete", "fractal", "Piano", "--yes")).stdout
    assert line.startswith("Deleted goal 'Piano' with 5 goals (restore with:")
    assert [f.name for f in store.list_fractals()] == ["Run"]
    assert names(store, other.id) == {"Run"}
    batch = store.trash()[0]
    ok(run("restore", batch.batch))
    assert {f.name for f in store.list_fractals()} == {"Piano", "Run"}
    assert len(names(store, piano["root"].id)) == 6


def test_delete_goal_only_sees_the_current_fractal(
    run: Any, store: Any, engine: Any, piano: Any
) -> None:
    other = store.create_fractal("Run")
    store.add_goal(other.id, "Marathon")
    fails(
        run,
        engine,
        "--fractal",
        "Piano",
        "delete",
        "goal",
        "Marathon",
        says="no goal matches 'Marathon'",
    )
    ok(run("--fractal", "Run", "delete", "goal", "Marathon"))
    assert names(store, other.id) == {"Run"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["delete", "potato", "Bach"], "cannot delete a 'potato'; kinds: fractal, goal"),
        (["delete", "goal", "Nope"], "no goal matches 'Nope'"),
        (["delete", "goal", ""], "name a goal"),
        (["delete", "fractal", "Bach"], "no goal matches 'Bach'"),  # not a root
        (["delete", "activity", "Hanon"], "no activity matches 'Hanon'"),
    ],
)
def test_delete_bad_input_writes_nothing(
    run: Any, engine: Any, piano: Any, args: list[str], says: str
) -> None:
    fails(run, engine, *args, says=says)


def test_delete_an_ambiguous_name_lists_candidates(
    run: Any, store: Any, engine: Any, piano: Any
) -> None:
    store.add_goal(piano["scales"].id, "Prelude")
    err = fails(run, engine, "delete", "goal", "prelude", says="matches 2 goals")
    assert piano["prelude"].id[:8] in err


def test_delete_asks_on_a_terminal_and_no_keeps_everything(
    run: Any, store: Any, engine: Any, piano: Any, tty: None
) -> None:
    err = fails(run, engine, "delete", "goal", "Bach", input="n\n", says="Aborted")
    assert "Delete goal 'Bach' with 3 goals? [y/N]" in err


def test_delete_asks_on_a_terminal_and_yes_deletes(
    run: Any, store: Any, piano: Any, tty: None
) -> None:
    result = ok(run("delete", "goal", "Bach", input="y\n"))
    assert "Delete goal 'Bach' with 3 goals?" in result.stderr
    assert result.stdout.startswith("Deleted goal 'Bach'")
    assert "Bach" not in names(store, piano["root"].id)


def test_delete_yes_skips_the_question_on_a_terminal(
    run: Any, store: Any, piano: Any, tty: None
) -> None:
    result = ok(run("delete", "goal", "Bach", "--yes"))
    assert "?" not in result.stderr
    assert "Bach" not in names(store, piano["root"].id)


def test_delete_without_a_terminal_never_prompts(run: Any, store: Any, piano: Any) -> None:
    result = ok(run("delete", "goal", "Bach"))  # CliRunner's stdin is not a terminal
    assert result.stderr == ""
    assert "Bach" not in names(store, piano["root"].id)


def test_delete_a_session_says_what_went_with_it(
    run: Any, store: Any, clock: Any, piano: Any
) -> None:
    from fractal_tui.views import MetricSpec

    root_id = piano["root"].id
    hanon = store.add_activity(root_id, "Hanon", has_sets=True, metrics=(MetricSpec("BPM", "bpm"),))
    session = store.start_session(root_id, name="Morning", goal_ids=[piano["bach"].id])
    clock.advance(minutes=1)
    store.start_activity(root_id, hanon.id)
    clock.advance(minutes=5)
    store.log(root_id, "Hanon", {"BPM": 100}, new_set=True)
    store.end_session(session.id)
    line = ok(run("delete", "session", "Morning")).stdout
    assert line.startswith(
        "Deleted session 'Morning' with 1 activity instance, 1 set, 1 value, "
        "1 timer interval and 1 session goal link (restore with: fractal restore "
    )
    assert store.sessions(root_id).items == ()
    assert [a.name for a in store.activities(root_id)] == ["Hanon"]  # the definition stays
    ok(run("restore", session.id))
    assert store.session_detail(session.id).instances[0].values[0].value == 100


def test_delete_an_activity_and_a_group(run: Any, store: Any, piano: Any) -> None:
    from fractal_tui.views import MetricSpec, SplitSpec

    root_id = piano["root"].id
    group = store.add_group(root_id, "Technique")
    store.add_activity(
        root_id,
        "Scales",
        group_id=group.id,
        metrics=(MetricSpec("BPM", "bpm"),),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    line = ok(run("delete", "group", "technique")).stdout
    assert line.startswith("Deleted group 'Technique' (restore with:")
    [scales] = store.activities(root_id)
    assert scales.group_id is None  # ungrouped, not deleted
    line = ok(run("delete", "activity", "Scales")).stdout
    assert line.startswith("Deleted activity 'Scales' with 1 metric and 2 splits (restore")
    assert store.activities(root_id) == []


# --- trash ---------------------------------------------------------------------------------


def test_trash_empty(run: Any, piano: Any) -> None:
    assert ok(run("trash")).stdout.strip() == "The trash is empty."
    assert json.loads(ok(run("trash", "--json")).stdout) == []


def test_trash_lists_batches_newest_first(run: Any, store: Any, clock: Any, piano: Any) -> None:
    ok(run("delete", "goal", "Fugue"))
    clock.advance(hours=1)
    ok(run("delete", "goal", "Scales"))
    lines = ok(run("trash")).stdout.splitlines()
    assert len(lines) == 2
    assert "goal 'Scales'" in lines[0] and "with" not in lines[0]
    assert "goal 'Fugue' with 1 goal" in lines[1]
    batches = store.trash()
    assert batches[0].batch[:8] in lines[0] and batches[1].batch[:8] in lines[1]
    data = json.loads(ok(run("trash", "--json")).stdout)
    assert [b["name"] for b in data] == ["Scales", "Fugue"]
    assert data[1]["counts"] == {"goals": 2} and data[1]["total"] == 2
    assert data[0]["deleted_at"] == clock.now.isoformat()
    assert all(b["root_id"] == piano["root"].id for b in data)


def test_trash_scoped_by_fractal_option(run: Any, store: Any, piano: Any) -> None:
    other = store.create_fractal("Run")
    store.add_goal(other.id, "Marathon")
    ok(run("--fractal", "Run", "delete", "goal", "Marathon"))
    ok(run("--fractal", "Piano", "delete", "goal", "Scales"))
    assert len(json.loads(ok(run("trash", "--json")).stdout)) == 2
    only_run = json.loads(ok(run("--fractal", "Run", "trash", "--json")).stdout)
    assert [b["name"] for b in only_run] == ["Marathon"]


# --- restore -------------------------------------------------------------------------------


def test_restore_brings_back_exactly_that_batch(
    run: Any, store: Any, clock: Any, piano: Any
) -> None:
    ok(run("delete", "goal", "Subject"))  # deleted on its own first
    clock.advance(minutes=1)
    ok(run("delete", "goal", "Bach"))
    bach_batch = store.trash()[0]
    line = ok(run("restore", bach_batch.batch[:8])).stdout.strip()
    assert line == "Restored goal 'Bach' (3 goals)"
    assert names(store, piano["root"].id) == {"Piano", "Bach", "Prelude", "Fugue", "Scales"}
    assert [b.name for b in store.trash()] == ["Subject"]


def test_restore_by_the_id_of_any_row_in_the_batch(run: Any, store: Any, piano: Any) -> None:
    ok(run("delete", "goal", "Bach"))
    data = json.loads(ok(run("restore", piano["subject"].id, "--json")).stdout)
    assert data["name"] == "Bach" and data["restored"] == {"goals": 4}
    assert data["root_id"] == piano["root"].id
    assert "Subject" in names(store, piano["root"].id)
    assert store.trash() == []


def test_restore_logs_an_event(run: Any, store: Any, clock: Any, piano: Any) -> None:
    ok(run("delete", "goal", "Bach"))
    batch = store.trash()[0].batch
    clock.advance(minutes=1)
    ok(run("restore", batch))
    latest = store.history(piano["root"].id)[0]
    assert latest.kind == "restored" and latest.batch == batch


@pytest.mark.parametrize(
    ("ref", "says"),
    [("nope-not-there", "nothing in the trash matches"), ("", "name a batch")],
)
def test_restore_unknown_fails(run: Any, engine: Any, piano: Any, ref: str, says: str) -> None:
    ok(run("delete", "goal", "Scales"))
    fails(run, engine, "restore", ref, says=says)


def test_restore_under_a_still_deleted_parent_is_refused(
    run: Any, store: Any, engine: Any, clock: Any, piano: Any
) -> None:
    ok(run("delete", "goal", "Subject"))
    subject_batch = store.trash()[0].batch
    clock.advance(minutes=1)
    ok(run("delete", "goal", "Fugue"))
    err = fails(run, engine, "restore", subject_batch[:8], says="restore that first")
    assert "'Fugue' is deleted too" in err


# --- purge ---------------------------------------------------------------------------------


def test_purge_older_than_removes_only_old_deleted_rows(
    run: Any, store: Any, engine: Any, clock: Any, piano: Any
) -> None:
    ok(run("delete", "goal", "Fugue"))
    clock.advance(days=10)
    ok(run("delete", "goal", "Scales"))
    clock.advance(days=1)
    line = ok(run("purge", "--older-than", "5")).stdout.strip()
    assert line == "Purged 2 goals for good"
    assert [b.name for b in store.trash()] == ["Scales"]
    with engine.connect() as conn:
        ids = {r[0] for r in conn.exec_driver_sql("SELECT id FROM goals")}
    assert piano["fugue"].id not in ids and piano["subject"].id not in ids
    assert piano["scales"].id in ids and piano["prelude"].id in ids  # live rows untouched
    assert ok(run("purge", "--older-than", "5")).stdout.strip() == "Nothing to purge."


def test_purge_one_batch(run: Any, store: Any, piano: Any) -> None:
    ok(run("delete", "goal", "Fugue"))
    ok(run("delete", "goal", "Scales"))
    scales = next(b for b in store.trash() if b.name == "Scales")
    data = json.loads(ok(run("purge", "--batch", scales.batch[:8], "--json")).stdout)
    assert data == {"purged": {"goals": 1}, "total": 1}
    assert [b.name for b in store.trash()] == ["Fugue"]


def test_purge_asks_on_a_terminal(
    run: Any, store: Any, engine: Any, clock: Any, piano: Any, tty: None
) -> None:
    ok(run("delete", "goal", "Fugue", "--yes"))
    clock.advance(days=2)
    err = fails(run, engine, "purge", "--older-than", "1", input="n\n", says="Aborted")
    assert "Remove everything deleted more than 1 days ago for good?" in err
    result = ok(run("purge", "--older-than", "1", input="y\n"))
    assert result.stdout.strip() == "Purged 2 goals for good"
    assert store.trash() == []


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["purge"], 2, "either --older-than DAYS or --batch ID"),
        (["purge", "--older-than", "3", "--batch", "abcd"], 2, "either"),
        (["purge", "--older-than", "-1"], 1, "zero or more"),
        (["purge", "--older-than", "nan"], 1, "zero or more"),
        (["purge", "--older-than", "inf"], 1, "zero or more"),
        (["purge", "--older-than", "soon"], 2, "not a valid float"),
        (["purge", "--batch", "zzzzzz"], 1, "nothing in the trash matches"),
    ],
)
def test_purge_bad_input_writes_nothing(
    run: Any, engine: Any, clock: Any, piano: Any, args: list[str], code: int, says: str
) -> None:
    ok(run("delete", "goal", "Fugue"))
    clock.advance(days=30)
    fails(run, engine, *args, code=code, says=says)


def test_purge_older_than_the_calendar_is_nothing(run: Any, store: Any, piano: Any) -> None:
    ok(run("delete", "goal", "Fugue"))
    assert ok(run("purge", "--older-than", "1e12")).stdout.strip() == "Nothing to purge."
    assert len(store.trash()) == 1


# --- history -------------------------------------------------------------------------------


def test_history_newest_first_with_limit_and_kind(
    run: Any, store: Any, clock: Any, piano: Any
) -> None:
    clock.advance(minutes=1)
    ok(run("complete-goal", "Prelude"))
    clock.advance(minutes=1)
    ok(run("delete", "goal", "Scales"))
    lines = ok(run("history", "--limit", "2")).stdout.splitlines()
    assert len(lines) == 2
    assert "deleted" in lines[0] and "'Scales'" in lines[0]
    assert "goal_completed" in lines[1] and "completed 'Prelude'" in lines[1]
    data = json.loads(ok(run("history", "--kind", "goal_created", "--json")).stdout)
    assert len(data) == 5 and {e["kind"] for e in data} == {"goal_created"}
    assert all(e["root_id"] == piano["root"].id for e in data)
    assert {"id", "created_at", "message", "entity_id"} <= set(data[0])


def test_history_of_one_fractal(run: Any, store: Any, clock: Any, piano: Any) -> None:
    clock.advance(minutes=1)
    other = store.create_fractal("Run")
    all_events = json.loads(ok(run("history", "--json")).stdout)
    assert {e["root_id"] for e in all_events} == {piano["root"].id, other.id}
    only = json.loads(ok(run("--fractal", "Run", "history", "--json")).stdout)
    assert [e["kind"] for e in only] == ["fractal_created"]


def test_history_bad_limit_fails(run: Any, engine: Any, piano: Any) -> None:
    fails(run, engine, "history", "--limit", "0", says="at least 1")
    fails(run, engine, "history", "--limit", "many", code=2, says="not a valid integer")


def test_history_empty(run: Any) -> None:
    assert ok(run("history")).stdout.strip() == "No events yet."


# --- real processes ------------------------------------------------------------------------

_MAIN = "import sys; from fractal_tui.cli import main; sys.argv[0] = 'fractal'; main()"


def _fractal(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("fractal")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", _MAIN]
    return subprocess.run(
        [*cmd, "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_real_process_delete_restore_and_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "proc.db")
    assert _fractal(db, "add-fractal", "Piano").returncode == 0
    assert _fractal(db, "add-goal", "Bach", "--parent", "Piano").returncode == 0
    deleted = _fractal(db, "delete", "goal", "Bach")  # stdin is not a terminal: no prompt
    assert deleted.returncode == 0, deleted.stderr
    batch = deleted.stdout.strip().rsplit(" ", 1)[1].rstrip(")")
    restored = _fractal(db, "restore", batch)
    assert restored.returncode == 0 and restored.stdout.startswith("Restored goal 'Bach'")
    bad = _fractal(db, "delete", "potato", "Bach")
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: cannot delete a 'potato'")
    assert "Traceback" not in bad.stderr
    usage = _fractal(db, "purge")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
