"""Build a Fractal database of a given size through the store's bulk path.

    python bench/generate.py --instances 100000 --db /tmp/fractal-100k.db

One fractal ("Bench") with a goal tree of 1,000 goals, 20 activities (with and without sets,
with Left/Right splits, one to three metrics), a few targets, and N activity instances spread
over sessions (10 instances each) across five years that end yesterday: sets, splits and
about ten metric values per instance (100k instances = 10k sessions, about 1M values).
Goals, activities and targets are the same at every size, only the history grows, so a
path timed at 1k and at 100k instances differs by history alone. The last session is left
running (started 20 minutes before the build, a timer running on "Warm-up"), as it would be
when someone types `fractal status` mid-practice.

Deterministic for a given --seed. `build()` is what the runner calls.
"""

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FRACTAL = "Bench"
GOALS = 1000
INSTANCES_PER_SESSION = 10
YEARS = 5
# Bump when the shape of the data changes, so cached databases are rebuilt.
VERSION = 1

# name, has_sets, metrics [(name, unit, best)], splits, typical values per metric
ACTIVITIES: list[tuple[str, bool, list[tuple[str, str, bool]], list[str], list[float]]] = [
    ("Scales", True, [("bpm", "bpm", True)], [], [120.0]),
    ("Warm-up", False, [("minutes", "min", False)], [], [10.0]),
    ("Back squat", True, [("weight", "kg", True), ("reps", "reps", False)], [], [100.0, 5.0]),
    ("Bench press", True, [("weight", "kg", True), ("reps", "reps", False)], [], [70.0, 6.0]),
    ("Deadlift", True, [("weight", "kg", True), ("reps", "reps", False)], [], [140.0, 3.0]),
    ("Curl", True, [("weight", "kg", True), ("reps", "reps", False)], ["Left", "Right"], [14, 10]),
    ("Lunge", True, [("weight", "kg", True), ("reps", "reps", False)], ["Left", "Right"], [20, 8]),
    (
        "Row",
        True,
        [("weight", "kg", True), ("reps", "reps", False), ("sets", "n", False)],
        [],
        [60.0, 8.0, 1.0],
    ),
    ("Arpeggios", True, [("bpm", "bpm", True)], ["Left", "Right"], [96.0]),
    ("Hanon", True, [("bpm", "bpm", True), ("reps", "x", False)], [], [108.0, 2.0]),
    ("Sight-reading", False, [("pieces", "n", False), ("minutes", "min", False)], [], [3, 15]),
    ("Bach prelude", True, [("bpm", "bpm", True)], [], [72.0]),
    ("Chopin etude", True, [("bpm", "bpm", True), ("errors", "n", False)], [], [88.0, 3.0]),
    ("Ear training", False, [("score", "%", False)], [], [80.0]),
    ("Rhythm", True, [("bpm", "bpm", True)], [], [100.0]),
    ("Plank", True, [("seconds", "s", True)], [], [60.0]),
    ("Pull-up", True, [("reps", "reps", True)], [], [8.0]),
    ("Run", False, [("km", "km", False), ("minutes", "min", False)], [], [5.0, 28.0]),
    ("Stretch", False, [("minutes", "min", False)], [], [10.0]),
    ("Grip", True, [("weight", "kg", True), ("seconds", "s", False)], ["Left", "Right"], [30, 20]),
]
SETS_PER_INSTANCE = (5, 6, 7)


