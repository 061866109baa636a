"""Import from Fractal Goals: all three schemas, generated with their messy rows."""

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from exchange_helpers import export_text, table_counts
from fg_fixtures import (
    ACCURACY,
    BLACKBIRD,
    CHORDS,
    FITNESS,
    GUITAR,
    I1,
    I2,
    I5,
    I6,
    I7,
    I8,
    INTRO,
    LEFT,
    LEGACY,
    LOST,
    MAKERS,
    MV1,
    OLDCHILD,
    OLDPLAN,
    PICKING,
    REPS,
    RIGHT,
    S1,
    S2,
    S3,
    S4,
    S5,
    S6,
    SCALES,
    SONGS,
    SQUAT,
    STRAY,
    T1,
    T2,
    T3,
    T4,
    TABBED,
    TARGET1,
    TARGET2,
    TEMPO,
    UPSIDE,
    WEIGHT,
    WEIRD,
)

from fractal_tui.errors import Invalid
from fractal_tui.exchange.fractal_goals import import_fractal_goals
from fractal_tui.store.exchange import stable_id

BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in March 2025
SCHEMAS = ["newer", "older", "oldest"]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rows_of(store: Any, table: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for t, r in store.export_rows(None) if t == table}


@pytest.fixture(params=SCHEMAS)
def schema(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def goals_db(tmp_path: Path, schema: str) -> Path:
    path = tmp_path / f"goals-{schema}.db"
    MAKERS[schema](path)
    return path


@pytest.fixture
def imported(store: Any, goals_db: Path) -> Any:
    report = import_fractal_goals(store, goals_db, tz=BERLIN)
    assert store.check_invariants() == []
    return report


# --- every schema --------------------------------------------------------------------------


def test_each_root_goal_becomes_a_fractal(store: Any, imported: Any, schema: str) -> None:
    assert imported.schema == schema
    assert {f.name for f in store.list_fractals()} == {"Guitar", "Fitness"}
    assert set(imported.result.root_ids) == {GUITAR, FITNESS}


def test_reimport_changes_nothing(store: Any, goals_db: Path, imported: Any) -> None:
    before = export_text(store)
    again = import_fractal_goals(store, goals_db, tz=BERLIN)
    assert again.result.inserted == {} and again.result.updated == {}
    assert again.result.kept == {}
    assert export_text(store) == before
    assert store.check_invariants() == []


def test_dry_run_reports_and_writes_nothing(store: Any, goals_db: Path) -> None:
    report = import_fractal_goals(store, goals_db, dry_run=True, tz=BERLIN)
    assert report.result.dry_run and report.result.inserted["Goal"] >= 9
    assert report.skipped and report.read["goals"] >= 12
    assert table_counts(store) == {}
    assert "dry run" in report.lines()[0]


def test_nothing_is_dropped_silently(imported: Any, schema: str) -> None:
    skipped = dict(imported.skipped)
    assert skipped["goal: unknown goal type 'WeirdGoal'"] == 1
    assert skipped["goal: its parent goal is missing"] == (2 if schema == "oldest" else 1)
    assert skipped["activity instance: its session no longer exists"] == 1
    assert skipped["activity instance: its activity no longer exists"] == 1
    assert skipped["session: it belongs to no fractal that can be found"] == 1
    assert skipped["target: its activity no longer exists"] == 1
    assert skipped["value: the same value is recorded twice"] == 1
    assert skipped["session goal link: the same link appears twice"] == 1
    text = "\n".join(imported.lines())
    assert "skipped" in text and "fixed on the way in" in text
    assert imported.as_dict()["skipped"] == skipped


def test_goal_tree_roots_levels_and_names(store: Any, imported: Any, schema: str) -> None:
    goals = rows_of(store, "goals")
    assert WEIRD not in goals and LOST not in goals
    for gid in (SONGS, BLACKBIRD, PICKING, UPSIDE, TABBED):
        assert goals[gid]["root_id"] == GUITAR  # derived by walking parents
    assert goals[GUITAR]["root_id"] == GUITAR and goals[GUITAR]["parent_id"] is None
    legacy = stable_id("fractal-goals", "goals", LEGACY)
    assert goals[legacy]["parent_id"] == SONGS and goals[legacy]["level"] == 2
    assert goals[UPSIDE]["level"] == 3  # a long-term goal under a mid-term one, moved below
    assert goals[TABBED]["name"] == "Tab bed"
    assert goals[SONGS]["deadline"] == date(2025, 12, 31)
    # updated_at NULL upstream: the creation time (local 09:01 in Berlin is 08:01 UTC)
    assert goals[SONGS]["created_at"] == utc("2025-01-01 08:01:00")
    assert goals[SONGS]["updated_at"] == goals[SONGS]["created_at"]
    # completed without a completion time: its last update (the oldest schema has none)
    done = "2025-01-01 08:02:00" if schema == "oldest" else "2025-02-01 19:00:00"
    assert goals[BLACKBIRD]["completed_at"] == utc(done)
    if schema == "oldest":
        assert STRAY not in goals  # no root_id to fall back on
    else:
        assert goals[STRAY]["parent_id"] == GUITAR  # parent missing: under its root
    # sibling order follows upstream sort_order, then creation
    songs_children = sorted(
        (g for g in goals.values() if g["parent_id"] == SONGS), key=lambda g: g["sort_order"]
    )
    if schema != "oldest":
        assert songs_children[0]["id"] == legacy  # upstream sort_order 0


@pytest.mark.parametrize("schema", ["newer", "older"])  # the oldest has no deleted_at
def test_deleted_goal_takes_its_live_child_with_it(store: Any, imported: Any, schema: str) -> None:
    goals = rows_of(store, "goals")
    assert goals[OLDPLAN]["deleted_at"] == utc("2025-02-10 11:00:00")
    assert goals[OLDCHILD]["delete_batch"] == goals[OLDPLAN]["delete_batch"]
    assert OLDPLAN not in {g.id for g in store.goals(GUITAR)}
    batch = next(b for b in store.trash(GUITAR) if b.batch == goals[OLDPLAN]["delete_batch"])
    assert batch.name == "Old plan"
    assert imported.result.hidden["Goal"] == 1
    store.restore(batch.batch, GUITAR)
    assert {OLDPLAN, OLDCHILD} <= {g.id for g in store.goals(GUITAR)}


def test_sessions_times_fractals_and_the_one_open_session(
    store: Any, imported: Any, schema: str
) -> None:
    sessions = rows_of(store, "sessions")
    first = sessions[S1]
    assert first["root_id"] == GUITAR
    assert first["started_at"] == utc("2025-03-01 17:00:00")  # local 18:00 in Berlin
    assert first["ended_at"] == utc("2025-03-01 18:00:00")
    assert first["completed_at"] is not None and first["duration_seconds"] == 3600
    assert S5 not in sessions  # no fractal could be found for it
    # parent and root missing: placed by its goal links, and closed (S4 is newer and open)
    assert sessions[S2]["root_id"] == GUITAR
    assert sessions[S2]["completed_at"] is not None
    assert sessions[S4]["completed_at"] is None
    assert sessions[S3]["root_id"] == FITNESS and sessions[S3]["completed_at"] is None
    open_ids = {s.id for s in [store.active_session(GUITAR), store.active_session(FITNESS)]}
    assert open_ids == {S4, S3}
    if schema == "newer":
        assert sessions[S6]["deleted_at"] is not None
        assert (
            rows_of(store, "activity_instances")[I7]["delete_batch"]
            == (sessions[S6]["delete_batch"])
        )
        assert sessions[S1]["template_id"] == T1
        assert sessions[S4]["template_id"] is None  # its template does not exist


def test_session_goal_links(store: Any, imported: Any, schema: str) -> None:
    links = {(r["session_id"], r["goal_id"]) for r in rows_of(store, "session_goals").values()}
    assert (S1, PICKING) in links and (S2, PICKING) in links
    if schema != "oldest":
        assert (S1, INTRO) in links
        goals = rows_of(store, "goals")
        assert goals[INTRO]["parent_id"] == PICKING and goals[INTRO]["level"] == 4
    assert len([x for x in links if x == (S1, PICKING)]) == 1


def test_instances_timers_sets_and_values(store: Any, imported: Any, schema: str) -> None:
    instances = rows_of(store, "activity_instances")
    intervals = {r["instance_id"]: r for r in rows_of(store, "work_intervals").values()}
    # instance timers are naive UTC upstream
    assert intervals[I1]["started_at"] == utc("2025-03-01 17:05:00")
    assert intervals[I1]["ended_at"] == utc("2025-03-01 17:20:00")
    # a stop before the start: the duration decides
    assert intervals[I2]["ended_at"] == utc("2025-03-01 17:50:00")
    assert intervals[I8]["started_at"] == utc("2025-03-02 17:00:00")
    # the open timer of the open session runs
    assert intervals[I5]["ended_at"] is None and instances[I5]["completed_at"] is None
    status = store.status(FITNESS)
    assert status.running and status.instance_id == I5 and status.activity_name == "Squat"
    values = rows_of(store, "metric_values")
    table_value = values[MV1]
    assert table_value["instance_id"] == I2 and table_value["value"] == 100.0
    if schema == "oldest":
        assert table_value["split_id"] is None
        return
    assert table_value["split_id"] == LEFT
    sets = sorted(
        (s for s in rows_of(store, "activity_sets").values() if s["instance_id"] == I1),
        key=lambda s: s["sort_order"],
    )
    assert [s["status"] for s in sets] == ["completed", "planned", "completed"]
    by_set = {}
    for v in values.values():
        if v["instance_id"] == I1:
            by_set.setdefault(v["set_id"], []).append(v)
    first = sorted((v["split_id"], v["value"]) for v in by_set[sets[0]["id"]])
    assert first == sorted([(LEFT, 120.0), (RIGHT, 110.5)])
    assert sets[1]["id"] not in by_set  # blank and "abc": skipped, reported
    third = by_set[sets[2]["id"]]
    assert [(v["metric_id"], v["value"]) for v in third] == [(ACCURACY, 95.0)]
    metrics = rows_of(store, "metric_definitions")
    assert metrics[ACCURACY]["deleted_at"] is not None  # a value may point at it
    squat_values = sorted(v["value"] for v in values.values() if v["instance_id"] == I5)
    assert squat_values == [5.0, 100.0]
    assert notes_of(instances, I1) == "clean"


def notes_of(instances: dict[str, Any], iid: str) -> str:
    return str(instances[iid]["notes"])


def test_definitions(store: Any, imported: Any, schema: str) -> None:
    activities = rows_of(store, "activities")
    metrics = rows_of(store, "metric_definitions")
    scales = activities[SCALES]
    assert scales["root_id"] == GUITAR and scales["has_sets"] is True
    assert scales["has_splits"] is (schema != "oldest")
    assert metrics[TEMPO]["is_best_set"] is (schema != "oldest")
    assert metrics[TEMPO]["is_multiplicative"] is (schema == "oldest")
    assert metrics[WEIGHT]["is_multiplicative"] is True  # missing column: the default
    assert metrics[ACCURACY]["unit"] == ""
    assert activities[SQUAT]["root_id"] == FITNESS  # declared, or derived from its use
    assert metrics[REPS]["activity_id"] == SQUAT
    if schema != "oldest":
        splits = rows_of(store, "split_definitions")
        assert sorted((s["sort_order"], s["name"]) for s in splits.values()) == [
            (0, "Left"),
            (1, "Right"),
        ]
        assert activities[SCALES]["group_id"] is not None
    if schema == "newer":
        # a deleted definition: deleted here too, its instance and metric with it
        assert activities[CHORDS]["deleted_at"] is not None
        instance = rows_of(store, "activity_instances")[I6]
        assert instance["delete_batch"] == activities[CHORDS]["delete_batch"]


@pytest.mark.parametrize("schema", ["oldest"])  # activities had no fractal then
def test_oldest_shared_activities_are_copied_per_fractal(
    store: Any, imported: Any, schema: str
) -> None:
    activities = rows_of(store, "activities")
    scales = [a for a in activities.values() if a["name"] == "Scales"]
    assert sorted(a["root_id"] for a in scales) == sorted([GUITAR, FITNESS])
    copy = next(a for a in scales if a["root_id"] == FITNESS)
    assert copy["id"] == stable_id("fractal-goals", "activities", SCALES, "in", FITNESS)
    assert activities[SCALES]["root_id"] == GUITAR  # the home fractal keeps the upstream id
    instance = rows_of(store, "activity_instances")[I7]
    assert instance["activity_id"] == copy["id"]
    metrics = [m for m in rows_of(store, "metric_definitions").values() if m["name"] == "Tempo"]
    assert sorted(m["root_id"] for m in metrics) == sorted([GUITAR, FITNESS])


def test_templates_in_three_shapes(store: Any, imported: Any, schema: str) -> None:
    templates = rows_of(store, "session_templates")
    items = sorted(rows_of(store, "template_items").values(), key=lambda i: i["sort_order"])

    def of(tid: str) -> list[tuple[str, str | None, float]]:
        return [
            (i["section"], i["activity_id"], i["planned_minutes"])
            for i in items
            if i["template_id"] == tid
        ]

    assert of(T1) == [("Warm-up", SCALES, 10.0)]
    # exercises by name (case-insensitive); an unknown one skipped; an empty section kept
    assert of(T2) == [("Main", SCALES, 30.0), ("Cool-down", None, 5.0)]
    assert templates[T3]["root_id"] == FITNESS
    assert of(T3) == [("Legs", SQUAT, 0.0)]
    if schema == "oldest":
        assert T4 not in templates
    else:
        assert T4 in templates and of(T4) == []
    assert imported.fixed["template with unreadable contents kept without activities"] == 1


def test_targets_from_goal_json(store: Any, imported: Any) -> None:
    targets = rows_of(store, "targets")
    assert TARGET2 not in targets
    target = targets[TARGET1]
    assert target["goal_id"] == PICKING and target["activity_id"] == SCALES
    assert target["name"] == "Fast scales" and target["kind"] == "threshold"
    conditions = [c for c in rows_of(store, "target_conditions").values()]
    assert [(c["metric_id"], c["op"], c["value"]) for c in conditions] == [(TEMPO, ">=", 140.0)]


def test_naive_times_follow_the_time_zone(store: Any, other_store: Any, goals_db: Path) -> None:
    import_fractal_goals(store, goals_db, tz=BERLIN)
    import_fractal_goals(other_store, goals_db, tz=UTC)
    berlin, plain = rows_of(store, "sessions")[S1], rows_of(other_store, "sessions")[S1]
    assert plain["started_at"] - berlin["started_at"] == (
        utc("2025-01-01 01:00:00") - utc("2025-01-01 00:00:00")
    )
    # instance timers are UTC whatever the zone
    a = rows_of(store, "work_intervals")
    b = rows_of(other_store, "work_intervals")
    assert {k: v["started_at"] for k, v in a.items()} == {k: v["started_at"] for k, v in b.items()}


def test_local_changes_are_kept_on_reimport(
    store: Any, clock: Any, goals_db: Path, imported: Any
) -> None:
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    store.update_goal(PICKING, name="Fingerpicking, renamed here")
    again = import_fractal_goals(store, goals_db, tz=BERLIN)
    assert again.result.kept == {"Goal": 1}
    assert store.get_goal(PICKING).name == "Fingerpicking, renamed here"


# --- files that are not Fractal Goals databases ----------------------------------------------


def _refused(store: Any, path: Path, words: str) -> None:
    with pytest.raises(Invalid) as exc:
        import_fractal_goals(store, path)
    assert words in str(exc.value)
    assert table_counts(store) == {}


def test_not_sqlite(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "goals.db"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    _refused(store, path, "not an SQLite database")


def test_sqlite_without_goals(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id)")
    conn.commit()
    conn.close()
    _refused(store, path, "not a Fractal Goals one")


def test_goals_table_of_the_wrong_shape(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "wrong.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE goals (id, title)")
    conn.commit()
    conn.close()
    _refused(store, path, "no type, name, parent_id column")


def test_truncated_sqlite_file(store: Any, tmp_path: Path, goals_db: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(goals_db.read_bytes()[:200])
    _refused(store, path, "")


def test_empty_database_of_the_right_shape(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE goals (id, type, name, parent_id)")
    conn.commit()
    conn.close()
    report = import_fractal_goals(store, path)
    assert report.result.written == 0 and report.read["goals"] == 0


def test_pathological_rows_are_reported_not_fatal(store: Any, tmp_path: Path) -> None:
    """No id, no type, loops, a goal under a nano goal, numbers where JSON text belongs."""
    path = tmp_path / "odd.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE goals (id, type, name, parent_id, created_at, targets)")
    conn.execute("CREATE TABLE sessions (id, root_id, name, session_start, completed)")
    conn.execute(
        "CREATE TABLE activity_instances (id, session_id, activity_definition_id, "
        "time_start, time_stop, data)"
    )
    conn.execute("CREATE TABLE activity_definitions (id, root_id, name)")
    conn.execute("CREATE TABLE session_templates (id, root_id, name, template_data)")
    conn.executemany(
        "INSERT INTO goals VALUES (?, ?, ?, ?, ?, ?)",
        [
            (None, "UltimateGoal", "no id", None, None, None),
            ("r1", "UltimateGoal", None, None, "garbage", "5"),
            ("g1", "NanoGoal", "Nano", "r1", 12345, None),
            ("g2", "MicroGoal", "Under nano", "g1", None, None),
            ("g3", None, "No type", "r1", None, None),
            ("c1", "ShortTermGoal", "loop 1", "c2", None, None),
            ("c2", "ShortTermGoal", "loop 2", "c1", None, None),
        ],
    )
    conn.execute("INSERT INTO activity_definitions VALUES ('a1', 'r1', 'A')")
    conn.execute("INSERT INTO sessions VALUES ('s1', 'r1', 'S', '2025-01-01 10:00', 'maybe')")
    conn.executemany(
        "INSERT INTO activity_instances VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("i1", "s1", "a1", "2025-01-01 10:00", "x", 5),
            ("i2", "s1", "a1", None, None, '{"sets": [5, {"metrics": [5]}]}'),
            (None, "s1", "a1", None, None, None),
        ],
    )
    conn.execute("INSERT INTO session_templates VALUES ('t1', 'r1', 'T', 5)")
    conn.commit()
    conn.close()
    report = import_fractal_goals(store, path)
    assert store.check_invariants() == []
    skipped = dict(report.skipped)
    assert skipped["goal: it has no id"] == 1
    assert skipped["activity instance: it has no id"] == 1
    assert skipped["goal: its parents form a loop"] == 2
    assert skipped["goal: it sits under a nano goal, which has no children"] == 1
    assert skipped["goal: unknown goal type ''"] == 1
    assert skipped["target: the goal's targets are not a list"] == 1
    assert skipped["set: it is not an object"] == 1
    assert report.fixed["goal without a name named '(unnamed)'"] == 1
    assert report.fixed["template with unreadable contents kept without activities"] == 1
    assert report.read["goals"] == 7
    assert [f.name for f in store.list_fractals()] == ["(unnamed)"]
    again = import_fractal_goals(store, path)
    assert again.result.inserted == {} and again.result.updated == {}
