"""Templates in the store: sections, validation, editing with kept ids, sessions from
templates, repeating the last session, and planned against actual time."""

import math
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from fractal_tui.errors import Conflict, FractalError, Invalid, NotFound
from fractal_tui.views import MetricSpec, TemplateItemSpec, TemplateSection


def db_state(store: Any) -> dict[str, list[tuple]]:
    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(repr, r)) for r in conn.execute(select(t)).all())
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def fx(store: Any) -> dict[str, Any]:
    root = store.create_fractal("Piano")
    acts = {
        n: store.add_activity(root.id, n, metrics=(MetricSpec("bpm", "bpm"),))
        for n in ("Scales", "Arpeggios", "Bach", "Sight-reading")
    }
    return {"root": root, **acts}


def plan(fx: dict[str, Any]) -> list[TemplateSection]:
    return [
        TemplateSection(
            "Warm-up",
            (
                TemplateItemSpec(fx["Scales"].id, 10),
                TemplateItemSpec(fx["Arpeggios"].id, 5),
            ),
        ),
        TemplateSection("Repertoire", (TemplateItemSpec(fx["Bach"].id, 30),)),
    ]


def test_add_template_with_sections(store: Any, fx: dict[str, Any]) -> None:
    t = store.add_template(fx["root"].id, "Daily", description="every morning", sections=plan(fx))
    assert t.name == "Daily" and t.description == "every morning" and t.root_id == fx["root"].id
    assert [(x.name, x.planned_minutes) for x in t.sections] == [
        ("Warm-up", 15),
        ("Repertoire", 30),
    ]
    assert [i.activity_name for i in t.sections[0].items] == ["Scales", "Arpeggios"]
    assert [i.sort_order for i in t.items] == [0, 1, 2]
    assert t.planned_minutes == 45
    assert [x.id for x in store.templates(fx["root"].id)] == [t.id]
    assert store.get_template(t.id) == t
    assert store.resolve_template(fx["root"].id, "daily").id == t.id
    assert any(e.kind == "template_created" for e in store.history(fx["root"].id))


def test_empty_template_and_time_without_activity(store: Any, fx: dict[str, Any]) -> None:
    empty = store.add_template(fx["root"].id, "Blank")
    assert empty.items == () and empty.sections == () and empty.planned_minutes == 0
    free = store.add_template(
        fx["root"].id, "Free", sections=[TemplateSection("", (TemplateItemSpec(None, 20),))]
    )
    assert free.sections[0].name == "" and free.sections[0].items[0].activity_id is None


BAD = [
    ("", [], "needs a name"),
    ("Bad\x01", [], "control characters"),
    ("Ok", [TemplateSection("A", ())], "has no activities"),
    (
        "Ok",
        [
            TemplateSection("A", (TemplateItemSpec(None, 1),)),
            TemplateSection("a", (TemplateItemSpec(None, 1),)),
        ],
        "section names must differ",
    ),
    ("Ok", [TemplateSection("A", (TemplateItemSpec(None, -1),))], "between 0 and"),
    ("Ok", [TemplateSection("A", (TemplateItemSpec(None, 2000),))], "between 0 and"),
    ("Ok", [TemplateSection("A", (TemplateItemSpec(None, math.nan),))], "finite"),
    ("Ok", [TemplateSection("A\n", (TemplateItemSpec(None, 1),))], None),  # trimmed: fine
    ("Ok", [TemplateSection("A\x02B", (TemplateItemSpec(None, 1),))], "control characters"),
]


@pytest.mark.parametrize(("name", "sections", "message"), BAD)
def test_bad_templates_write_nothing(
    store: Any, fx: dict[str, Any], name: str, sections: list[Any], message: str | None
) -> None:
    if message is None:
        assert store.add_template(fx["root"].id, name, sections=sections).sections[0].name == "A"
        return
    before = db_state(store)
    with pytest.raises(Invalid, match=message):
        store.add_template(fx["root"].id, name, sections=sections)
    assert db_state(store) == before


def test_duplicate_name_and_foreign_or_missing_activity(store: Any, fx: dict[str, Any]) -> None:
    store.add_template(fx["root"].id, "Daily")
    other = store.create_fractal("Chess")
    tactics = store.add_activity(other.id, "Tactics")
    before = db_state(store)
    with pytest.raises(Conflict, match="already exists"):
        store.add_template(fx["root"].id, "DAILY")
    with pytest.raises(FractalError):
        store.add_template(
            fx["root"].id, "X", sections=[TemplateSection("A", (TemplateItemSpec(tactics.id, 5),))]
        )
    with pytest.raises(NotFound):
        store.add_template(
            fx["root"].id, "Y", sections=[TemplateSection("A", (TemplateItemSpec("nope", 5),))]
        )
    assert db_state(store) == before
    assert store.add_template(other.id, "Daily").name == "Daily"  # names are per fractal


