"""Issue 9.2: several processes write to one SQLite file at once; nothing fails or is lost.

300 `fractal start` / `fractal log` / `fractal stop` commands run at the same time in two
processes, one fractal each: rel_cli_loop.py runs 150 through the real CLI entry point, each
with its own engine and connection as a fresh `fractal` process has, and a real `fractal
batch` process runs the other 150 (one JSON line each). Meanwhile a third process runs the TUI
under run_test() (rel_tui_writer.py), polling the database and adding goals through its form,
and a few real `fractal log` processes write to that third fractal. Every command must
succeed with nothing on stderr (no "database is locked"), the TUI must show no error, and
afterwards every write is there, counted exactly.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from rel_cli_loop import command
from rel_helpers import HERE, child_env, invariant_problems
from sqlalchemy import text

from fractal_tui.db import ensure_schema, integrity_check, make_engine
from fractal_tui.store import Store
from fractal_tui.views import MetricSpec

PER_WRITER = 150  # 2 x 150 = 300 commands
FRACTAL = [sys.executable, "-c", "from fractal_tui.cli import main; main()"]
FRACTALS = ("Alpha", "Beta")
REAL_PROCESSES = 2
TUI_GOALS = 8


def setup(url: str) -> None:
    engine = make_engine(url)
    ensure_schema(engine)
    store = Store(engine)  # the real clock: the CLI writers use it too
    for name in (*FRACTALS, "Gamma"):
        root = store.create_fractal(name).id
        store.add_activity(root, "Scales")
        store.add_activity(root, "Squat", has_sets=True, metrics=(MetricSpec("reps", "n"),))
        store.start_session(root, name=f"{name} session")
    engine.dispose()


def counts(engine: Any, fractal: str) -> dict[str, Any]:
    with engine.connect() as conn:

        def one(sql: str) -> Any:
            return conn.execute(text(sql), {"f": fractal}).scalar()

        root = "(SELECT id FROM goals WHERE name = :f AND parent_id IS NULL)"
        return {
            "scales_instances": one(
                "SELECT count(*) FROM activity_instances i JOIN activities a ON a.id = "
                f"i.activity_id WHERE a.name = 'Scales' AND i.root_id = {root}"
            ),
            "scales_completed": one(
                "SELECT count(*) FROM activity_instances i JOIN activities a ON a.id = "
                f"i.activity_id WHERE a.name = 'Scales' AND i.completed_at IS NOT NULL "
                f"AND i.root_id = {root}"
            ),
            "intervals": one(f"SELECT count(*) FROM work_intervals WHERE root_id = {root}"),
            "running": one(
                f"SELECT count(*) FROM work_intervals WHERE ended_at IS NULL AND root_id = {root}"
            ),
            "sets": one(f"SELECT count(*) FROM activity_sets WHERE root_id = {root}"),
            "reps": sorted(
                int(v)
                for v in conn.execute(
                    text(f"SELECT value FROM metric_values WHERE root_id = {root}"), {"f": fractal}
                ).scalars()
            ),
        }


def test_two_writer_processes_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    url = f"sqlite:///{db}"
    setup(url)
    go = tmp_path / "go"
    env = child_env()
    loop = subprocess.Popen(
        [sys.executable, str(HERE / "rel_cli_loop.py"), str(db), "Alpha", str(PER_WRITER), str(go)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    batch = subprocess.Popen(
        [*FRACTAL, "--db", str(db), "--fractal", "Beta", "batch"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    batch_lines = "".join(json.dumps(command(i)) + "\n" for i in range(PER_WRITER))
    tui = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "rel_tui_writer.py"),
            str(db),
            "Gamma",
            str(TUI_GOALS),
            str(go),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    real: list[subprocess.Popen[str]] = []
    try:
        go.touch()  # the loop and the TUI start now; the batch as soon as it reads its lines
        # Real `fractal` processes join the race (a third fractal, so each one's count is
        # exact too).
        real = [
            subprocess.Popen(
                [
                    *FRACTAL,
                    "--db",
                    str(db),
                    "--fractal",
                    "Gamma",
                    "log",
                    "Squat",
                    f"reps={1000 + k}",
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for k in range(REAL_PROCESSES)
        ]
        batch_out, batch_err = batch.communicate(batch_lines, timeout=180)
        loop_out, loop_err = loop.communicate(timeout=180)
        real_outputs = [p.communicate(timeout=60) for p in real]
        tui_out, tui_err = tui.communicate(timeout=120)
    finally:
        for proc in (loop, batch, *real, tui):
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert loop.returncode == 0, loop_err
    assert loop_err == ""
    report = json.loads(loop_out)
    assert report["ran"] == PER_WRITER
    assert report["failures"] == [], report["failures"][:3]

    assert batch_err == "", batch_err
    results = [json.loads(line) for line in batch_out.splitlines()]
    assert len(results) == PER_WRITER
    assert [r for r in results if not r["ok"]] == []
    assert batch.returncode == 0
    for proc, (out, err) in zip(real, real_outputs, strict=True):
        assert proc.returncode == 0, err
        assert err == "", err
        assert out.startswith("Logged Squat"), out

    assert tui.returncode == 0, tui_err
    tui_report = json.loads(tui_out.strip().splitlines()[-1])
    assert tui_report == {"errors": [], "added": TUI_GOALS}

    engine = make_engine(url)
    try:
        cycles = PER_WRITER // 3
        for name in FRACTALS:
            assert counts(engine, name) == {
                "scales_instances": cycles,
                "scales_completed": cycles,
                "intervals": cycles,
                "running": 0,
                "sets": cycles,
                "reps": [i for i in range(PER_WRITER) if i % 3 == 1],
            }, name
        store = Store(engine)
        gamma_root = store.resolve_fractal("Gamma").id
        assert sorted(g.name for g in store.goals(gamma_root) if g.parent_id) == sorted(
            f"Goal {k}" for k in range(TUI_GOALS)
        )
        gamma = counts(engine, "Gamma")
        assert gamma["sets"] == REAL_PROCESSES
        assert gamma["reps"] == [1000 + k for k in range(REAL_PROCESSES)]
        assert integrity_check(engine) == []
        assert Store(engine).check_invariants() == []
        assert invariant_problems(engine) == []
    finally:
        engine.dispose()
