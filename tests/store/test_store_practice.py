"""Sets, metric values and `log`: validation, upserts in place, and the hooks."""

from typing import Any

import pytest

from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.views import MetricSpec, SplitSpec


@pytest.fixture
def root(store: Any) -> str:
    return store.create_fractal("Gym").id


@pytest.fixture
def acts(store: Any, root: str) -> dict[str, Any]:
    return {
        "scales": store.add_activity(
            root, "Scales", metrics=(MetricSpec("bpm", "bpm", is_multiplicative=False),)
        ),
        "squat": store.add_activity(
            root,
            "Squat",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
        ),
        "curl": store.add_activity(
            root,
            "Curl",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
        "plank": store.add_activity(
            root,
            "Side plank",
            metrics=(MetricSpec("time", "s", is_multiplicative=False),),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
    }


@pytest.fixture
def session(store: Any, root: str) -> Any:
    return store.start_session(root, name="Legs")


def metric(activity: Any, name: str) -> Any:
    return next(m for m in activity.metrics if m.name == name)


def split(activity: Any, name: str) -> Any:
    return next(sp for sp in activity.splits if sp.name == name)


# --- sets --------------------------------------------------------------------------------------


def test_sets_are_ordered_and_carry_a_status(store: Any, session: Any, acts: dict) -> None:
    inst = store.add_instance(session.id, acts["squat"].id)
    first = store.add_set(inst.id)
    second = store.add_set(inst.id, status="completed")
    assert first.status == "planned" and second.status == "completed"
    assert store.set_status(first.id, "skipped").status == "skipped"
    assert [x.id for x in store.get_instance(inst.id).sets] == [first.id, second.id]
    assert store.shift_set(second.id, -1) is True
    assert [x.id for x in store.get_instance(inst.id).sets] == [second.id, first.id]


def test_set_rules_reject_bad_input_and_write_nothing(store: Any, session: Any, acts: dict) -> None:
    squat = store.add_instance(session.id, acts["squat"].id)
    scales = store.add_instance(session.id, acts["scales"].id)
    before = store.session_detail(session.id)
    with pytest.raises(Invalid, match="has no sets"):
        store.add_set(scales.id)
    with pytest.raises(Invalid, match="unknown set status"):
        store.add_set(squat.id, status="done-ish")
    assert store.session_detail(session.id) == before
    one = store.add_set(squat.id)
    with pytest.raises(Invalid, match="unknown set status"):
        store.set_status(one.id, "")
    assert store.get_instance(squat.id).sets[0].status == "planned"


def test_remove_set_is_a_soft_delete_with_its_values_and_can_be_restored(
    store: Any, root: str, session: Any, acts: dict
) -> None:
    inst = store.add_instance(session.id, acts["squat"].id)
    one = store.add_set(inst.id)
    store.record_value(inst.id, metric(acts["squat"], "reps").id, 5, set_id=one.id)
    summary = store.remove_set(one.id)
    assert summary.counts == {"sets": 1, "values": 1}
    detail = store.get_instance(inst.id)
    assert detail.sets == () and detail.values == ()
    store.restore(summary.batch, root)
    detail = store.get_instance(inst.id)
    assert [x.id for x in detail.sets] == [one.id] and detail.values[0].value == 5


# --- values ------------------------------------------------------------------------------------


def test_record_value_upserts_in_place_and_none_clears(
    store: Any, session: Any, acts: dict
) -> None:
    inst = store.add_instance(session.id, acts["squat"].id)
    one = store.add_set(inst.id)
    weight = metric(acts["squat"], "weight")
    first = store.record_value(inst.id, weight.id, 100, set_id=one.id)
    second = store.record_value(inst.id, weight.id, 102.5, set_id=one.id)
    assert first.id == second.id and second.value == 102.5
    assert [v.value for v in store.get_instance(inst.id).values] == [102.5]
    assert store.record_value(inst.id, weight.id, None, set_id=one.id) is None
    assert store.get_instance(inst.id).values == ()
    assert store.record_value(inst.id, weight.id, None, set_id=one.id) is None  # no-op
    # after a clear the same cell can be recorded again
    again = store.record_value(inst.id, weight.id, 90, set_id=one.id)
    assert again.value == 90


def test_values_without_sets_are_one_per_metric(store: Any, session: Any, acts: dict) -> None:
    inst = store.add_instance(session.id, acts["scales"].id)
    bpm = metric(acts["scales"], "bpm")
    store.record_value(inst.id, bpm.id, 96)
    store.record_value(inst.id, bpm.id, 104)
    assert [v.value for v in store.get_instance(inst.id).values] == [104]


def test_values_per_split(store: Any, session: Any, acts: dict) -> None:
    inst = store.add_instance(session.id, acts["plank"].id)
    time = metric(acts["plank"], "time")
    left, right = split(acts["plank"], "Left"), split(acts["plank"], "Right")
    store.record_value(inst.id, time.id, 45, split_id=left.id)
    store.record_value(inst.id, time.id, 40, split_id=right.id)
    values = {v.split_id: v.value for v in store.get_instance(inst.id).values}
    assert values == {left.id: 45, right.id: 40}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "12", True])