def test_update_keeps_ids_where_the_activity_stays_in_its_section(
    store: Any, fx: dict[str, Any]
) -> None:
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    ids = {(i.section, i.activity_name): i.id for i in t.items}
    changed = store.update_template(
        t.id,
        name="Daily v2",
        sections=[
            TemplateSection("Repertoire", (TemplateItemSpec(fx["Bach"].id, 40),)),
            TemplateSection(
                "warm-up",
                (
                    TemplateItemSpec(fx["Scales"].id, 8),
                    TemplateItemSpec(fx["Sight-reading"].id, 5),
                ),
            ),
            TemplateSection("Cool-down", (TemplateItemSpec(fx["Arpeggios"].id, 5),)),
        ],
    )
    assert changed.name == "Daily v2"
    got = [(i.section, i.activity_name, i.planned_minutes) for i in changed.items]
    assert got == [
        ("Repertoire", "Bach", 40),
        ("warm-up", "Scales", 8),
        ("warm-up", "Sight-reading", 5),
        ("Cool-down", "Arpeggios", 5),
    ]
    new_ids = [i.id for i in changed.items]
    assert new_ids[0] == ids[("Repertoire", "Bach")]
    assert new_ids[1] == ids[("Warm-up", "Scales")]
    assert ids[("Warm-up", "Arpeggios")] not in new_ids  # moved section: a new row
    assert [i.sort_order for i in changed.items] == [0, 1, 2, 3]
    assert [s.planned_minutes for s in changed.sections] == [40, 13, 5]


def test_update_rejections_write_nothing(store: Any, fx: dict[str, Any]) -> None:
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    store.add_template(fx["root"].id, "Weekly")
    before = db_state(store)
    with pytest.raises(Conflict):
        store.update_template(t.id, name="weekly")
    with pytest.raises(Invalid):
        store.update_template(t.id, sections=[TemplateSection("A", ())])
    with pytest.raises(NotFound):
        store.update_template(t.id, sections=[TemplateSection("A", (TemplateItemSpec("nope", 1),))])
    assert db_state(store) == before
    assert store.update_template(t.id, description="new").description == "new"


def test_shift_and_delete_template(store: Any, fx: dict[str, Any]) -> None:
    a = store.add_template(fx["root"].id, "A", sections=plan(fx))
    b = store.add_template(fx["root"].id, "B")
    assert store.shift_template(b.id, -1) is True
    assert [t.name for t in store.templates(fx["root"].id)] == ["B", "A"]
    assert store.shift_template(b.id, -1) is False
    summary = store.delete("template", "A", fx["root"].id)
    assert summary.counts == {"templates": 1, "template items": 3}
    assert [t.name for t in store.templates(fx["root"].id)] == ["B"]
    store.restore(summary.batch)
    assert len(store.get_template(a.id).items) == 3


def test_deleting_an_activity_removes_it_from_templates(store: Any, fx: dict[str, Any]) -> None:
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    store.delete("activity", fx["Arpeggios"].id, fx["root"].id)
    assert [i.activity_name for i in store.get_template(t.id).items] == ["Scales", "Bach"]


# --- sessions from templates -------------------------------------------------------------------


def test_start_session_from_template(store: Any, fx: dict[str, Any], clock: Any) -> None:
    goal = store.add_goal(fx["root"].id, "Play Bach")
    t = store.add_template(
        fx["root"].id,
        "Daily",
        sections=[*plan(fx), TemplateSection("Free", (TemplateItemSpec(None, 10),))],
    )
    session = store.start_session_from_template(fx["root"].id, t.id, goal_ids=[goal.id])
    assert session.template_id == t.id and session.name == "Daily"
    assert session.goal_ids == (goal.id,) and session.started_at == clock.now
    detail = store.session_detail(session.id)
    got = [(i.section, i.activity_name, i.target_duration_seconds) for i in detail.instances]
    assert got == [
        ("Warm-up", "Scales", 600),
        ("Warm-up", "Arpeggios", 300),
        ("Repertoire", "Bach", 1800),
    ]


def test_session_from_template_named_or_not(store: Any, fx: dict[str, Any], clock: Any) -> None:
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    first = store.start_session_from_template(fx["root"].id, t.id, name="")
    assert first.name == "Daily"  # `start-session --template` passes an empty name
    clock.advance(minutes=5)
    store.end_session(first.id)
    second = store.start_session_from_template(fx["root"].id, t.id, name="Evening")
    assert second.name == "Evening" and second.instance_count == 3


