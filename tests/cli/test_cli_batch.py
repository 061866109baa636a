"""CLI: `fractal batch` runs one JSON command per line through the same click commands."""

import json
from typing import Any

import pytest
from cli_helpers import db_state, store_on_clock
from click.testing import CliRunner

from fractal_tui.cli import cli
from fractal_tui.errors import Conflict
from fractal_tui.views import MetricSpec


@pytest.fixture
def run(db_url: str, clock: Any, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`fractal --db <test db> [global options] batch [options]` fed the given lines."""
    store_on_clock(monkeypatch, engine, clock)
    runner = CliRunner()

    def invoke(lines: list[Any], *options: str, before: tuple[str, ...] = ()) -> Any:
        text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
        return runner.invoke(cli, ["--db", db_url, *before, "batch", *options], input=text)

    return invoke


def results(result: Any) -> list[dict[str, Any]]:
    assert "Traceback" not in result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def piano(store: Any, clock: Any) -> Any:
    root = store.create_fractal("Piano")
    store.add_activity(root.id, "Scales", has_sets=True, metrics=(MetricSpec("bpm", "bpm"),))
    store.start_session(root.id)
    return root


def bpms(store: Any, root: Any) -> list[float]:
    session = store.active_session(root.id)
    detail = store.session_detail(session.id)
    return sorted(v.value for inst in detail.instances for v in inst.values)


def test_good_lines_run_in_order_with_one_result_each(run: Any, store: Any, piano: Any) -> None:
    result = run(
        [
            ["start", "Scales"],
            ["log", "Scales", "bpm=120"],
            {"cmd": "log", "args": ["Scales", "bpm=126", "--json"], "id": "second"},
            "",
            ["stop"],
            ["status"],
        ]
    )
    assert result.exit_code == 0, result.stdout
    out = results(result)
    assert [r["line"] for r in out] == [1, 2, 3, 5, 6]  # the blank line is skipped
    assert all(r["ok"] for r in out)
    assert out[0]["output"].startswith("▶ Scales started")
    assert out[1]["output"] == "Logged Scales set 1: bpm=120"
    assert out[2]["id"] == "second"
    assert out[2]["result"]["name"] == "Scales" and out[2]["result"]["set_number"] == 2
    assert out[3]["output"].startswith("✓ Scales completed")
    assert "no timer running" in out[4]["output"]
    assert bpms(store, piano) == [120.0, 126.0]


def test_bad_lines_are_reported_and_the_others_applied(
    run: Any, store: Any, piano: Any, engine: Any
) -> None:
    result = run(
        [
            ["log", "Scales", "bpm=100"],
            '["log", "Scales", "bpm=1',  # bad JSON
            ["lgo", "Scales", "bpm=1"],  # unknown command
            ["log", "Scales", "tempo=1"],  # domain error: no such metric
            ["log", "Scales", "bpm=fast"],  # domain error: not a number
            ["log", "Scales"],  # usage error: no METRIC=VALUE
            {"cmd": "log", "argz": []},  # unknown key
            ["batch"],
            ["migrate"],
            [],
            ["log", "Scales", "bpm=110"],
        ]
    )
    assert result.exit_code == 1
    out = results(result)
    assert [r["ok"] for r in out] == [True] + [False] * 9 + [True]
    by_line = {r["line"]: r for r in out}
    assert by_line[2]["exit"] == 2 and "not valid JSON" in by_line[2]["error"]
    assert by_line[3]["exit"] == 2 and "no such command 'lgo'" in by_line[3]["error"]
    assert by_line[4]["exit"] == 1 and "has no metric 'tempo'" in by_line[4]["error"]
    assert by_line[5]["exit"] == 1 and "not a number" in by_line[5]["error"]
    assert by_line[6]["exit"] == 2 and "Missing argument" in by_line[6]["error"]
    assert by_line[7]["exit"] == 2 and "unknown key 'argz'" in by_line[7]["error"]
    assert "cannot run another batch" in by_line[8]["error"]
    assert "not inside a batch" in by_line[9]["error"]
    assert by_line[10]["exit"] == 2
    # Only the two good lines wrote anything.
    assert bpms(store, piano) == [100.0, 110.0]


def test_a_failing_line_writes_nothing_even_after_a_write(
    run: Any, store: Any, piano: Any, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A command whose second step fails after its first was written: the line's savepoint
    # takes the first step back with it.
    from fractal_tui.store import Store

    original = Store.log

    def log_then_fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        original(self, *args, **kwargs)
        if kwargs.get("note") == "fail":
            raise Conflict("the second step failed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "log", log_then_fail)
    before = db_state(engine)
    result = run([["log", "Scales", "bpm=90", "--note", "fail"]])
    assert result.exit_code == 1
    assert results(result)[0]["error"] == "the second step failed"
    assert db_state(engine) == before


def test_stop_on_error_stops_at_the_first_failure(run: Any, store: Any, piano: Any) -> None:
    lines = [["log", "Scales", "bpm=100"], ["log", "Nope", "bpm=1"], ["log", "Scales", "bpm=9"]]
    result = run(lines, "--stop-on-error")
    assert result.exit_code == 1
    out = results(result)
    assert [(r["line"], r["ok"]) for r in out] == [(1, True), (2, False)]
    assert "no activity matches 'Nope'" in out[1]["error"]
    assert bpms(store, piano) == [100.0]


def test_global_options_hold_for_every_line(run: Any, store: Any, piano: Any) -> None:
    chess = store.create_fractal("Chess")
    result = run(
        [["add-activity", "Openings"], ["activities", "--json"]], before=("--fractal", "Chess")
    )
    assert result.exit_code == 0, result.stdout
    out = results(result)
    assert [a["name"] for a in out[1]["result"]] == ["Openings"]
    assert [a.name for a in store.activities(chess.id)] == ["Openings"]
    assert [a.name for a in store.activities(piano.id)] == ["Scales"]


def test_an_empty_batch_does_nothing(run: Any, engine: Any, piano: Any) -> None:
    before = db_state(engine)
    result = run(["", "   "])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert db_state(engine) == before


def test_help_shows_the_format_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["batch", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert '["log", "Scales", "bpm=120"]' in result.output
    assert '{"cmd": "log", "args":' in result.output
    assert "--stop-on-error" in result.output
