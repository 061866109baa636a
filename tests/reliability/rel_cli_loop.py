"""A writer for the two-writers test: runs `fractal …` commands in a loop, in this process.

    python rel_cli_loop.py DB FRACTAL N GO_FILE

Waits until GO_FILE exists (so two writers start together), then runs N commands against
--db DB --fractal FRACTAL through the real entry point `fractal_tui.cli.main` (what the
`fractal` console script calls), one after the other, in the cycle

    fractal start Scales   ·   fractal log Squat reps=<i>   ·   fractal stop

Each command builds its own AppContext, engine and connection, exactly as a fresh `fractal`
process does; only the interpreter start-up (about half a second each) is saved. Prints one
JSON object: the number of commands run and every one that did not exit 0 with empty stderr.
"""

import contextlib
import io
import json
import sys
import time
from pathlib import Path


def command(i: int) -> list[str]:
    step = i % 3
    if step == 0:
        return ["start", "Scales"]
    if step == 1:
        return ["log", "Squat", f"reps={i}"]
    return ["stop"]


def run_one(args: list[str]) -> tuple[int, str, str]:
    from fractal_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    argv = sys.argv
    sys.argv = ["fractal", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def main() -> None:
    db, fractal, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    import fractal_tui.cli  # noqa: F401  (import before the race, like a started process)

    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    failures = []
    for i in range(n):
        args = ["--db", db, "--fractal", fractal, *command(i)]
        code, out, err = run_one(args)
        if code != 0 or err or not out.strip():
            failures.append({"i": i, "args": args, "code": code, "stdout": out, "stderr": err})
    print(json.dumps({"ran": n, "failures": failures}))


if __name__ == "__main__":
    main()