def test_start_from_template_is_one_transaction(store: Any, fx: dict[str, Any]) -> None:
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    store.start_session(fx["root"].id)
    before = db_state(store)
    with pytest.raises(Conflict, match="still active"):
        store.start_session_from_template(fx["root"].id, t.id, name="Again")
    assert db_state(store) == before
    other = store.create_fractal("Chess")
    with pytest.raises(NotFound):
        store.start_session_from_template(other.id, t.id)


def test_template_from_session_rounds_time_up(store: Any, fx: dict[str, Any], clock: Any) -> None:
    session = store.start_session(fx["root"].id)
    scales = store.add_instance(session.id, fx["Scales"].id, section="Warm-up")
    bach = store.add_instance(session.id, fx["Bach"].id, section="Pieces")
    arps = store.add_instance(session.id, fx["Arpeggios"].id, section="Warm-up")
    store.start_timer(session.id, scales.id)
    clock.advance(minutes=9, seconds=1)
    store.start_timer(session.id, bach.id, switch=True)
    clock.advance(minutes=20)
    store.complete_instance(bach.id)
    store.start_timer(session.id, arps.id)
    clock.advance(minutes=2)  # still running: counts up to now
    t = store.template_from_session(session.id, "From today")
    assert [(s.name, s.planned_minutes) for s in t.sections] == [("Warm-up", 12), ("Pieces", 20)]
    assert [(i.activity_name, i.planned_minutes) for i in t.items] == [
        ("Scales", 10),
        ("Arpeggios", 2),
        ("Bach", 20),
    ]
    empty = store.create_fractal("Empty")
    lonely = store.start_session(empty.id)
    before = db_state(store)
    with pytest.raises(Conflict):
        store.template_from_session(session.id, "from today")
    with pytest.raises(Invalid, match="no activities"):
        store.template_from_session(lonely.id, "Nothing")
    assert db_state(store) == before


def test_repeat_last_session(store: Any, fx: dict[str, Any], clock: Any) -> None:
    goal = store.add_goal(fx["root"].id, "Play Bach")
    with pytest.raises(NotFound, match="no completed session"):
        store.repeat_last_session(fx["root"].id)
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    first = store.start_session_from_template(fx["root"].id, t.id, goal_ids=[goal.id])
    extra = store.add_instance(first.id, fx["Sight-reading"].id, section="Extra")
    clock.advance(minutes=30)
    store.end_session(first.id)
    clock.advance(hours=20)
    again = store.repeat_last_session(fx["root"].id)
    assert again.id != first.id and again.name == "Daily" and again.template_id == t.id
    assert again.goal_ids == (goal.id,)
    got = [
        (i.section, i.activity_name, i.target_duration_seconds)
        for i in store.session_detail(again.id).instances
    ]
    assert got == [
        ("Warm-up", "Scales", 600),
        ("Warm-up", "Arpeggios", 300),
        ("Repertoire", "Bach", 1800),
        ("Extra", "Sight-reading", None),
    ]
    assert extra.id not in {i.id for i in store.session_detail(again.id).instances}


def test_planned_vs_actual(store: Any, fx: dict[str, Any], clock: Any) -> None:
    t = store.add_template(fx["root"].id, "Daily", sections=plan(fx))
    session = store.start_session_from_template(fx["root"].id, t.id)
    instances = store.session_detail(session.id).instances
    scales, arps, bach = (i.id for i in instances)
    store.start_timer(session.id, scales)
    clock.advance(minutes=12)
    store.complete_instance(scales)
    store.start_timer(session.id, bach)
    clock.advance(minutes=5)  # running
    store.add_instance(session.id, fx["Sight-reading"].id, section="Extra")
    rows = store.planned_vs_actual(session.id)
    assert [(r.section, r.planned_minutes, r.actual_minutes) for r in rows] == [
        ("Warm-up", 15, 12),
        ("Repertoire", 30, 5),
        ("Extra", 0, 0),
    ]
    assert (rows[0].instance_count, rows[0].completed_count) == (2, 1)
    assert arps  # not started: counts 0
    # Without its template, the instances' planned durations are the plan.
    store.delete("template", t.id, fx["root"].id)
    rows = store.planned_vs_actual(session.id)
    assert [(r.section, r.planned_minutes) for r in rows] == [
        ("Warm-up", 15),
        ("Repertoire", 30),
        ("Extra", 0),
    ]
