"""JSON export and import: streaming, round trip, idempotence, and the rules import keeps."""

import copy
import inspect
import json
from typing import Any

import pytest
from exchange_helpers import (
    ACT,
    BATCH,
    G1,
    G2,
    INST,
    INST_GONE,
    ITEM2,
    MET,
    SES,
    SES_GONE,
    T0,
    T1,
    VAL1,
    R,
    export_text,
    populate,
    sample_document,
    sample_tables,
    table_counts,
    write_document,
)

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.exchange.export_json import iter_json
from fractal_tui.exchange.import_json import import_json, read_document
from fractal_tui.store.exchange import TABLES

# --- export ----------------------------------------------------------------------------------


class _CountingStore:
    """Stands in for the store: counts how many rows the exporter has pulled."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.pulled = 0

    def exchange_tables(self) -> list[str]:
        return list(TABLES)

    def export_rows(self, root_ids: Any) -> Any:
        for i in range(self.n):
            self.pulled += 1
            yield "goals", {"id": f"{i:08d}", "name": f"goal {i}"}


def test_export_is_a_generator_that_writes_row_by_row() -> None:
    fake = _CountingStore(1000)
    pieces = iter_json(fake, None, [])
    assert inspect.isgenerator(pieces)
    seen = []
    for piece in pieces:
        seen.append(piece)
        if '"goal 2"' in piece:
            break
    # three rows written while only three were read: nothing is buffered ahead
    assert fake.pulled == 3
    assert sum('"name": "goal' in p for p in seen) == 3


def test_export_document_shape_and_order(store: Any, populated: dict[str, str]) -> None:
    text = export_text(store, [populated["root"]])
    doc = json.loads(text)
    assert doc["format"] == "fractal" and doc["version"] == 1
    assert doc["fractals"] == [populated["root"]]
    assert list(doc["tables"]) == list(TABLES)  # every table, in import order
    for rows in doc["tables"].values():
        ids = [r["id"] for r in rows]
        assert ids == sorted(ids)
        for row in rows:
            assert list(row) == sorted(row)
    goal = next(g for g in doc["tables"]["goals"] if g["id"] == populated["bach"])
    assert goal["created_at"].endswith("+00:00")  # ISO 8601 with offset


def test_export_includes_deleted_rows_marked(store: Any, populated: dict[str, str]) -> None:
    doc = json.loads(export_text(store, [populated["root"]]))
    gone = next(g for g in doc["tables"]["goals"] if g["id"] == populated["gone"])
    assert gone["deleted_at"] is not None and gone["delete_batch"]
    session = next(x for x in doc["tables"]["sessions"] if x["id"] == populated["second"])
    assert session["deleted_at"] is not None
    live = next(x for x in doc["tables"]["sessions"] if x["id"] == populated["first"])
    assert live["deleted_at"] is None


def test_export_one_fractal_or_all(store: Any, clock: Any) -> None:
    ids = populate(store, clock)
    other = store.create_fractal("Running")
    one = json.loads(export_text(store, [ids["root"]]))
    assert {g["root_id"] for g in one["tables"]["goals"]} == {ids["root"]}
    assert all(row["root_id"] == ids["root"] for rows in one["tables"].values() for row in rows)
    everything = json.loads(export_text(store, None))
    assert sorted(everything["fractals"]) == sorted([ids["root"], other.id])
    assert {g["root_id"] for g in everything["tables"]["goals"]} == {ids["root"], other.id}


# --- round trip and idempotence ----------------------------------------------------------


def test_export_import_export_gives_identical_documents(
    store: Any, other_store: Any, populated: dict[str, str], tmp_path: Any
) -> None:
    first = export_text(store, [populated["root"]])
    path = tmp_path / "doc.json"
    path.write_text(first, encoding="utf-8")
    report = import_json(other_store, path)
    assert report.result is not None and report.result.inserted["Goal"] == 4
    assert other_store.check_invariants() == []
    assert export_text(other_store, [populated["root"]]) == first
    # and the imported fractal works like any other: the deleted session is in the trash
    assert [b.id for b in other_store.trash(populated["root"])].count(populated["second"]) == 1
    assert {g.name for g in other_store.goals(populated["root"])} == {
        "Piano",
        "Bach prelude",
        "Hands apart",
    }


def test_import_same_document_twice_changes_nothing(
    store: Any, other_store: Any, populated: dict[str, str], tmp_path: Any
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(export_text(store, [populated["root"]]), encoding="utf-8")
    import_json(other_store, path)
    before = export_text(other_store)
    counts = table_counts(other_store)
    again = import_json(other_store, path).result
    assert again is not None
    assert again.inserted == {} and again.updated == {} and again.kept == {}
    assert again.unchanged == {k: v for k, v in _model_counts(counts).items()}
    assert export_text(other_store) == before
    assert other_store.check_invariants() == []


def _model_counts(counts: dict[str, int]) -> dict[str, int]:
    return {TABLES[t].__name__: n for t, n in counts.items()}


def test_import_into_the_same_database_is_a_no_op(store: Any, populated: dict[str, str]) -> None:
    doc = json.loads(export_text(store))
    before = export_text(store)
    result = store.import_rows(doc["tables"])
    assert result.inserted == {} and result.updated == {}
    assert export_text(store) == before


def test_export_all_round_trips_with_two_fractals(
    store: Any, other_store: Any, clock: Any, tmp_path: Any
) -> None:
    populate(store, clock)
    run = store.create_fractal("Running")
    store.add_goal(run.id, "5k")
    text = export_text(store)
    other_store.import_rows(json.loads(text)["tables"])
    assert export_text(other_store) == text
    assert other_store.check_invariants() == []


# --- a hand-written document -------------------------------------------------------------


def test_hand_written_document_fills_in_what_it_leaves_out(store: Any, clock: Any) -> None:
    result = store.import_rows(sample_tables())
    assert store.check_invariants() == []
    assert result.root_ids == (R,)
    assert result.hidden == {"ActivityInstance": 1}
    rows = {(t, r["id"]): r for t, r in store.export_rows([R])}
    # root_id derived from the parent for rows that did not say
    assert rows[("metric_values", VAL1)]["root_id"] == R
    assert rows[("goals", G1)]["root_id"] == R
    assert rows[("activity_instances", INST)]["root_id"] == R
    # audit times kept when given, set from the store's clock when not
    assert rows[("goals", G1)]["created_at"].isoformat() == T0
    listening = rows[("activities", "30000000-0000-4000-8000-000000000002")]
    assert listening["created_at"] == clock.now and listening["updated_at"] == clock.now
    # order appended among siblings when not given
    assert rows[("template_items", ITEM2)]["sort_order"] == 1
    assert listening["sort_order"] == 0  # ungrouped: first of its own siblings
    # a new row under a deleted row is stored deleted, in that row's batch
    gone = rows[("activity_instances", INST_GONE)]
    assert gone["deleted_at"] is not None and gone["delete_batch"] == BATCH
    assert rows[("sessions", SES_GONE)]["delete_batch"] == BATCH
    # deleted rows stay hidden, live ones are visible through the ordinary reads
    assert [g.id for g in store.goals(R)] == [R, G1]
    assert G2 not in {g.id for g in store.goals(R)}
    assert any(b.batch == BATCH for b in store.trash(R))


def test_import_reports_rows_read(store: Any, tmp_path: Any) -> None:
    path = write_document(tmp_path / "doc.json", sample_document())
    report = import_json(store, path)
    assert report.read["goals"] == 3 and report.read["metric_values"] == 2
    text = "\n".join(report.lines())
    assert "imported:" in text and "3 goals" in text


def test_dry_run_writes_nothing(store: Any, tmp_path: Any) -> None:
    path = write_document(tmp_path / "doc.json", sample_document())
    report = import_json(store, path, dry_run=True)
    assert report.result is not None and report.result.dry_run
    assert report.result.inserted["Goal"] == 3
    assert table_counts(store) == {}
    assert "dry run" in "\n".join(report.lines())


def test_newer_row_in_the_file_updates_an_older_one_is_kept(store: Any, clock: Any) -> None:
    store.import_rows(sample_tables())
    tables = sample_tables()
    goal = tables["goals"][0]
    assert goal["id"] == G1
    goal.update(name="Play Bach well", updated_at=T1)
    result = store.import_rows({"goals": [goal]})
    assert result.updated == {"Goal": 1}
    assert store.get_goal(G1).name == "Play Bach well"
    goal.update(name="Stale name", updated_at=T0)
    result = store.import_rows({"goals": [goal]})
    assert result.kept == {"Goal": 1}
    assert "newer" in result.notes[0]
    assert store.get_goal(G1).name == "Play Bach well"


def test_import_never_restores_or_deletes_existing_rows(store: Any, clock: Any) -> None:
    store.import_rows(sample_tables())
    clock.advance(minutes=5)
    store.delete("session", SES, R)
    tables = sample_tables()
    tables["sessions"][0].update(deleted_at=None, updated_at="2030-01-01T00:00:00+00:00")
    result = store.import_rows(tables)
    assert result.kept.get("PracticeSession") == 1
    assert any("deleted here" in n for n in result.notes)
    with pytest.raises(Exception):  # noqa: B017 - NotFound: still deleted
        store.get_session(SES)
    assert store.check_invariants() == []


# --- refused documents: a message, and nothing written -----------------------------------


def _refused(store: Any, tables: dict[str, Any], error: type[Exception], words: str) -> None:
    before = table_counts(store)
    with pytest.raises(error) as exc:
        store.import_rows(tables)
    assert words in str(exc.value)
    assert table_counts(store) == before


def test_same_id_twice_is_rejected(store: Any) -> None:
    tables = sample_tables()
    tables["goals"].append(copy.deepcopy(tables["goals"][0]))
    _refused(store, tables, Invalid, "twice")


def test_same_id_in_two_tables_is_rejected(store: Any) -> None:
    tables = sample_tables()
    tables["notes"][0]["id"] = G1
    _refused(store, tables, Invalid, "every row needs its own id")


def test_root_id_that_disagrees_with_the_parent_is_rejected(store: Any) -> None:
    other = store.create_fractal("Other")
    tables = sample_tables()
    tables["goals"][0]["root_id"] = other.id
    _refused(store, tables, Invalid, "belongs to")


def test_link_to_a_missing_row_is_rejected(store: Any) -> None:
    tables = sample_tables()
    tables["metric_values"][0]["metric_id"] = "ffffffff-0000-4000-8000-000000000000"
    _refused(store, tables, Invalid, "neither in the file nor in the database")


def test_link_into_another_fractal_is_rejected(store: Any) -> None:
    other = store.create_fractal("Other")
    tables = sample_tables()
    tables["activity_groups"][0]["root_id"] = other.id
    _refused(store, tables, Invalid, "another fractal")


def test_child_level_must_be_below_parent(store: Any) -> None:
    tables = sample_tables()
    tables["goals"][0]["level"] = 0
    _refused(store, tables, Invalid, "level")


@pytest.mark.parametrize(
    ("table", "field", "value", "words"),
    [
        ("goals", "created_at", "2025-06-01T08:00:00", "no offset"),
        ("goals", "created_at", "yesterday", "not an ISO 8601 time"),
        ("goals", "colour", "red", "unknown field"),
        ("goals", "name", "", "needs a name"),
        ("goals", "name", "bad\x07name", "control characters"),
        ("metric_values", "value", "12", "not a number"),
        ("activity_sets", "status", "done", "unknown set status"),
        ("target_conditions", "op", "!=", "unknown comparison"),
        ("work_intervals", "ended_at", "2025-05-01T00:00:00+00:00", "ends before it starts"),
        ("template_items", "planned_minutes", -1, "negative"),
        ("goals", "id", 17, "needs an id"),
    ],
)
def test_bad_values_are_refused(store: Any, table: str, field: str, value: Any, words: str) -> None:
    tables = sample_tables()
    tables[table][0][field] = value
    _refused(store, tables, Invalid, words)


def test_nan_is_refused(store: Any) -> None:
    tables = sample_tables()
    tables["metric_values"][0]["value"] = float("nan")
    _refused(store, tables, Invalid, "finite")


def test_unknown_table_is_refused(store: Any) -> None:
    tables: dict[str, Any] = {**sample_tables(), "workouts": [{"id": "x"}]}
    _refused(store, tables, Invalid, "unknown table")


def test_two_unfinished_sessions_in_one_fractal_conflict(store: Any) -> None:
    tables = sample_tables()
    for session in tables["sessions"]:
        session.update(ended_at=None, completed_at=None, duration_seconds=None, deleted_at=None)
    tables["activity_instances"] = tables["activity_instances"][:1]
    _refused(store, tables, Conflict, "unfinished session")


def test_goal_cycle_is_refused(store: Any) -> None:
    tables = sample_tables()
    tables["goals"][0]["parent_id"] = G2
    tables["goals"][1]["parent_id"] = G1
    _refused(store, tables, Invalid, "own ancestor")


# --- reading files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not json at all", "not valid JSON"),
        (b"\xff\xfe\x00binary", "not a text file"),
        (b"[[1, 2, 3]]", "not a Fractal export"),
        (b'{"format": "other"}', "not a Fractal export"),
        (b'{"format": "fractal", "version": 99, "tables": {}}', "newer Fractal"),
        (b'{"format": "fractal", "version": 1, "tables": []}', '"tables" must be'),
        (b'{"format": "fractal", "version": 1, "tables": {"goals": {}}}', "must be a list"),
        (b'{"format": "fractal", "version": 1, "tables": {"goals": [1]}}', "not an object"),
    ],
)
def test_bad_files_are_refused_with_a_message(tmp_path: Any, content: bytes, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(Invalid) as exc:
        read_document(path)
    assert words in str(exc.value)


def test_document_values_survive_import(store: Any) -> None:
    store.import_rows(sample_tables())
    rows = {(t, r["id"]): r for t, r in store.export_rows([R])}
    assert rows[("goals", G1)]["deadline"].isoformat() == "2025-12-24"
    assert rows[("metric_definitions", MET)]["is_best_set"] is True
    assert rows[("activities", ACT)]["has_splits"] is True
    assert rows[("sessions", SES)]["duration_seconds"] == 3600.0
