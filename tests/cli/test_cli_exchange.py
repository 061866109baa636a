"""CLI: `fractal export` and `fractal import` (JSON, Fractal Goals, Watson, Timewarrior)."""

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fractal_tui.cli import AppContext, cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exchange"))

from cli_helpers import db_state
from exchange_helpers import (  # noqa: E402
    export_text,
    new_store,
    populate,
    sample_document,
    write_document,
)
from fg_fixtures import make_newer  # noqa: E402


@pytest.fixture
def app_store(engine: Any, clock: Any) -> Any:
    from fractal_tui.store import Store

    return Store(engine, clock=clock)


@pytest.fixture
def run(db_url: str, app_store: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke `fractal --db <test db> ...` with the store on the test's FakeClock."""

    def store(self: AppContext) -> Any:
        if self._store is None:
            self._store = app_store
        return self._store

    monkeypatch.setattr(AppContext, "store", property(store))
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, ["--db", db_url, *args])

    return invoke


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def fails(run: Any, engine: Any, *args: str, code: int = 1, says: str = "") -> str:
    before = db_state(engine)
    result = run(*args)
    assert result.exit_code == code, (result.output, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    if code == 1:
        assert result.stderr.startswith("Error: ")
    assert says in result.stderr
    assert db_state(engine) == before
    return str(result.stderr)


# --- export --------------------------------------------------------------------------------


def test_export_json_to_stdout_and_file(
    run: Any, app_store: Any, clock: Any, tmp_path: Path
) -> None:
    ids = populate(app_store, clock)
    out = ok(run("export"))
    doc = json.loads(out.stdout)
    assert doc["fractals"] == [ids["root"]]
    assert out.stdout == export_text(app_store, [ids["root"]])
    target = tmp_path / "backup.json"
    done = ok(run("export", "-o", str(target)))
    assert target.read_text(encoding="utf-8") == out.stdout
    assert "Exported 1 fractal" in done.stdout and str(target) in done.stdout


def test_export_all_and_the_fractal_option(run: Any, app_store: Any, clock: Any) -> None:
    ids = populate(app_store, clock)
    other = app_store.create_fractal("Running")
    one = json.loads(ok(run("--fractal", "Running", "export")).stdout)
    assert one["fractals"] == [other.id]
    every = json.loads(ok(run("export", "--all")).stdout)
    assert sorted(every["fractals"]) == sorted([ids["root"], other.id])


def test_export_csv(run: Any, app_store: Any, clock: Any) -> None:
    populate(app_store, clock)
    lines = ok(run("export", "--format", "csv")).stdout.splitlines()
    assert lines[0] == "date,session,activity,set,split,metric,unit,value"
    assert any(",Morning,Scales,1,Left,Tempo,bpm,120" in line for line in lines)
    sessions = ok(run("export", "--format", "csv", "--sessions")).stdout.splitlines()
    assert sessions[0].startswith("date,session,started_at")
    assert len(sessions) == 2  # the deleted session is left out


def test_export_usage_errors(run: Any, engine: Any, app_store: Any, clock: Any) -> None:
    populate(app_store, clock)
    fails(run, engine, "export", "--sessions", code=2, says="--sessions goes with --format csv")
    fails(run, engine, "export", "--format", "xml", code=2)


def test_export_without_a_fractal_is_an_error(run: Any, engine: Any) -> None:
    fails(run, engine, "export", says="no fractal")


def test_export_to_a_missing_folder_is_an_error(
    run: Any, engine: Any, app_store: Any, clock: Any, tmp_path: Path
) -> None:
    populate(app_store, clock)
    fails(run, engine, "export", "-o", str(tmp_path / "nope" / "x.json"), says="does not exist")


# --- import JSON ---------------------------------------------------------------------------


def test_import_json_round_trip_and_again(
    run: Any, app_store: Any, clock: Any, tmp_path: Path
) -> None:
    source = new_store(tmp_path, "source.db", clock)
    ids = populate(source, clock)
    path = tmp_path / "doc.json"
    path.write_text(export_text(source, [ids["root"]]), encoding="utf-8")
    first = ok(run("import", str(path)))
    assert "imported:" in first.stdout and "4 goals" in first.stdout
    assert export_text(app_store, [ids["root"]]) == path.read_text(encoding="utf-8")
    again = json.loads(ok(run("import", str(path), "--json")).stdout)
    assert again["inserted"] == {} and again["updated"] == {}
    assert again["unchanged"]["Goal"] == 4
    assert app_store.check_invariants() == []


def test_import_dry_run_writes_nothing(run: Any, engine: Any, tmp_path: Path) -> None:
    path = write_document(tmp_path / "doc.json", sample_document())
    before = db_state(engine)
    out = ok(run("import", str(path), "--dry-run"))
    assert "dry run" in out.stdout and "3 goals" in out.stdout
    assert db_state(engine) == before


@pytest.mark.parametrize(
    ("content", "fmt", "says"),
    [
        (b"hello", "json", "not valid JSON"),
        (b"hello", "auto", "not valid JSON"),
        (b"\x00\x01\x02\xff", "json", "not a text file"),
        (b'{"format": "fractal", "version": 1, "tables": {"goals": "x"}}', "json", "list"),
        (b'{"a": 1}', "json", "not a Fractal export"),
        (b"[]", "auto", "cannot tell"),
        (b"hello", "fractal-goals", "not an SQLite database"),
        (b'[{"start": 5}]', "watson", "not [start, stop, project, id, tags"),
        (b'[[1, 2, "p", "id", [], 3]]', "timewarrior", "not an object with a start"),
        (b'{"x": 1}', "watson", "not a Watson frames file"),
    ],
)
def test_import_bad_files(
    run: Any,
    engine: Any,
    app_store: Any,
    tmp_path: Path,
    content: bytes,
    fmt: str,
    says: str,
) -> None:
    app_store.create_fractal("Piano")
    path = tmp_path / "bad.file"
    path.write_bytes(content)
    fails(run, engine, "import", str(path), "--format", fmt, says=says)


def test_import_document_with_a_duplicate_id(run: Any, engine: Any, tmp_path: Path) -> None:
    doc = sample_document()
    doc["tables"]["goals"].append(dict(doc["tables"]["goals"][0]))
    path = write_document(tmp_path / "dup.json", doc)
    fails(run, engine, "import", str(path), says="twice")


def test_import_missing_file_is_a_usage_error(run: Any, engine: Any, tmp_path: Path) -> None:
    fails(run, engine, "import", str(tmp_path / "missing.json"), code=2)


# --- import from Fractal Goals --------------------------------------------------------------


def test_import_fractal_goals_detected_by_content(run: Any, app_store: Any, tmp_path: Path) -> None:
    path = tmp_path / "goals.db"
    make_newer(path)
    out = ok(run("import", str(path), "--dry-run"))
    assert "fractal-goals" in out.stdout and "dry run" in out.stdout
    assert app_store.list_fractals() == []
    summary = json.loads(ok(run("import", str(path), "--json")).stdout)
    assert summary["schema"] == "newer"
    assert summary["inserted"]["Goal"] >= 3
    assert summary["skipped"]  # the messy rows are reported, not dropped silently
    assert app_store.check_invariants() == []
    again = json.loads(ok(run("import", str(path), "--json")).stdout)
    assert again["inserted"] == {} and again["updated"] == {}


# --- import from time trackers --------------------------------------------------------------

WATSON = [
    [1767600000, 1767603600, "Scales", "5d4c3b2a19f84e7d8c6b5a4f3e2d1c0b", ["warm up"], 1767603600],
    [1767607200, 1767609000, "Bach", "6e5d4c3b2a1948e7d8c6b5a4f3e2d1c0", [], 1767609000],
]


def test_import_watson_and_conflicts(
    run: Any, engine: Any, app_store: Any, clock: Any, tmp_path: Path
) -> None:
    root = app_store.create_fractal("Piano")
    path = tmp_path / "frames"
    path.write_text(json.dumps(WATSON), encoding="utf-8")
    out = ok(run("import", str(path), "--format", "watson"))
    assert "2 clean, 0 conflicts" in out.stdout
    assert [a.name for a in app_store.activities(root.id)] == ["Scales", "Bach"]
    # a second file overlapping the first: reported, nothing written
    clash = [[1767601800, 1767605400, "Jazz", "7f6e5d4c3b2a4958e7d8c6b5a4f3e2d1", [], 1767605400]]
    path2 = tmp_path / "frames2"
    path2.write_text(json.dumps(WATSON + clash), encoding="utf-8")
    says = fails(run, engine, "import", str(path2), "--format", "watson", says="conflicts")
    assert "2 clean, 1 conflicts" in says and "--skip-conflicts" in says
    out = ok(run("import", str(path2), "--format", "watson", "--skip-conflicts"))
    assert "2 clean, 1 conflicts" in out.stdout
    assert "Jazz" not in [a.name for a in app_store.activities(root.id)]
    assert app_store.check_invariants() == []


def test_import_timewarrior_auto_detected(run: Any, app_store: Any, tmp_path: Path) -> None:
    root = app_store.create_fractal("Work")
    data = [{"id": 1, "start": "20260101T120000Z", "end": "20260101T130000Z", "tags": ["Code"]}]
    path = tmp_path / "tw.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = ok(run("import", str(path)))
    assert "timewarrior" in out.stdout and "1 clean, 0 conflicts" in out.stdout
    assert [a.name for a in app_store.activities(root.id)] == ["Code"]
