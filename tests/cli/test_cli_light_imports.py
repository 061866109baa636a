"""`fractal --help` and `--version` must not load the heavy libraries (startup budget)."""

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "textual")

PROBE = """
import json, sys
sys.argv = ["fractal", *{args!r}]
from fractal_tui.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print("\\nHEAVY=" + json.dumps(heavy))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["add-goal", "--help"]])
def test_help_and_version_do_not_import_heavy_libraries(args: list[str], tmp_path) -> None:
    code = PROBE.format(args=args, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stdout.splitlines() if x.startswith("HEAVY=")][-1]
    assert json.loads(line.removeprefix("HEAVY=")) == []


def test_probe_detects_a_heavy_import(tmp_path) -> None:
    # The probe itself must be able to fail: a command that opens the store loads SQLAlchemy.
    code = PROBE.format(args=["--db", str(tmp_path / "x.db"), "migrate", "--status"], heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    line = [x for x in result.stdout.splitlines() if x.startswith("HEAVY=")][-1]
    assert "sqlalchemy" in json.loads(line.removeprefix("HEAVY="))


def test_version_is_the_installed_distributions(tmp_path) -> None:
    # fractal_tui/_version.py is the one source (hatch reads it for the build); the installed
    # metadata must agree with what `fractal --version` prints.
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "fractal_tui", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.stdout.strip() == f"fractal, version {version('fractal-tui')}"
