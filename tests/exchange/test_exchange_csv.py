"""CSV export: one row per metric value, or one row per session."""

import csv
import inspect
import io
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from exchange_helpers import SES, R, sample_tables

from fractal_tui.exchange.export_csv import (
    SESSION_COLUMNS,
    VALUE_COLUMNS,
    write_sessions_csv,
    write_values_csv,
)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def values_csv(store: Any, roots: list[str], tz: Any = UTC) -> str:
    out = io.StringIO()
    write_values_csv(store, out, roots, tz=tz)
    return out.getvalue()


def test_one_row_per_value_in_session_and_set_order(store: Any, populated: dict[str, str]) -> None:
    text = values_csv(store, [populated["root"]])
    assert text.splitlines()[0] == ",".join(VALUE_COLUMNS)
    rows = read(text)
    got = [
        (r["session"], r["activity"], r["set"], r["split"], r["metric"], r["unit"], r["value"])
        for r in rows
    ]
    assert got == [
        ("Morning", "Scales", "1", "Left", "Tempo", "bpm", "120"),
        ("Morning", "Scales", "1", "Left", "Reps", "reps", "4"),
        ("Morning", "Scales", "1", "Right", "Tempo", "bpm", "112.5"),
        ("Morning", "Scales", "1", "Right", "Reps", "reps", "4"),
        ("Morning", "Scales", "2", "Left", "Tempo", "bpm", "126"),
        ("Morning", "Scales", "2", "Left", "Reps", "reps", "3"),
        ("Morning", "Sight reading", "", "", "Pages", "pages", "3"),
    ]
    assert {r["date"] for r in rows} == {"2026-01-05"}


def test_dates_are_local(store: Any) -> None:
    store.import_rows(sample_tables())  # the session starts 2025-06-01 08:00 UTC
    rows = read(values_csv(store, [R], tz=ZoneInfo("Pacific/Kiritimati")))  # UTC+14
    assert {r["date"] for r in rows} == {"2025-06-01"}
    rows = read(values_csv(store, [R], tz=ZoneInfo("America/Adak")))  # UTC-9 (summer)
    assert {r["date"] for r in rows} == {"2025-05-31"}


def test_deleted_rows_are_left_out(store: Any, clock: Any) -> None:
    tables = sample_tables()
    store.import_rows(tables)
    assert len(read(values_csv(store, [R]))) == 2
    set_id = tables["activity_sets"][0]["id"]
    clock.advance(minutes=1)
    store.remove_set(set_id)
    assert read(values_csv(store, [R])) == []


def test_rows_are_streamed_from_the_store(store: Any, populated: dict[str, str]) -> None:
    rows = store.export_value_rows([populated["root"]])
    assert inspect.isgenerator(rows)
    first = next(rows)
    assert first["activity"] == "Scales" and first["set_number"] == 1
    rows.close()


def test_empty_fractal_has_only_the_header(store: Any) -> None:
    root = store.create_fractal("Empty")
    assert values_csv(store, [root.id]) == ",".join(VALUE_COLUMNS) + "\n"


def test_one_row_per_session(store: Any, populated: dict[str, str]) -> None:
    out = io.StringIO()
    n = write_sessions_csv(store, out, [populated["root"]], tz=UTC)
    rows = read(out.getvalue())
    assert n == 1 and list(rows[0]) == list(SESSION_COLUMNS)
    row = rows[0]
    assert row["session"] == "Morning" and row["id"] == populated["first"]
    assert row["started_at"] == "2026-01-05T09:02:00+00:00"
    assert row["completed"] == "yes" and row["activities"] == "2"
    assert row["goals"] == "Bach prelude; Hands apart"
    assert float(row["duration_minutes"]) > 0 and row["paused_minutes"] == "0"


def test_session_rows_name_the_template(store: Any) -> None:
    store.import_rows(sample_tables())
    out = io.StringIO()
    write_sessions_csv(store, out, [R], tz=UTC)
    rows = read(out.getvalue())
    assert [(r["id"], r["template"], r["duration_minutes"]) for r in rows] == [(SES, "Daily", "60")]