def test_values_must_be_finite_numbers(store: Any, session: Any, acts: dict, bad: Any) -> None:
    inst = store.add_instance(session.id, acts["scales"].id)
    with pytest.raises(Invalid, match="number"):
        store.record_value(inst.id, metric(acts["scales"], "bpm").id, bad)
    assert store.get_instance(inst.id).values == ()


def test_value_cell_rules(store: Any, session: Any, acts: dict) -> None:
    squat = store.add_instance(session.id, acts["squat"].id)
    curl = store.add_instance(session.id, acts["curl"].id)
    scales = store.add_instance(session.id, acts["scales"].id)
    squat_set = store.add_set(squat.id)
    curl_set = store.add_set(curl.id)
    reps = metric(acts["squat"], "reps")
    before = store.session_detail(session.id)
    with pytest.raises(Invalid, match="not a metric of 'Scales'"):
        store.record_value(scales.id, reps.id, 5)
    with pytest.raises(Invalid, match="name a set"):
        store.record_value(squat.id, reps.id, 5)
    with pytest.raises(Invalid, match="has no sets"):
        store.record_value(scales.id, metric(acts["scales"], "bpm").id, 90, set_id=squat_set.id)
    with pytest.raises(Invalid, match="another activity instance"):
        store.record_value(squat.id, reps.id, 5, set_id=curl_set.id)
    curl_reps = metric(acts["curl"], "reps")
    with pytest.raises(Invalid, match="name a split"):
        store.record_value(curl.id, curl_reps.id, 5, set_id=curl_set.id)
    with pytest.raises(Invalid, match="not one of 'Squat'"):
        store.record_value(
            squat.id, reps.id, 5, set_id=squat_set.id, split_id=split(acts["curl"], "Left").id
        )
    with pytest.raises(NotFound):
        store.record_value(squat.id, "no-such-metric", 5, set_id=squat_set.id)
    assert store.session_detail(session.id) == before


def test_values_can_be_edited_in_an_ended_session(
    store: Any, session: Any, acts: dict, clock: Any
) -> None:
    inst = store.add_instance(session.id, acts["scales"].id)
    clock.advance(minutes=1)
    store.end_session(session.id)
    assert store.record_value(inst.id, metric(acts["scales"], "bpm").id, 88).value == 88


# --- log ---------------------------------------------------------------------------------------


def test_log_adds_the_activity_and_a_completed_set(
    store: Any, root: str, session: Any, acts: dict
) -> None:
    result = store.log(root, "squat", {"weight": 100, "reps": 5})
    assert result.added_instance and result.set_number == 1
    assert result.set.status == "completed"
    assert sorted(v.value for v in result.values) == [5, 100]
    second = store.log(root, "Squat", {"Weight": 105, "reps": 3})
    assert not second.added_instance and second.set_number == 2
    fix = store.log(root, "Squat", {"reps": 4}, set_index=2, note="grinder")
    assert fix.set_number == 2 and fix.set.notes == "grinder"
    inst = store.get_instance(result.instance.id)
    assert len(inst.sets) == 2
    assert sorted(v.value for v in inst.values if v.set_id == inst.sets[1].id) == [4, 105]


