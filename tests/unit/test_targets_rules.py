"""Pure target rules: operators, kinds, grouping of values, parsing and validation."""

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from fractal_tui import targets as t
from fractal_tui.errors import Invalid

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def practice(
    instance: str,
    session: str,
    values: list[tuple[str | None, str | None, str, float]],
    *,
    minutes: int = 0,
    day: date = date(2026, 1, 5),
    skipped: tuple[str, ...] = (),
) -> t.Practice:
    return t.practice_from_values(
        instance, session, T0 + timedelta(minutes=minutes), day, values, skipped
    )


# --- operators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "op", "expected", "result"),
    [
        (10, ">=", 10, True),
        (9, ">=", 10, False),
        (11, ">=", 10, True),
        (9, "<=", 10, True),
        (10, "<=", 10, True),
        (11, "<=", 10, False),
        (11, ">", 10, True),
        (10, ">", 10, False),
        (9, "<", 10, True),
        (10, "<", 10, False),
        (10.0005, "==", 10, True),
        (9.9995, "==", 10, True),
        (10.002, "==", 10, False),
        (10, "==", 10, True),
    ],
)
def test_operators(actual: float, op: str, expected: float, result: bool) -> None:
    assert t.check(actual, op, expected) is result


def test_float_sums_do_not_miss_a_bound_by_rounding() -> None:
    assert t.check(0.1 + 0.2, ">=", 0.3)
    assert t.check(0.1 + 0.2, "<=", 0.3)


@pytest.mark.parametrize("op", t.OPS)
def test_missing_or_nan_value_never_meets(op: str) -> None:
    assert t.check(None, op, 10) is False
    assert t.check(math.nan, op, 10) is False


def test_unknown_operator_is_invalid() -> None:
    with pytest.raises(Invalid, match="unknown operator"):
        t.check(1, "!=", 1)
    with pytest.raises(Invalid, match="unknown operator"):
        t.normalise_op("~")


