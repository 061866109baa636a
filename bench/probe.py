"""In-process measurements for bench/run.py, one kind per call, printed as one JSON object.

    python bench/probe.py fast --db FILE --runs 5
    python bench/probe.py analytics --db FILE --runs 5     # drops the root_id indexes after!
    python bench/probe.py keys --db FILE --presses 20
    python bench/probe.py imports -- status                # heavy modules a command loads

Each runs in a fresh process so one measurement cannot warm or slow another. Not part of
the test run.
"""

import argparse
import asyncio
import contextlib
import io
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FRACTAL = "Bench"
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "textual")

# The scriptable commands of the "fast" budget, as `fractal` would get them (after --db).
# The sequence leaves the live session as it found it, so every run does the same work.
FAST = {
    "status": ["status"],
    "start": ["start", "Scales", "--switch"],
    "log": ["log", "Scales", "bpm=120"],
    "stop": ["stop"],
    "add-activity": ["add-activity", "Bench {n}", "--metric", "reps:reps"],
}


class Timer:
    """Wall and CPU seconds (every thread of this process) of a with-block."""

    def __enter__(self) -> "Timer":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.pair = (time.perf_counter() - self.wall, time.process_time() - self.cpu)


def _cli(db: str, args: list[str]) -> None:
    from fractal_tui.cli import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["--db", db, *args], standalone_mode=False, prog_name="fractal")
    if code not in (None, 0):
        raise SystemExit(f"fractal {' '.join(args)} exited {code}: {out.getvalue()}")


def fast(db: str, runs: int) -> dict[str, Any]:
    """Each fast command through click in a warm process: the work without the imports."""
    import fractal_tui.commands.activities  # noqa: F401  (imports paid before timing)
    import fractal_tui.commands.practice  # noqa: F401

    times: dict[str, list[tuple[float, float]]] = {name: [] for name in FAST}
    n = 0
    for run in range(runs + 1):  # the first round warms caches and is not counted
        for name, args in FAST.items():
            n += 1
            argv = [a.format(n=f"p{n}") for a in args]
            with Timer() as took:
                _cli(db, argv)
            if run:
                times[name].append(took.pair)
    return {"times": times}


# --- analytics: the store's answer, and the same answer from a plain join --------------------

ROOT_INDEX_PREFIXES = ("ix_", "uq_")


def _root_indexes(conn: Any) -> list[str]:
    """Indexes whose first column is root_id (the ones the store's range reads go through)."""
    out = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for _seq, index, *_ in conn.execute(f"PRAGMA index_list('{table}')"):
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info('{index}')")]
            if cols and cols[0] == "root_id":
                out.append(index)
    return out