def test_log_left_then_right_makes_one_pair(
    store: Any, root: str, session: Any, acts: dict
) -> None:
    store.log(root, "Curl", {"weight": 12, "reps": 10}, split="left")
    store.log(root, "Curl", {"weight": 12, "reps": 8}, split="Right")
    third = store.log(root, "Curl", {"weight": 12, "reps": 9}, split="Left")
    assert third.set_number == 2
    inst = store.get_instance(third.instance.id)
    assert len(inst.sets) == 2
    assert len([v for v in inst.values if v.set_id == inst.sets[0].id]) == 4


def test_log_without_sets_and_with_a_note(store: Any, root: str, session: Any, acts: dict) -> None:
    result = store.log(root, "Scales", {"bpm": 96}, note="clean at 96")
    assert result.set is None and result.set_number is None
    notes = store.session_detail(session.id).notes
    assert [(n.instance_id, n.text) for n in notes] == [(result.instance.id, "clean at 96")]


def test_log_rejects_bad_input_and_writes_nothing(
    store: Any, root: str, session: Any, acts: dict
) -> None:
    store.log(root, "Squat", {"weight": 100, "reps": 5})
    before = store.session_detail(session.id)
    cases = [
        (("Squat", {"sets": 5}), {}, r"no metric 'sets'; its metrics: weight \(kg\), reps"),
        (("Squat", {}), {}, "at least one value"),
        (("Squat", {"reps": float("nan")}), {}, "finite"),
        (("Squat", {"reps": 5}), {"set_index": 3}, "there is no set 3"),
        (("Squat", {"reps": 5}), {"set_index": 1, "new_set": True}, "not both"),
        (("Squat", {"reps": 5}), {"set_index": 0}, "start at 1"),
        (("Squat", {"reps": 5}), {"split": "Left"}, "no splits"),
        (("Curl", {"reps": 5}), {}, "name a split"),
        (("Curl", {"reps": 5}), {"split": "Middle"}, "no split 'Middle'"),
        (("Scales", {"bpm": 90}), {"new_set": True}, "has no sets"),
        (("Nope", {"bpm": 90}), {}, "no activity matches"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises((Invalid, NotFound), match=message):
            store.log(root, *args, **kwargs)
    assert store.session_detail(session.id) == before


def test_log_without_an_active_session_is_a_conflict(store: Any, root: str, acts: dict) -> None:
    with pytest.raises(Conflict, match="no active session"):
        store.log(root, "Squat", {"reps": 5})


def test_values_changed_hook_fires_for_every_change(engine: Any, clock: Any) -> None:
    from fractal_tui.store import Store

    calls: list[str] = []

    class Recording(Store):
        def _on_values_changed(self, s: Any, instance: Any) -> None:
            calls.append(instance.id)

    store = Recording(engine, clock=clock)
    root = store.create_fractal("Hooks").id
    act = store.add_activity(
        root, "Row", has_sets=True, metrics=(MetricSpec("meters", "m", is_multiplicative=False),)
    )
    session = store.start_session(root)
    inst = store.add_instance(session.id, act.id)
    one = store.add_set(inst.id)
    store.record_value(inst.id, act.metrics[0].id, 500, set_id=one.id)
    store.set_status(one.id, "completed")
    store.remove_set(one.id)
    store.log(root, "Row", {"meters": 250})
    assert calls == [inst.id] * 5


def test_log_matches_a_metric_by_unit_or_unique_name_prefix(store, clock) -> None:
    # People type the unit they see ("reps") or the start of the name ("rep").
    root = store.create_fractal("Gym")
    store.add_activity(
        root.id,
        "Squat",
        has_sets=True,
        metrics=(MetricSpec("Weight", "kg"), MetricSpec("Repetitions", "reps")),
    )
    store.start_session(root.id)
    first = store.log(root.id, "Squat", {"kg": 100, "reps": 5})
    second = store.log(root.id, "Squat", {"weight": 105, "rep": 4})
    assert sorted(v.value for v in first.values) == [5, 100]
    assert sorted(v.value for v in second.values) == [4, 105]
    before = store.session_detail(store.active_session(root.id).id)
    with pytest.raises(Invalid, match="no metric 'height'.*Weight \\(kg\\)"):
        store.log(root.id, "Squat", {"height": 1})
    assert store.session_detail(store.active_session(root.id).id) == before
