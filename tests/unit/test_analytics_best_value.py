"""The shortcut for the usual progress chart, and roll-ups that do not depend on set order."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rule_fakes import M, S, V

from fractal_tui import analytics as a
from fractal_tui import progress


def by_the_rules(
    metrics: list[M], sets: list[S], values: list[V], has_sets: bool, multiplicative: bool
) -> tuple[float, int] | None:
    """What the store computed before the shortcut: best set, then its value of the metric."""
    figs = progress.figures(metrics, sets, values, multiplicative, has_sets=has_sets)
    counted = [f for f in figs if f.counted]
    chosen = progress.ranking_order(metrics)[0]
    best = progress.best_set(figs, metrics, multiplicative)
    value = best.value(chosen) if best is not None else None
    if value is None:
        per_set = [v for v in (f.value(chosen) for f in counted) if v is not None]
        if not per_set:
            return None
        value = max(per_set) if chosen.higher_is_better else min(per_set)
    return value, len(counted)


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[M], list[S], list[V], bool, bool]:
    has_sets = draw(st.booleans())
    # The shortcut is taken for a best-set metric, or the first metric without a yield.
    multiplicative = draw(st.booleans())
    marked = draw(st.sampled_from([0, 1] if multiplicative else [None, 0, 1]))
    metrics = [
        M(
            f"m{i}",
            f"m{i}",
            is_best_set=marked == i,
            is_multiplicative=multiplicative,
            higher_is_better=draw(st.booleans()),
        )
        for i in range(2)
    ]
    n = draw(st.integers(0, 4))
    sets = [
        S(f"s{i}", draw(st.sampled_from(["completed", "planned", "skipped"]))) for i in range(n)
    ]
    set_ids = [s.id for s in sets] if has_sets else [None]
    cells = st.tuples(
        st.sampled_from(set_ids + [None]),
        st.sampled_from([m.id for m in metrics]),
        st.sampled_from([None, "L", "R"]),
        st.integers(-3, 3).map(float),
    )
    values = [
        V(set_id, metric, value, split)
        for set_id, metric, split, value in draw(st.lists(cells, max_size=10))
    ]
    # The store lists only sets that hold values, in order.
    holding = {v.set_id for v in values}
    return metrics, [s for s in sets if s.id in holding], values, has_sets, multiplicative


@settings(max_examples=400, deadline=None)
@given(sessions())
def test_best_value_point_is_the_best_set_rule(
    case: tuple[list[M], list[S], list[V], bool, bool],
) -> None:
    metrics, sets, values, has_sets, multiplicative = case
    chosen = progress.ranking_order(metrics)[0]
    got = a.best_value_point(sets, values, chosen.id, chosen.higher_is_better, has_sets=has_sets)
    assert got == by_the_rules(metrics, sets, values, has_sets, multiplicative)


def test_best_value_point_last_equal_cell_holds() -> None:
    # An activity without sets done twice in one session: the later cell replaces the first.
    values = [V(None, "bpm", 130.0), V(None, "bpm", 105.0)]
    assert a.best_value_point([], values, "bpm", True, has_sets=False) == (105.0, 1)


def test_rollup_sums_do_not_depend_on_the_order_of_sessions() -> None:
    parents = {"root": None, "g": "root"}
    seconds = {f"s{i}": 0.1 for i in range(10)}
    links = [(s, "g") for s in seconds]
    forward = a.rollup(parents, links, seconds, "root")
    backward = a.rollup(parents, links[::-1], dict(reversed(list(seconds.items()))), "root")
    assert forward == backward
    assert forward["root"].seconds == 1.0  # fsum: 0.1 ten times, rounded once


def test_rollup_of_a_goal_without_sessions_is_int_zero() -> None:
    got = a.rollup({"root": None, "g": "root", "h": "root"}, [("s", "g")], {"s": 5.0}, "root")
    assert got["h"] == a.RolledUp(0, 0, 0, 0)
    assert isinstance(got["h"].seconds, int) and isinstance(got["root"].own_seconds, int)
    assert got["g"] == a.RolledUp(5.0, 1, 5.0, 1)


def test_interval_micros_matches_interval_seconds() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    end = start + timedelta(days=1, microseconds=2)
    assert a.interval_micros(start, end, end) == 86_400_000_002
    assert a.micros_to_seconds(86_400_000_002) == a.interval_seconds(start, end, end)
    assert a.interval_micros(start, None, start - timedelta(seconds=1)) == 0
