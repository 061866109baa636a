"""Watson frames and Timewarrior exports: timed instances, a session per day, conflicts."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from exchange_helpers import export_text, table_counts

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.exchange.timetrackers import format_tags, import_tracker
from fractal_tui.store.exchange import stable_id

BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in January


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def epoch(text: str) -> int:
    return int(at(text).timestamp())


def rows_of(store: Any, table: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for t, r in store.export_rows(None) if t == table}


F1 = "5d4c3b2a19f84e7d8c6b5a4f3e2d1c0b"
F2 = "6e5d4c3b2a1948e7d8c6b5a4f3e2d1c0"
F3 = "7f6e5d4c3b2a4958e7d8c6b5a4f3e2d1"
TAGS = ["warm up", 'say "hi"', "it's", "plain", "a,b"]


def watson_frames() -> list[list[Any]]:
    return [
        [epoch("2026-01-03 10:00"), epoch("2026-01-03 11:00"), "Scales", F1, TAGS,
         epoch("2026-01-03 11:00")],
        # an older 5-element frame: no updated_at
        [epoch("2026-01-03 12:00"), epoch("2026-01-03 12:30"), "Bach", F2, []],
        # 23:30 UTC is 00:30 the next day in Berlin: that day's session
        [epoch("2026-01-03 23:30"), epoch("2026-01-04 00:15"), "scales", F3, ["late"],
         epoch("2026-01-04 00:15")],
    ]  # fmt: skip


@pytest.fixture
def root(store: Any) -> str:
    return str(store.create_fractal("Piano").id)


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def watson(store: Any, path: Path, root: str, **kw: Any) -> Any:
    return import_tracker(store, path, "watson", root, tz=BERLIN, **kw)


def timew(store: Any, path: Path, root: str, **kw: Any) -> Any:
    return import_tracker(store, path, "timewarrior", root, tz=BERLIN, **kw)


# --- Watson --------------------------------------------------------------------------------


def test_watson_frames_become_timed_instances_in_a_session_per_day(
    store: Any, root: str, tmp_path: Path
) -> None:
    report = watson(store, write(tmp_path, "frames", watson_frames()), root)
    assert store.check_invariants() == []
    assert report.clean == 3 and report.conflicts == []
    assert report.read == {"frames": 3}
    # one activity per project name (case-insensitive)
    assert [a.name for a in store.activities(root)] == ["Scales", "Bach"]
    sessions = sorted(rows_of(store, "sessions").values(), key=lambda s: s["started_at"])
    assert [s["name"] for s in sessions] == ["Watson 2026-01-03", "Watson 2026-01-04"]
    first = sessions[0]
    assert first["started_at"] == at("2026-01-03 10:00")
    assert first["ended_at"] == at("2026-01-03 12:30")
    assert first["completed_at"] == first["ended_at"]
    assert first["duration_seconds"] == 2.5 * 3600
    instances = rows_of(store, "activity_instances")
    frame1 = instances["5d4c3b2a-19f8-4e7d-8c6b-5a4f3e2d1c0b"]  # Watson's id, as a UUID
    assert frame1["completed_at"] == at("2026-01-03 11:00")
    assert frame1["notes"] == 'tags: "warm up", "say \\"hi\\"", "it\'s", plain, "a,b"'
    intervals = {r["instance_id"]: r for r in rows_of(store, "work_intervals").values()}
    assert intervals[frame1["id"]]["started_at"] == at("2026-01-03 10:00")
    assert intervals[frame1["id"]]["ended_at"] == at("2026-01-03 11:00")
    late = instances["7f6e5d4c-3b2a-4958-e7d8-c6b5a4f3e2d1"]
    assert late["session_id"] == sessions[1]["id"] and late["notes"] == "tags: late"
    assert late["activity_id"] == frame1["activity_id"]


def test_format_tags_quotes_only_what_needs_it() -> None:
    assert format_tags(["a", "b c", 'd"e', "f,g", "h'i"]) == ('a, "b c", "d\\"e", "f,g", "h\'i"')


def test_watson_reimport_is_idempotent_and_updates_by_id(
    store: Any, clock: Any, root: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "frames", watson_frames())
    watson(store, path, root)
    before = export_text(store)
    again = watson(store, path, root)
    assert again.result.inserted == {} and again.result.updated == {}
    assert export_text(store) == before
    # edited in Watson: another project and a later stop, with a newer updated_at
    frames = watson_frames()
    frames[0][1] = epoch("2026-01-03 11:30")
    frames[0][2] = "Arpeggios"
    frames[0][5] = epoch("2026-01-06 08:00")
    edited = watson(store, write(tmp_path, "frames2", frames), root)
    assert edited.result.updated == {
        "PracticeSession": 1,
        "ActivityInstance": 1,
        "WorkInterval": 1,
    }
    assert edited.result.inserted == {"Activity": 1}
    instance = rows_of(store, "activity_instances")["5d4c3b2a-19f8-4e7d-8c6b-5a4f3e2d1c0b"]
    assert store.get_activity(instance["activity_id"]).name == "Arpeggios"
    assert len(rows_of(store, "activity_instances")) == 3
    assert store.check_invariants() == []


def test_watson_reuses_an_activity_of_the_same_name(store: Any, root: str, tmp_path: Path) -> None:
    existing = store.add_activity(root, "SCALES")
    watson(store, write(tmp_path, "frames", watson_frames()), root)
    names = sorted(a.name for a in store.activities(root))
    assert names == ["Bach", "SCALES"]
    instances = rows_of(store, "activity_instances").values()
    assert sum(i["activity_id"] == existing.id for i in instances) == 2


def test_non_uuid_watson_ids_get_stable_ids(store: Any, root: str, tmp_path: Path) -> None:
    frames = [[epoch("2026-01-03 10:00"), epoch("2026-01-03 10:10"), "X", "frame-1", []]]
    watson(store, write(tmp_path, "frames", frames), root)
    assert stable_id("watson", "frame-1") in rows_of(store, "activity_instances")


# --- conflicts -----------------------------------------------------------------------------


def test_overlaps_are_reported_before_anything_is_written(
    store: Any, root: str, tmp_path: Path
) -> None:
    watson(store, write(tmp_path, "frames", watson_frames()), root)
    clash = [
        [epoch("2026-01-03 10:30"), epoch("2026-01-03 10:45"), "Jazz", F1.replace("5", "9"), []],
        [epoch("2026-01-05 10:00"), epoch("2026-01-05 10:45"), "Jazz", F2.replace("6", "9"), []],
    ]
    path = write(tmp_path, "clash", clash)
    before = table_counts(store)
    with pytest.raises(Conflict) as exc:
        watson(store, path, root)
    assert "1 clean, 1 conflicts" in str(exc.value)
    assert "overlaps 'Scales'" in str(exc.value)
    assert table_counts(store) == before
    # a dry run lists them without failing, and still writes nothing
    dry = watson(store, path, root, dry_run=True)
    assert dry.clean == 1 and len(dry.conflicts) == 1
    assert "1 clean, 1 conflicts" in "\n".join(dry.lines())
    assert table_counts(store) == before
    # --skip-conflicts imports the clean one and reports the other as skipped
    done = watson(store, path, root, skip_conflicts=True)
    assert done.result.inserted["ActivityInstance"] == 1
    assert done.skipped["interval: it conflicts with another interval"] == 1
    assert store.check_invariants() == []


def test_overlaps_inside_one_file_are_conflicts(store: Any, root: str, tmp_path: Path) -> None:
    frames = [
        [epoch("2026-01-03 10:00"), epoch("2026-01-03 11:00"), "A", F1, []],
        [epoch("2026-01-03 10:59"), epoch("2026-01-03 11:30"), "B", F2, []],
        [epoch("2026-01-03 11:30"), epoch("2026-01-03 12:00"), "C", F3, []],  # touching: fine
    ]
    report = watson(store, write(tmp_path, "frames", frames), root, skip_conflicts=True)
    assert report.clean == 2 and len(report.conflicts) == 1
    assert "interval of the same import" in report.conflicts[0]


def test_overlap_with_a_timer_of_the_practice_loop(
    store: Any, clock: Any, root: str, tmp_path: Path
) -> None:
    activity = store.add_activity(root, "Scales")
    session = store.start_session(root, at=at("2026-01-05 08:00"))
    store.start_activity(root, activity.id, at=at("2026-01-05 08:00"))
    store.stop(root, at=at("2026-01-05 08:30"))
    store.end_session(session.id, at=at("2026-01-05 08:40"))
    frames = [[epoch("2026-01-05 08:20"), epoch("2026-01-05 08:50"), "Bach", F1, []]]
    with pytest.raises(Conflict, match="0 clean, 1 conflicts"):
        watson(store, write(tmp_path, "frames", frames), root)


# --- Timewarrior ---------------------------------------------------------------------------


def tw_intervals() -> list[dict[str, Any]]:
    return [
        {"id": 3, "start": "20260103T100000Z", "end": "20260103T110000Z",
         "tags": ["Code", "client x", 'the "big" one'], "annotation": "fixed bug #12"},
        {"id": 2, "start": "20260103T120000Z", "end": "20260103T123000Z"},
        {"id": 1, "start": "20260105T083000Z", "tags": ["Code"]},
    ]  # fmt: skip


def test_timewarrior_intervals_and_the_open_one_runs(store: Any, root: str, tmp_path: Path) -> None:
    report = timew(store, write(tmp_path, "tw.json", tw_intervals()), root)
    assert store.check_invariants() == []
    assert report.clean == 3
    assert sorted(a.name for a in store.activities(root)) == ["Code", "Untagged"]
    instances = rows_of(store, "activity_instances")
    first = instances[stable_id("timewarrior", "20260103T100000Z")]
    assert first["notes"] == 'tags: "client x", "the \\"big\\" one"\nfixed bug #12'
    status = store.status(root)
    assert status.running and status.activity_name == "Code"
    assert status.running_since == at("2026-01-05 08:30")
    sessions = {s["name"]: s for s in rows_of(store, "sessions").values()}
    assert sessions["Timewarrior 2026-01-05"]["completed_at"] is None
    assert sessions["Timewarrior 2026-01-03"]["completed_at"] == at("2026-01-03 12:30")


def test_timewarrior_reimport_then_the_open_interval_closes(
    store: Any, root: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "tw.json", tw_intervals())
    timew(store, path, root)
    again = timew(store, path, root)
    assert again.result.inserted == {} and again.result.updated == {}
    closed = tw_intervals()
    closed[2]["end"] = "20260105T090000Z"
    done = timew(store, write(tmp_path, "tw2.json", closed), root)
    assert done.result.updated["WorkInterval"] == 1
    assert done.result.updated["PracticeSession"] == 1
    assert not store.status(root).running
    assert store.check_invariants() == []


def test_open_interval_while_another_session_runs_is_reported(
    store: Any, root: str, tmp_path: Path
) -> None:
    store.start_session(root, name="Live")
    path = write(tmp_path, "tw.json", tw_intervals())
    with pytest.raises(Conflict) as exc:
        timew(store, path, root)
    assert "2 clean, 1 conflicts" in str(exc.value)
    assert "another session is in progress" in str(exc.value)
    report = timew(store, path, root, skip_conflicts=True)
    assert report.result.inserted["ActivityInstance"] == 2
    assert store.active_session(root).name == "Live"
    assert store.check_invariants() == []


def test_only_the_latest_open_interval_can_run(store: Any, root: str, tmp_path: Path) -> None:
    data = [
        {"id": 2, "start": "20260104T080000Z", "tags": ["A"]},
        {"id": 1, "start": "20260105T080000Z", "tags": ["B"]},
    ]
    report = timew(store, write(tmp_path, "tw.json", data), root, skip_conflicts=True)
    assert report.clean == 1
    assert "only the latest open one can run" in report.conflicts[0]
    assert store.status(root).activity_name == "B"


# --- bad files: a clear message, nothing written -------------------------------------------


@pytest.mark.parametrize(
    ("source", "data", "words"),
    [
        ("watson", {"frames": []}, "not a Watson frames file"),
        ("watson", [[1, 2, "p"]], "is not [start, stop, project, id, tags, updated_at]"),
        ("watson", [["x", 2, "p", "id", []]], "not a time in epoch seconds"),
        ("watson", [[1, 2, 3, "id", []]], "must be text"),
        ("watson", [[1, 2, "p", "id", "tag"]], "tags must be a list"),
        ("watson", [[5, 2, "p", "id", []]], "stops before it starts"),
        ("watson", [[1e20, 2e20, "p", "id", []]], "out of range"),
        ("timewarrior", {"start": "x"}, "not a Timewarrior export"),
        ("timewarrior", [{"end": "20260101T000000Z"}], "not an object with a start"),
        ("timewarrior", [{"start": "yesterday"}], "not a time like"),
        ("timewarrior", [{"start": "20260102T000000Z", "end": "20260101T000000Z"}],
         "ends before it starts"),
        ("timewarrior", [{"start": "20260101T000000Z", "tags": "a"}], "tags must be a list"),
    ],
)  # fmt: skip
def test_bad_files(
    store: Any, root: str, tmp_path: Path, source: str, data: Any, words: str
) -> None:
    path = write(tmp_path, "bad.json", data)
    before = table_counts(store)
    with pytest.raises(Invalid) as exc:
        import_tracker(store, path, source, root)
    assert words in str(exc.value)
    assert table_counts(store) == before


def test_not_json(store: Any, root: str, tmp_path: Path) -> None:
    path = tmp_path / "frames"
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(Invalid, match="not valid JSON"):
        import_tracker(store, path, "watson", root)
