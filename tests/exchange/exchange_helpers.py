"""Helpers for the exchange tests: stores, counts, a populated fractal built through the
store's public methods, and a hand-written export document touching every table."""

import json
from pathlib import Path
from typing import Any

from fractal_tui.store.exchange import TABLES


def new_store(tmp_path: Path, name: str, clock: Any) -> Any:
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.store import Store

    engine = make_engine(f"sqlite:///{tmp_path / name}")
    ensure_schema(engine)
    return Store(engine, clock=clock)


def table_counts(store: Any) -> dict[str, int]:
    """Rows per table, deleted ones included."""
    counts: dict[str, int] = {}
    for name, _row in store.export_rows(None):
        counts[name] = counts.get(name, 0) + 1
    return counts


def export_text(store: Any, root_ids: list[str] | None = None) -> str:
    from fractal_tui.exchange.export_json import iter_json

    fractals = root_ids if root_ids is not None else store.exchange_root_ids()
    return "".join(iter_json(store, root_ids, fractals))


def populate(store: Any, clock: Any) -> dict[str, str]:
    """A fractal with goals (one deleted), a group, activities with metrics, splits and sets,
    two sessions with timers and values (one deleted), through the public store methods."""
    from fractal_tui.views import MetricSpec, SplitSpec

    root = store.create_fractal("Piano", description="play well")
    bach = store.add_goal(root.id, "Bach prelude")
    etude = store.add_goal(bach.id, "Hands apart")
    gone = store.add_goal(root.id, "Jazz")
    clock.advance(minutes=1)
    group = store.add_group(root.id, "Technique")
    scales = store.add_activity(
        root.id,
        "Scales",
        group_id=group.id,
        has_sets=True,
        metrics=[MetricSpec("Tempo", "bpm", is_best_set=True), MetricSpec("Reps", "reps")],
        splits=[SplitSpec("Left"), SplitSpec("Right")],
    )
    reading = store.add_activity(root.id, "Sight reading", metrics=[MetricSpec("Pages", "pages")])
    clock.advance(minutes=1)
    first = store.start_session(root.id, name="Morning", goal_ids=[bach.id, etude.id])
    clock.advance(minutes=1)
    store.start_activity(root.id, scales.id)
    clock.advance(minutes=5)
    store.log(root.id, "Scales", {"Tempo": 120, "Reps": 4}, split="Left")
    store.log(root.id, "Scales", {"Tempo": 112.5, "Reps": 4}, split="Right")
    store.log(root.id, "Scales", {"Tempo": 126, "Reps": 3}, split="Left", new_set=True)
    store.stop(root.id)
    clock.advance(minutes=1)
    store.start_activity(root.id, reading.id)
    clock.advance(minutes=10)
    store.log(root.id, "Sight reading", {"Pages": 3})
    store.stop(root.id)
    store.end_session(first.id)
    clock.advance(hours=20)
    second = store.start_session(root.id, name="Evening")
    clock.advance(minutes=2)
    store.start_activity(root.id, reading.id)
    clock.advance(minutes=3)
    store.stop(root.id)
    store.end_session(second.id)
    clock.advance(minutes=1)
    store.delete("goal", gone.id, root.id)
    store.delete("session", second.id, root.id)
    clock.advance(minutes=1)
    return {
        "root": root.id,
        "bach": bach.id,
        "etude": etude.id,
        "gone": gone.id,
        "group": group.id,
        "scales": scales.id,
        "reading": reading.id,
        "first": first.id,
        "second": second.id,
    }


# --- a hand-written document --------------------------------------------------------------

R = "10000000-0000-4000-8000-000000000001"  # the fractal
G1 = "10000000-0000-4000-8000-000000000002"
G2 = "10000000-0000-4000-8000-000000000003"  # deleted
GRP = "20000000-0000-4000-8000-000000000001"
ACT = "30000000-0000-4000-8000-000000000001"
ACT2 = "30000000-0000-4000-8000-000000000002"
MET = "40000000-0000-4000-8000-000000000001"
SPL_L = "50000000-0000-4000-8000-000000000001"
SPL_R = "50000000-0000-4000-8000-000000000002"
TPL = "60000000-0000-4000-8000-000000000001"
ITEM1 = "61000000-0000-4000-8000-000000000001"
ITEM2 = "61000000-0000-4000-8000-000000000002"
SES = "70000000-0000-4000-8000-000000000001"
SES_GONE = "70000000-0000-4000-8000-000000000002"
LINK = "71000000-0000-4000-8000-000000000001"
INST = "80000000-0000-4000-8000-000000000001"
INST_GONE = "80000000-0000-4000-8000-000000000002"
IVL = "81000000-0000-4000-8000-000000000001"
SET1 = "82000000-0000-4000-8000-000000000001"
VAL1 = "83000000-0000-4000-8000-000000000001"
VAL2 = "83000000-0000-4000-8000-000000000002"
TGT = "90000000-0000-4000-8000-000000000001"
CND = "91000000-0000-4000-8000-000000000001"
NOTE = "a0000000-0000-4000-8000-000000000001"
EVT = "b0000000-0000-4000-8000-000000000001"
BATCH = "c0000000-0000-4000-8000-000000000001"