def test_operator_aliases() -> None:
    assert t.normalise_op("=") == "=="
    assert t.normalise_op("=>") == ">="
    assert t.normalise_op("≤") == "<="


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("weight>=100", ("weight", ">=", 100.0)),
        ("reps==10", ("reps", "==", 10.0)),
        ("reps=10", ("reps", "==", 10.0)),
        (" Weight >= 102.5 ", ("Weight", ">=", 102.5)),
        ("time<60", ("time", "<", 60.0)),
        ("time<=60", ("time", "<=", 60.0)),
        ("bpm>120", ("bpm", ">", 120.0)),
        ("hold seconds>=-1", ("hold seconds", ">=", -1.0)),
    ],
)
def test_parse_condition(text: str, parsed: tuple[str, str, float]) -> None:
    assert t.parse_condition(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weight", "cannot read 'weight' as a condition"),
        (">=100", "as a condition"),
        ("weight>=", "is not a number"),
        ("weight>=abc", "is not a number"),
        ("weight>=nan", "finite"),
        ("weight>=inf", "finite"),
        ("weight=>=100", "is not a number"),
        ("", "as a condition"),
    ],
)
def test_parse_condition_rejects(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        t.parse_condition(text)


# --- validation --------------------------------------------------------------------------

W = t.Condition("w", ">=", 100)


def test_validate_accepts_good_shapes() -> None:
    t.validate("threshold", [W], None, None, None)
    t.validate("sum", [W], None, date(2026, 1, 1), date(2026, 1, 31))
    t.validate("frequency", [], 3, None, None)
    t.validate("frequency", [W], 1, None, None)


@pytest.mark.parametrize(
    ("kind", "conditions", "count", "start", "end", "message"),
    [
        ("weekly", [W], None, None, None, "unknown target kind"),
        ("threshold", [], None, None, None, "needs at least one condition"),
        ("sum", [], None, None, None, "needs at least one condition"),
        ("frequency", [], None, None, None, "needs a count"),
        ("frequency", [], 0, None, None, "1 or more"),
        ("threshold", [W], 2, None, None, "only applies to frequency"),
        ("threshold", [t.Condition("w", "!", 1)], None, None, None, "unknown operator"),
        ("threshold", [t.Condition("w", ">=", math.inf)], None, None, None, "finite"),
        ("threshold", [t.Condition("w", ">=", math.nan)], None, None, None, "finite"),
        ("threshold", [W], None, date(2026, 2, 1), date(2026, 1, 1), "ends"),
    ],
)
def test_validate_rejects(
    kind: str,
    conditions: list[t.Condition],
    count: int | None,
    start: date | None,
    end: date | None,
    message: str,
) -> None:
    with pytest.raises(Invalid, match=message):
        t.validate(kind, conditions, count, start, end)


# --- grouping ----------------------------------------------------------------------------


def test_groups_are_sets_and_the_instance_values() -> None:
    p = practice(
        "i",
        "s",
        [
            ("set1", None, "w", 95),
            ("set1", None, "r", 5),
            ("set2", None, "w", 90),
            (None, None, "w", 105),
        ],
    )
    assert sorted(dict(g).get("w") for g in p.groups) == [90, 95, 105]
    assert p.totals == {"w": 95 + 90 + 105, "r": 5}


def test_splits_make_a_group_per_side_sharing_unsplit_values() -> None:
    p = practice(
        "i",
        "s",
        [("set1", "L", "grip", 40), ("set1", "R", "grip", 45), ("set1", None, "secs", 10)],
    )
    assert sorted((g["grip"], g["secs"]) for g in p.groups) == [(40, 10), (45, 10)]
    assert p.totals == {"grip": 85, "secs": 10}


def test_skipped_sets_do_not_count() -> None:
    p = practice("i", "s", [("a", None, "w", 200), ("b", None, "w", 50)], skipped=("a",))
    assert [g["w"] for g in p.groups] == [50]
    assert p.totals == {"w": 50}


# --- threshold ---------------------------------------------------------------------------


def test_threshold_met_by_flat_value_although_a_set_had_less() -> None:
    p = practice("i1", "s1", [("set1", None, "w", 95), (None, None, "w", 105)])
    ev = t.evaluate("threshold", [W], [p])
    assert ev.met and ev.instance_id == "i1" and ev.session_id == "s1"
    assert ev.conditions[0].current == 105


def test_threshold_conditions_must_hold_in_one_set() -> None:
    conds = [t.Condition("w", ">=", 100), t.Condition("r", ">=", 5)]
    apart = practice(
        "i1",
        "s1",
        [("a", None, "w", 100), ("a", None, "r", 3), ("b", None, "w", 60), ("b", None, "r", 8)],
    )
    assert not t.evaluate("threshold", conds, [apart]).met
    together = practice("i2", "s2", [("c", None, "w", 100), ("c", None, "r", 5)], minutes=10)
    ev = t.evaluate("threshold", conds, [apart, together])
    assert ev.met and ev.instance_id == "i2"


def test_threshold_missing_metric_is_not_met() -> None:
    p = practice("i1", "s1", [(None, None, "r", 12)])
    ev = t.evaluate("threshold", [W], [p])
    assert not ev.met
    assert ev.conditions[0].current is None and ev.fraction == 0


def test_threshold_first_practice_in_time_meets_it() -> None:
    late = practice("late", "s2", [(None, None, "w", 120)], minutes=30)
    early = practice("early", "s1", [(None, None, "w", 101)], minutes=5)
    ev = t.evaluate("threshold", [W], [late, early])
    assert ev.instance_id == "early" and ev.when == T0 + timedelta(minutes=5)
    assert ev.conditions[0].current == 120  # best so far


def test_threshold_best_respects_direction() -> None:
    ps = [
        practice("a", "s", [(None, None, "t", 70)]),
        practice("b", "s", [(None, None, "t", 65)], minutes=1),
    ]
    ev = t.evaluate("threshold", [t.Condition("t", "<=", 60)], ps)
    assert not ev.met and ev.conditions[0].current == 65
    assert ev.fraction == pytest.approx(60 / 65)


def test_threshold_equals_with_tolerance() -> None:
    p = practice("i", "s", [(None, None, "r", 10.0005)])
    assert t.evaluate("threshold", [t.Condition("r", "==", 10)], [p]).met


# --- sum ---------------------------------------------------------------------------------


def test_sum_of_sets_and_flat_values() -> None:
    sets = practice("i1", "s1", [("a", None, "w", 30), ("b", None, "w", 40)])
    flat1 = practice("i2", "s2", [(None, None, "w", 20)], minutes=10)
    flat2 = practice("i3", "s3", [(None, None, "w", 15)], minutes=20)
    ev = t.evaluate("sum", [W], [sets, flat1, flat2])
    assert ev.met and ev.conditions[0].current == 105
    assert ev.instance_id == "i3" and ev.session_id == "s3"  # the one that crossed the line
    assert t.summary("sum", ev, {"w": ("weight", "kg")}) == "sum 105/100 kg"


def test_sum_not_yet_met_shows_progress() -> None:
    ev = t.evaluate("sum", [W], [practice("i1", "s1", [(None, None, "w", 25)])])
    assert not ev.met and ev.fraction == pytest.approx(0.25) and ev.instance_id is None


def test_sum_respects_date_range() -> None:
    before = practice("i0", "s0", [(None, None, "w", 90)], day=date(2025, 12, 31))
    inside = practice("i1", "s1", [(None, None, "w", 20)], day=date(2026, 1, 2), minutes=1)
    after = practice("i2", "s2", [(None, None, "w", 90)], day=date(2026, 2, 1), minutes=2)
    ev = t.evaluate(
        "sum", [W], [before, inside, after], starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31)
    )
    assert not ev.met and ev.conditions[0].current == 20