def build(path: Path, instances: int, *, seed: int = 1, quiet: bool = False) -> dict[str, Any]:
    """Create the database at ``path`` (which must not exist); returns what was built."""
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store
    from fractal_tui.store.bulk import BulkGoal
    from fractal_tui.views import ConditionSpec, MetricSpec, SplitSpec

    if path.exists():
        raise SystemExit(f"{path} exists; give a new file")
    started = time.perf_counter()
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    store = Store(engine)
    root = store.create_fractal(FRACTAL, description="benchmark data")

    # Goals: a tree under the root, five levels below it, GOALS in all (root included).
    specs: list[BulkGoal] = []
    frontier: list[int | None] = [None]
    while len(specs) < GOALS - 1:
        parent = frontier.pop(0)
        depth = 0 if parent is None else specs[parent].level  # type: ignore[index]
        for _ in range(4 if parent is None else 5):
            if len(specs) >= GOALS - 1:
                break
            level = (depth or 0) + 1
            specs.append(BulkGoal(name=f"Goal {len(specs) + 1}", parent=parent, level=level))
            if level < 5:
                frontier.append(len(specs) - 1)
    goals = store.bulk_add_goals(root.id, specs)
    leaves = [gid for gid, spec in zip(goals.ids, specs, strict=True) if spec.level >= 4]

    # Activities with their metric and split definitions.
    activities = []
    for name, has_sets, metrics, splits, typical in ACTIVITIES:
        view = store.add_activity(
            root.id,
            name,
            has_sets=has_sets,
            metrics=[MetricSpec(n, u, is_best_set=b) for n, u, b in metrics],
            splits=[SplitSpec(sp) for sp in splits],
        )
        activities.append((view, [float(x) for x in typical]))

    # Targets: a few goals ask for a level of practice (evaluated after each log and stop).
    by_name = {v.name: v for v, _ in activities}
    for goal_id, activity, metric, value in (
        (leaves[0], "Scales", "bpm", 400.0),
        (leaves[1], "Back squat", "weight", 500.0),
        (leaves[2], "Bach prelude", "bpm", 300.0),
    ):
        act = by_name[activity]
        metric_id = next(m.id for m in act.metrics if m.name == metric)
        store.add_target(goal_id, act.id, [ConditionSpec(metric_id, ">=", value)])

    now = datetime.now(UTC).replace(microsecond=0)
    history_end = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0)
    sessions = max(1, instances // INSTANCES_PER_SESSION)

    def plan() -> Iterator[Any]:
        from fractal_tui.store.bulk import BulkInstance, BulkSession, BulkSet

        days = YEARS * 365
        per_day = -(-sessions // days)  # ceiling
        left = instances
        for k in range(sessions):
            day, slot = divmod(k, per_day) if per_day > 1 else (k * days // sessions, 0)
            start = history_end - timedelta(days=days - day) + timedelta(hours=6 + 2 * slot)
            start += timedelta(minutes=rng.randrange(0, 20))
            count = left if k == sessions - 1 else min(left, INSTANCES_PER_SESSION)
            left -= count
            at = start
            items = []
            for _ in range(count):
                view, typical = activities[rng.randrange(len(activities))]
                minutes = rng.randrange(3, 9)
                end = at + timedelta(minutes=minutes)
                metric_ids = [m.id for m in view.metrics]
                split_ids = [sp.id for sp in view.splits] or [None]
                drift = 1 + day / days * 0.3  # slow progress over the years

                def cells(
                    metric_ids: list[str] = metric_ids,
                    split_ids: list[Any] = split_ids,
                    typical: list[float] = typical,
                    drift: float = drift,
                ) -> tuple[tuple[str, str | None, float], ...]:
                    return tuple(
                        (m, sp, round(t * drift * rng.uniform(0.9, 1.1), 1))
                        for m, t in zip(metric_ids, typical, strict=True)
                        for sp in split_ids
                    )

                if view.has_sets:
                    sets = tuple(
                        BulkSet(status="completed", values=cells())
                        for _ in range(rng.choice(SETS_PER_INSTANCE))
                    )
                    items.append(
                        BulkInstance(view.id, intervals=((at, end),), completed_at=end, sets=sets)
                    )
                else:
                    items.append(
                        BulkInstance(
                            view.id, intervals=((at, end),), completed_at=end, values=cells()
                        )
                    )
                at = end + timedelta(seconds=rng.randrange(10, 90))
            linked = tuple(rng.sample(leaves, 2 if k % 3 == 0 else 1))
            yield BulkSession(
                started_at=start,
                ended_at=at,
                name=f"Practice {k + 1}" if k % 5 == 0 else "",
                goal_ids=linked,
                instances=tuple(items),
            )

    result = store.bulk_add_sessions(root.id, plan())

    # The live session: started 20 minutes ago, "Warm-up" running, one set of Scales logged.
    live_start = now - timedelta(minutes=20)
    store.start_session(root.id, name="Today", goal_ids=[leaves[0]], at=live_start)
    store.start_activity(root.id, by_name["Scales"].id, at=live_start + timedelta(minutes=1))
    store.log(root.id, "Scales", {"bpm": 120.0})
    store.start_activity(
        root.id, by_name["Warm-up"].id, switch=True, at=live_start + timedelta(minutes=10)
    )
    engine.dispose()
    built = {
        "path": str(path),
        "instances": instances,
        "sessions": result.counts.get("sessions", 0),
        "counts": result.counts,
        "goals": GOALS,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if not quiet:
        counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
        print(f"built {path} in {built['seconds']} s: {counts}", file=sys.stderr)
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000, help="activity instances")
    parser.add_argument("--db", type=Path, required=True, help="the new SQLite file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    build(args.db, args.instances, seed=args.seed)


if __name__ == "__main__":
    main()
