"""CLI: the practice commands read less (no usage figures, no instance reload for a human
line) and print exactly what they printed before."""

import json
from typing import Any

import pytest

from fractal_tui.views import MetricSpec


@pytest.fixture
def gym(store: Any) -> str:
    root = store.create_fractal("Gym").id
    store.add_activity(
        root,
        "Squat",
        has_sets=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
    )
    store.add_activity(root, "Run", metrics=(MetricSpec("distance", "km"),))
    store.start_session(root, name="Legs")
    return root


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def test_log_prints_the_same_line_and_json(run: Any, store: Any, gym: str) -> None:
    assert ok(run("log", "Squat", "weight=100", "reps=5")).stdout == (
        "Logged Squat set 1: weight=100, reps=5 (added to the session)\n"
    )
    assert ok(run("log", "Run", "km=5")).stdout == "Logged Run: km=5 (added to the session)\n"
    assert ok(run("log", "Run", "km=")).stdout == "Logged Run: km cleared\n"
    data = json.loads(ok(run("log", "Squat", "reps=3", "--json")).stdout)
    inst = store.get_instance(data["id"])
    assert data["name"] == "Squat" and data["root_id"] == gym and data["set_number"] == 2
    assert (data["created_at"], data["updated_at"]) == (
        inst.created_at.isoformat(),
        inst.updated_at.isoformat(),
    )
    # --json still carries the whole instance: every set and value so far.
    assert len(data["instance"]["sets"]) == 2 and len(data["instance"]["values"]) == 3


def test_session_json_keeps_the_usage_figures(run: Any, store: Any, gym: str, clock: Any) -> None:
    ok(run("start", "Run"))
    clock.advance(minutes=10)
    ok(run("stop"))
    data = json.loads(ok(run("session", "--json")).stdout)
    [run_view] = data["activities"]
    assert run_view["name"] == "Run" and run_view["times_done"] == 1
    assert run_view["last_done"] == clock().isoformat()
    text = ok(run("session")).stdout
    assert "✓ Run  10:00" in text
