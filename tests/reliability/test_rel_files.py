"""Issue 9.7: files are private and nothing lands in the current directory.

Real `fractal` processes run with umask 000 (the most permissive a user can have), so the
modes below come from Fractal itself, not from a friendly umask: new data directories are
0700, database files, their WAL/SHM side files and every backup 0600. Every process runs in
an empty working directory, which must still be empty afterwards.
"""

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from rel_helpers import child_env, fractal_process


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = fractal_process(args, cwd=cwd, env=env, preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert result.stderr == "", result.stderr
    return result


def backup_named(output: str) -> Path:
    match = re.search(r" to (\S+\.db)", output)
    assert match, output
    return Path(match.group(1))


def test_files_are_private_and_the_working_directory_stays_empty(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    data = tmp_path / "data" / "deeper"  # does not exist yet
    db = data / "practice.db"
    env = child_env(FRACTAL_DB=str(db))

    run(["add-fractal", "Piano"], cwd, env)
    run(["add-activity", "Scales", "--metric", "bpm:bpm"], cwd, env)
    run(["start-session"], cwd, env)
    run(["log", "Scales", "bpm=90"], cwd, env)
    run(["goals"], cwd, env)
    auto_backup = backup_named(run(["db", "backup"], cwd, env).stdout)
    named_backup = tmp_path / "named.db"
    run(["db", "backup", str(named_backup)], cwd, env)
    migrate_backup = backup_named(run(["migrate", "--to", "base"], cwd, env).stdout)
    run(["migrate"], cwd, env)
    restored = run(["db", "restore", str(migrate_backup)], cwd, env).stdout
    safety_backup = backup_named(restored.splitlines()[0])
    run(["db", "check"], cwd, env)
    run(["--help"], cwd, env)

    assert sorted(os.listdir(cwd)) == []
    assert mode(data) == 0o700
    assert mode(data.parent) == 0o700  # every directory Fractal had to create
    assert mode(db) == 0o600
    backups = data / "backups"
    assert mode(backups) == 0o700
    made = sorted(backups.iterdir())
    assert set(made) == {auto_backup, migrate_backup, safety_backup}
    for backup in (*made, named_backup):
        assert mode(backup) == 0o600, backup
    # Nothing else appeared next to the database: no stray journals or temporary copies.
    leftovers = {p.name for p in data.iterdir()} - {"practice.db", "backups"}
    assert leftovers <= {"practice.db-wal", "practice.db-shm"}
    for name in leftovers:
        assert mode(data / name) == 0o600, name


def test_the_default_data_directory_is_private(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    home = tmp_path / "home"
    xdg = home / ".local" / "share"
    env = child_env(HOME=str(home), XDG_DATA_HOME=str(xdg))
    env.pop("FRACTAL_DB", None)
    run(["add-fractal", "Piano"], cwd, env)
    run(["fractals"], cwd, env)
    assert os.listdir(cwd) == []
    folder = xdg / "fractal"
    assert mode(folder) == 0o700
    assert mode(folder / "fractal.db") == 0o600


def test_wal_and_shm_side_files_are_private_while_open(tmp_path: Path) -> None:
    # The side files exist only while a connection is open: look from inside a process
    # that holds one (umask 000 again).
    db = tmp_path / "open" / "f.db"
    code = f"""
import json, os
os.umask(0)
from pathlib import Path
from fractal_tui.db import ensure_schema, make_engine
from fractal_tui.store import Store
engine = make_engine("sqlite:///{db}")
ensure_schema(engine)
Store(engine).create_fractal("Piano")
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT count(*) FROM goals").all()
    files = {{p.name: oct(p.stat().st_mode & 0o777) for p in Path("{db.parent}").iterdir()}}
print(json.dumps(files))
"""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=child_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)
    assert files == {"f.db": "0o600", "f.db-wal": "0o600", "f.db-shm": "0o600"}
    assert os.listdir(cwd) == []
