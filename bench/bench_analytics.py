"""Benchmark the analytics aggregates on a `fractal demo --scale N` database.

    python bench/bench_analytics.py                 # builds a scale-100 demo in a temp dir
    python bench/bench_analytics.py --db FILE       # reuses (or first builds) FILE
    python bench/bench_analytics.py --scale 20 --repeat 5

For each date range of the analytics screen it times, in process (median of --repeat runs):
the screen's whole load (``analytics_dashboard``), ``fractal report`` by day, activity and
goal, and ``fractal progress`` of every activity; and it counts the SQL statements each one
runs, which must not grow with the data. Not part of the test run.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _build(db: Path, scale: int) -> None:
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.demo import load_demo
    from fractal_tui.store import Store

    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    started = time.perf_counter()
    load_demo(Store(engine), scale=scale)
    print(f"built a scale-{scale} demo in {time.perf_counter() - started:.1f} s: {db}")
    engine.dispose()


def _counts(engine: Any) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("sessions", "work_intervals", "activity_instances", "metric_values")
        }


class _Statements:
    """Counts the SQL statements sent to the database."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.n += 1


def _time(fn: Callable[[], Any], repeat: int, stmts: _Statements) -> tuple[float, float, int]:
    """Median wall and CPU milliseconds, and the statements of one call.

    CPU time is the steadier figure on a busy machine; wall time includes waiting.
    """
    fn()  # warm the caches once, as a screen that reloads would
    wall, cpu = [], []
    per_call = 0
    for _ in range(repeat):
        before = stmts.n
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        per_call = stmts.n - before
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an SQLite file (built first if missing)")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    tmp = None
    db = args.db
    if db is None:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / f"demo{args.scale}.db"
    if not db.exists():
        _build(db, args.scale)

    from fractal_tui import analytics
    from fractal_tui.db import make_engine
    from fractal_tui.store import Store

    engine = make_engine(f"sqlite:///{db}")
    store = Store(engine)
    stmts = _Statements(engine)
    root = next(f for f in store.list_fractals() if f.name == "Become a concert pianist")
    print("rows:", ", ".join(f"{k} {v}" for k, v in _counts(engine).items()))
    today = analytics.local_date(store.now())
    choices = store.progress_choices(root.id)

    print(f"\n{'range':<6} {'what':<28} {'wall ms':>8} {'cpu ms':>7} {'SQL':>4}")
    worst = 0.0
    for name in analytics.PRESETS:
        rng = analytics.preset_range(name, today)
        start, end = rng.bounds()
        end = min(end, store.now())
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("screen load (dashboard)", lambda rng=rng: store.analytics_dashboard(root.id, rng)),
        ]
        for by in ("day", "activity", "goal"):
            cases.append(
                (
                    f"report --by {by}",
                    lambda by=by, s=start, e=end: store.practice_report(
                        root.id, start=s, end=e, by=by
                    ),
                )
            )
        for choice in choices:
            cases.append(
                (
                    f"progress {choice.name[:19]}",
                    lambda c=choice, s=start, e=end: store.progress_series(
                        root.id, c.id, start=s, end=e
                    ),
                )
            )
        for label, fn in cases:
            ms, cpu, n = _time(fn, args.repeat, stmts)
            worst = max(worst, cpu)
            print(f"{name:<6} {label:<28} {ms:>8.1f} {cpu:>7.1f} {n:>4}")
    print(f"\nslowest (cpu): {worst:.1f} ms")
    engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