def test_sum_with_no_values_is_not_met() -> None:
    ev = t.evaluate("sum", [t.Condition("w", "<=", 100)], [])
    assert not ev.met


# --- frequency ---------------------------------------------------------------------------


def test_frequency_counts_distinct_sessions() -> None:
    ps = [
        practice("a", "s1", [], minutes=1),
        practice("b", "s1", [], minutes=2),
        practice("c", "s2", [], minutes=3),
    ]
    ev = t.evaluate("frequency", [], ps, count=2)
    assert ev.met and ev.sessions == 2 and ev.session_id == "s2" and ev.instance_id == "c"
    assert t.summary("frequency", ev, {}) == "2/2 sessions"


def test_frequency_short_of_count() -> None:
    ev = t.evaluate("frequency", [], [practice("a", "s1", [])], count=3)
    assert not ev.met and ev.fraction == pytest.approx(1 / 3)
    assert t.summary("frequency", ev, {}) == "1/3 sessions"


def test_frequency_with_conditions_counts_only_sessions_that_meet_them() -> None:
    good1 = practice("a", "s1", [(None, None, "bpm", 120)], minutes=1)
    slow = practice("b", "s2", [(None, None, "bpm", 90)], minutes=2)
    good2 = practice("c", "s3", [(None, None, "bpm", 121)], minutes=3)
    cond = [t.Condition("bpm", ">=", 120)]
    assert t.evaluate("frequency", cond, [good1, slow], count=2).sessions == 1
    assert t.evaluate("frequency", cond, [good1, slow, good2], count=2).met


def test_since_ignores_earlier_practice() -> None:
    old = practice("old", "s1", [(None, None, "w", 150)], minutes=0)
    new = practice("new", "s2", [(None, None, "w", 80)], minutes=60)
    ev = t.evaluate("threshold", [W], [old, new], since=T0 + timedelta(minutes=1))
    assert not ev.met and ev.conditions[0].current == 80


# --- text --------------------------------------------------------------------------------


def test_summary_for_threshold_and_names() -> None:
    ev = t.evaluate("threshold", [W], [practice("i", "s", [(None, None, "w", 95)])])
    assert t.summary("threshold", ev, {"w": ("weight", "kg")}) == "best 95/100 kg"
    two = [t.Condition("w", ">=", 100), t.Condition("r", "==", 5)]
    ev2 = t.evaluate("threshold", two, [practice("i", "s", [(None, None, "w", 95)])])
    text = t.summary("threshold", ev2, {"w": ("weight", "kg"), "r": ("reps", "")})
    assert text == "best weight 95/100 kg, reps - (needs == 5)"


def test_default_name() -> None:
    assert t.default_name("Squat", "threshold", [("weight", ">=", 100, "kg")], None) == (
        "Squat: weight >= 100 kg"
    )
    assert (
        t.default_name("Squat", "sum", [("reps", ">=", 500, "")], None) == "Squat: sum reps >= 500"
    )
    assert t.default_name("Scales", "frequency", [], 3) == "Scales: 3 sessions"
    assert t.default_name("Scales", "frequency", [], 1) == "Scales: 1 session"
