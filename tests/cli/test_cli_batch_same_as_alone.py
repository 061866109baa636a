"""`fractal batch` gives each line the answer, and leaves the data, that the same command run
alone would: the batch keeps what `log` looked up between lines (the log memo), and this
checks that what it keeps is never stale, over a long mixed run of commands that change
sessions, activities and timers between logs, and of lines that fail."""

import difflib
import json
import random
import re
from typing import Any

import pytest

from fractal_tui.views import ConditionSpec, MetricSpec, SplitSpec

ID = re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\b")


def setup_fractal(store: Any, name: str) -> None:
    root = store.create_fractal(name).id
    store.add_activity(root, "Scales", metrics=(MetricSpec("bpm", "bpm"),))
    store.add_activity(root, "Run", metrics=(MetricSpec("distance", "km"),))
    squat = store.add_activity(
        root,
        "Squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
    )
    store.add_activity(
        root,
        "Curl",
        has_sets=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    goal = store.add_goal(root, "Squat 100", level=3)
    store.add_target(goal.id, squat.id, (ConditionSpec("weight", ">=", 100),))
    store.start_session(root, name="Morning")


def logs(rng: random.Random) -> list[str]:
    return rng.choice(
        [
            ["log", "Scales", f"bpm={rng.randint(60, 140)}"],
            ["log", "Scales", "bpm="],  # clears
            ["log", "Run", f"km={rng.randint(1, 10)}", "--note", "easy"],
            ["log", "Squat", f"weight={rng.choice([60, 80, 100])}", f"reps={rng.randint(1, 8)}"],
            ["log", "Squat", f"reps={rng.randint(1, 8)}", "--set", str(rng.randint(1, 3))],
            ["log", "Squat", "weight=70", "--new-set", "--note", "paused"],
            ["log", "Curl", "weight=12", f"reps={rng.randint(5, 12)}", "--split", "Left"],
            ["log", "Curl", "weight=12", f"reps={rng.randint(5, 12)}", "--split", "Right"],
            ["log", "Squat", "rpe=8"],  # a metric it has only after the edit below
            ["log", "Squat", "tempo=1"],  # no such metric
            ["log", "Curl", "reps=5"],  # no split named
            ["log", "Nope", "x=1"],
            ["log", "Squat", "reps=5", "--json"],
        ]
    )


def others(rng: random.Random) -> list[str]:
    return rng.choice(
        [
            ["start", rng.choice(["Scales", "Run", "Squat"]), "--switch"],
            ["stop"],
            ["pause"],
            ["resume"],
            ["status"],
            ["end-session"],
            ["start-session", "Evening"],
            ["edit-activity", "Squat", "--metric", "weight:kg", "--metric", "reps:reps",
             "--metric", "rpe:1-10"],
            ["edit-activity", "Squat", "--metric", "weight:kg", "--metric", "reps:reps"],
            ["add-activity", "Run", "--metric", "distance:km"],  # "Run" becomes ambiguous
            ["delete", "activity", "Curl", "--yes"],
            ["add-activity", "Curl", "--sets", "--metric", "reps:reps"],
        ]
    )  # fmt: skip


def lines(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    # Mostly runs of logs (what the memo speeds up), broken by other commands.
    return [logs(rng) if rng.random() < 0.8 else others(rng) for _ in range(n)]


def mask(text: str) -> str:
    return ID.sub("<id>", text)


def canonical(data: Any) -> Any:
    """JSON without ids and with lists in a fixed order: rows written at one (fake) instant
    tie on created_at, and the database may return ties in either order."""
    if isinstance(data, dict):
        return {k: canonical(v) for k, v in data.items()}
    if isinstance(data, list):
        return sorted((canonical(v) for v in data), key=lambda v: json.dumps(v, sort_keys=True))
    return mask(data) if isinstance(data, str) else data


def answer(text: str, as_json: bool) -> str:
    if as_json:
        text = json.dumps(canonical(json.loads(text)), indent=2, sort_keys=True)
    return mask(text)


def state(store: Any, root: str) -> dict[str, Any]:
    """What the fractal holds, by names (ids differ between the two fractals)."""
    sessions = store.sessions(root, limit=100).items
    names = {a.id: a.name for a in store.activities(root)}
    out = []
    for x in sessions:
        detail = store.session_detail(x.id, usage=True)
        metrics = {m.id: m.name for a in detail.activities for m in a.metrics}
        splits = {sp.id: sp.name for a in detail.activities for sp in a.splits}
        out.append(
            (
                x.name,
                x.done,
                [
                    (
                        i.activity_name,
                        i.completed_at is not None,
                        len(i.intervals),
                        [(st.status, st.notes) for st in i.sets],
                        sorted(
                            (
                                [st.id for st in i.sets].index(v.set_id) if v.set_id else -1,
                                metrics.get(v.metric_id, "?"),
                                splits.get(v.split_id or "", ""),
                                v.value,
                            )
                            for v in i.values
                        ),
                    )
                    for i in detail.instances
                ],
                sorted(n.text for n in detail.notes),
            )
        )
    events = sorted(
        mask(e.message).replace("'Batch'", "'F'").replace("'Alone'", "'F'")
        for e in store.history(root, limit=1000)
    )
    activities = sorted(names.values())
    return {"sessions": sorted(out, key=repr), "activities": activities, "events": events}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_batch_answers_and_writes_as_the_commands_alone(run: Any, store: Any, seed: int) -> None:
    setup_fractal(store, "Batch")
    setup_fractal(store, "Alone")
    script = lines(seed, 120)

    alone = []
    for args in script:
        result = run("--fractal", "Alone", *args)
        assert "Traceback" not in result.stderr, result.stderr
        if result.exit_code == 0:
            alone.append((0, answer(result.stdout.rstrip("\n"), "--json" in args)))
        else:
            alone.append((result.exit_code, mask(result.stderr.rstrip("\n")[len("Error: ") :])))

    text = "".join(json.dumps(args) + "\n" for args in script)
    batch = run("--fractal", "Batch", "batch", input=text)
    assert "Traceback" not in batch.stderr, batch.stderr
    answers = []
    for line in batch.stdout.splitlines():
        r = json.loads(line)
        if r["ok"]:
            if "result" in r:
                answers.append((0, answer(json.dumps(r["result"]), True)))
            else:
                answers.append((0, answer(r["output"], False)))
        else:
            answers.append((r["exit"], mask(r["error"])))

    assert len(answers) == len(alone)
    for args, got, expected in zip(script, answers, alone, strict=True):
        diff = "\n".join(difflib.unified_diff(expected[1].splitlines(), got[1].splitlines()))
        assert got == expected, (args, diff)
    by_name = {f.name: f.id for f in store.list_fractals()}
    assert state(store, by_name["Batch"]) == state(store, by_name["Alone"])