T0 = "2025-06-01T08:00:00+00:00"
T1 = "2025-06-01T08:30:00+00:00"
T2 = "2025-06-01T09:00:00+00:00"


def sample_tables() -> dict[str, list[dict[str, Any]]]:
    """Every table, some rows complete, some with only what an outside tool would know."""
    audit = {"created_at": T0, "updated_at": T0}
    return {
        "goals": [
            # the child first: import must put parents first by itself
            {
                "id": G1,
                "parent_id": R,
                "level": 2,
                "name": "Play Bach",
                "deadline": "2025-12-24",
                **audit,
            },
            {
                "id": G2,
                "parent_id": R,
                "level": 1,
                "name": "Old dream",
                "deleted_at": T1,
                "delete_batch": BATCH,
                **audit,
            },
            {"id": R, "parent_id": None, "level": 0, "name": "Music", "root_id": R, **audit},
        ],
        "activity_groups": [{"id": GRP, "root_id": R, "name": "Technique", **audit}],
        "activities": [
            {
                "id": ACT,
                "root_id": R,
                "group_id": GRP,
                "name": "Scales",
                "has_sets": True,
                "has_splits": True,
                **audit,
            },
            {"id": ACT2, "root_id": R, "name": "Listening"},
        ],
        "metric_definitions": [
            {
                "id": MET,
                "activity_id": ACT,
                "name": "Tempo",
                "unit": "bpm",
                "is_best_set": True,
                **audit,
            },
        ],
        "split_definitions": [
            {"id": SPL_L, "activity_id": ACT, "name": "Left", "sort_order": 0, **audit},
            {"id": SPL_R, "activity_id": ACT, "name": "Right", "sort_order": 1, **audit},
        ],
        "session_templates": [{"id": TPL, "root_id": R, "name": "Daily", **audit}],
        "template_items": [
            {
                "id": ITEM1,
                "template_id": TPL,
                "section": "Warm-up",
                "activity_id": ACT,
                "planned_minutes": 10,
                **audit,
            },
            {
                "id": ITEM2,
                "template_id": TPL,
                "section": "Free play",
                "planned_minutes": 5.5,
                **audit,
            },
        ],
        "sessions": [
            {
                "id": SES,
                "root_id": R,
                "name": "Morning",
                "template_id": TPL,
                "started_at": T0,
                "ended_at": T2,
                "completed_at": T2,
                "duration_seconds": 3600.0,
                **audit,
            },
            {
                "id": SES_GONE,
                "root_id": R,
                "name": "Lost",
                "started_at": T1,
                "ended_at": T2,
                "completed_at": T2,
                "deleted_at": T2,
                "delete_batch": BATCH,
                **audit,
            },
        ],
        "session_goals": [{"id": LINK, "session_id": SES, "goal_id": G1, **audit}],
        "activity_instances": [
            {
                "id": INST,
                "session_id": SES,
                "activity_id": ACT,
                "completed_at": T1,
                "notes": "steady",
                **audit,
            },
            # live in the file, but its session is deleted: stored deleted with it
            {"id": INST_GONE, "session_id": SES_GONE, "activity_id": ACT2, **audit},
        ],
        "work_intervals": [
            {
                "id": IVL,
                "session_id": SES,
                "instance_id": INST,
                "started_at": T0,
                "ended_at": T1,
                **audit,
            },
        ],
        "activity_sets": [
            {"id": SET1, "instance_id": INST, "status": "completed", **audit},
        ],
        "metric_values": [
            {
                "id": VAL1,
                "instance_id": INST,
                "set_id": SET1,
                "metric_id": MET,
                "split_id": SPL_L,
                "value": 120,
                **audit,
            },
            {
                "id": VAL2,
                "instance_id": INST,
                "set_id": SET1,
                "metric_id": MET,
                "split_id": SPL_R,
                "value": 112.5,
                **audit,
            },
        ],
        "targets": [
            {
                "id": TGT,
                "goal_id": G1,
                "activity_id": ACT,
                "name": "Fast scales",
                "kind": "threshold",
                **audit,
            },
        ],
        "target_conditions": [
            {"id": CND, "target_id": TGT, "metric_id": MET, "op": ">=", "value": 140, **audit},
        ],
        "notes": [{"id": NOTE, "session_id": SES, "text": "felt good", **audit}],
        "events": [
            {
                "id": EVT,
                "root_id": R,
                "created_at": T1,
                "kind": "deleted",
                "entity_type": "Goal",
                "entity_id": G2,
                "message": "deleted goal 'Old dream'",
                "batch": BATCH,
            },
        ],
    }


def sample_document() -> dict[str, Any]:
    return {"format": "fractal", "version": 1, "fractals": [R], "tables": sample_tables()}


def write_document(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


assert set(sample_tables()) == set(TABLES), "the sample document must touch every table"