def _utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _sql_time(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def baseline_report(
    conn: Any, root_id: str, start: datetime, end: datetime, now: datetime, hint: str = ""
) -> Any:
    """`report --by goal` over [start, end) from plain joins, rolled up by the same rule.

    hint "NOT INDEXED": the tables the filter is on are read in full (joins by primary key).
    """
    from fractal_tui import analytics as rules

    lookback = _sql_time(start - timedelta(days=7))
    rows = conn.execute(
        f"""
        SELECT wi.session_id, wi.started_at, wi.ended_at
        FROM work_intervals wi {hint}
        JOIN sessions s ON s.id = wi.session_id
        JOIN activity_instances ai ON ai.id = wi.instance_id
        WHERE wi.root_id = ? AND wi.deleted_at IS NULL AND s.deleted_at IS NULL
          AND ai.deleted_at IS NULL AND s.started_at < ? AND s.started_at >= ?
          AND wi.started_at < ? AND (wi.ended_at IS NULL OR wi.ended_at > ?)
        """,
        (root_id, _sql_time(end), lookback, _sql_time(end), _sql_time(start)),
    ).fetchall()
    seconds: dict[str, float] = {}
    for sid, a, b in rows:
        seconds[sid] = seconds.get(sid, 0.0) + rules.interval_seconds(
            _utc(a), _utc(b), now, start, end
        )
    started = {
        sid
        for (sid,) in conn.execute(
            f"SELECT id FROM sessions {hint} WHERE root_id = ? AND deleted_at IS NULL"
            " AND started_at >= ? AND started_at < ?",
            (root_id, _sql_time(start), _sql_time(end)),
        )
    }
    counted = dict(seconds)
    for sid in started:
        counted.setdefault(sid, 0.0)
    links = conn.execute(
        f"""
        SELECT sg.session_id, sg.goal_id FROM session_goals sg {hint}
        JOIN sessions s ON s.id = sg.session_id
        WHERE sg.root_id = ? AND sg.deleted_at IS NULL AND s.deleted_at IS NULL
          AND s.started_at < ? AND s.started_at >= ?
        """,
        (root_id, _sql_time(end), lookback),
    ).fetchall()
    parents = dict(
        conn.execute(
            "SELECT id, parent_id FROM goals WHERE root_id = ? AND deleted_at IS NULL",
            (root_id,),
        ).fetchall()
    )
    times = rules.rollup(parents, links, counted, root_id)
    counts = rules.rollup(parents, links, {sid: 0.0 for sid in started}, root_id)
    return {g: (round(times[g].seconds, 3), counts[g].sessions) for g in parents}


def baseline_progress(
    conn: Any,
    root_id: str,
    activity_id: str,
    metric_id: str,
    start: datetime,
    end: datetime,
    hint: str = "",
) -> Any:
    """`progress Scales` (best set per session) over [start, end) from one plain join."""
    rows = conn.execute(
        f"""
        SELECT s.id, mv.set_id, mv.value, st.status
        FROM metric_values mv {hint}
        JOIN activity_instances ai ON ai.id = mv.instance_id
        JOIN sessions s ON s.id = ai.session_id
        LEFT JOIN activity_sets st ON st.id = mv.set_id
        WHERE mv.root_id = ? AND mv.metric_id = ? AND ai.activity_id = ?
          AND mv.deleted_at IS NULL AND ai.deleted_at IS NULL AND s.deleted_at IS NULL
          AND (st.id IS NULL OR st.deleted_at IS NULL)
          AND s.started_at >= ? AND s.started_at < ?
        """,
        (root_id, metric_id, activity_id, _sql_time(start), _sql_time(end)),
    ).fetchall()
    best: dict[str, float] = {}
    for sid, _set_id, value, status in rows:
        if status == "skipped":
            continue
        best[sid] = max(best.get(sid, value), value)
    return best


def _median(fn: Any, runs: int) -> tuple[list[tuple[float, float]], Any]:
    answer = fn()  # warm
    times = []
    for _ in range(runs):
        with Timer() as took:
            answer = fn()
        times.append(took.pair)
    return times, answer


def analytics(db: str, runs: int) -> dict[str, Any]:
    import sqlite3

    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store

    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    store = Store(engine)
    root = store.resolve_fractal(FRACTAL)
    now = store.now()
    start, end = now - timedelta(days=365), now
    scales = store.resolve_activity(root.id, "Scales")
    bpm = next(m for m in scales.metrics if m.name == "bpm")

    progress_t, series = _median(
        lambda: store.progress_series(root.id, scales.id, start=start, end=end), runs
    )
    report_t, report = _median(
        lambda: store.practice_report(root.id, start=start, end=end, by="goal"), runs
    )
    engine.dispose()
    store_progress = {p.session_id: p.value for p in series.points}
    store_report = {r.id: (round(r.seconds, 3), r.sessions) for r in report.rows}

    conn = sqlite3.connect(db)
    dropped = _root_indexes(conn)
    for index in dropped:
        conn.execute(f'DROP INDEX "{index}"')
    conn.commit()
    base: dict[str, Any] = {}
    for hint, label in (("NOT INDEXED", "scan"), ("", "indexed")):
        base[f"progress_{label}"], answer_p = _median(
            lambda h=hint: baseline_progress(conn, root.id, scales.id, bpm.id, start, end, h),
            max(1, runs // 2),
        )
        base[f"report_{label}"], answer_r = _median(
            lambda h=hint: baseline_report(conn, root.id, start, end, now, h), max(1, runs // 2)
        )
        base[f"same_progress_{label}"] = answer_p == store_progress
        base[f"same_report_{label}"] = answer_r == store_report
    plan = [
        row[-1]
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM metric_values WHERE root_id = ? AND metric_id = ?",
            (root.id, bpm.id),
        )
    ]
    conn.close()
    return {
        "progress": progress_t,
        "report": report_t,
        "baseline": base,
        "progress_points": len(series.points),
        "report_sessions": report.sessions,
        "dropped_indexes": dropped,
        "indexed_plan": plan,
    }


# --- the TUI: key press to repaint, in process with Pilot --------------------------------------


async def _keys(db: str, presses: int) -> dict[str, Any]:
    from textual.widgets import DataTable

    from fractal_tui.app import FractalApp, TuiSettings
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store

    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    store = Store(engine)
    app = FractalApp(store, settings=TuiSettings(poll_seconds=0))
    out: dict[str, Any] = {}

    async def settle(pilot: Any) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    async def until(pilot: Any, check: Any, what: str) -> float:
        started = time.perf_counter()
        while not check():
            if time.perf_counter() - started > 120:
                raise SystemExit(f"timed out waiting for {what}")
            await pilot.pause(0.02)
        await settle(pilot)
        return time.perf_counter() - started

    async def press(pilot: Any, key: str) -> tuple[float, float, float, float]:
        """Wall and CPU from the key to the cursor repainted, then to all it triggered shown."""
        wall, cpu = time.perf_counter(), time.process_time()
        await pilot.press(key)
        await pilot.pause()
        cursor = time.perf_counter() - wall, time.process_time() - cpu
        await settle(pilot)
        return (*cursor, time.perf_counter() - wall, time.process_time() - cpu)

    async with app.run_test(size=(120, 40)) as pilot:
        screen = lambda: pilot.app.screen  # noqa: E731

        def goals_shown() -> bool:
            tree = screen().query("GoalTree")
            return bool(tree) and tree.first().cursor_goal is not None

        out["goals_load"] = await until(pilot, goals_shown, "the goal tree")
        out["goals_count"] = len(screen().query_one("GoalTree").goals)
        out["goal_tree"] = [await press(pilot, "down") for _ in range(presses)]
        await pilot.press("2")

        def sessions_shown() -> bool:
            tables = screen().query("#sessions-table")
            return bool(tables) and tables.first(DataTable).row_count > 0

        out["sessions_load"] = await until(pilot, sessions_shown, "the sessions list")
        table = screen().query_one("#sessions-table", DataTable)
        out["sessions_rows_loaded"] = table.row_count
        out["sessions_total"] = screen().data.page.total  # type: ignore[attr-defined]
        out["sessions_list"] = [await press(pilot, "down") for _ in range(presses)]
        out["sessions_page"] = [await press(pilot, "right_square_bracket") for _ in range(3)]
    engine.dispose()
    return out


def keys(db: str, presses: int) -> dict[str, Any]:
    return asyncio.run(_keys(db, presses))


# --- which heavy modules a command imports --------------------------------------------------


def imports(args: list[str]) -> dict[str, Any]:
    from fractal_tui.cli import main

    sys.argv = ["fractal", *args]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main()
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
    return {"heavy": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["fast", "analytics", "keys", "imports"])
    parser.add_argument("--db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.kind == "fast":
        result = fast(args.db, args.runs)
    elif args.kind == "analytics":
        result = analytics(args.db, args.runs)
    elif args.kind == "keys":
        result = keys(args.db, args.presses)
    else:
        result = imports(args.rest)
    sys.stdout.write("\nPROBE " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
