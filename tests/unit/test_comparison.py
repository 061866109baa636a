"""Pure "vs last time": deltas, best set, yield, volume and improvement."""

import pytest
from rule_fakes import M, S, V

from fractal_tui import comparison as c

WEIGHT = M("w", "weight", "kg")
REPS = M("r", "reps", "reps")
TIME = M("t", "time", "s", is_multiplicative=False, higher_is_better=False)


def lifts(*pairs: tuple[float, float], statuses: tuple[str, ...] = ()) -> c.Figures:
    sets = [
        S(f"s{i}", statuses[i] if i < len(statuses) else "completed") for i in range(len(pairs))
    ]
    values = []
    for i, (w, r) in enumerate(pairs):
        values += [V(f"s{i}", "w", w), V(f"s{i}", "r", r)]
    return c.figures_of([WEIGHT, REPS], sets, values, has_sets=True, multiplicative=True)


def test_delta_absolute_and_percent() -> None:
    d = c.delta("w", "weight", "kg", 100, 105)
    assert d.delta == 5 and d.pct == pytest.approx(5.0) and d.improved is True
    worse = c.delta("w", "weight", "kg", 100, 90)
    assert worse.delta == -10 and worse.pct == pytest.approx(-10.0) and worse.improved is False
    same = c.delta("w", "weight", "kg", 100, 100)
    assert same.delta == 0 and same.improved is False


def test_delta_lower_is_better() -> None:
    d = c.delta("t", "time", "s", 60, 55, higher_is_better=False)
    assert d.improved is True and d.delta == -5


def test_delta_missing_side_and_zero_previous() -> None:
    assert c.delta("w", "weight", "kg", None, 5).improved is None
    assert c.delta("w", "weight", "kg", 5, None).delta is None
    zero = c.delta("w", "weight", "kg", 0, 5)
    assert zero.delta == 5 and zero.pct is None and zero.improved is True


def test_best_set_is_compared_and_volume_too() -> None:
    before = lifts((100, 5), (100, 5))  # best 500, volume 1000
    now = lifts((90, 8), (80, 2))  # best 720, volume 880
    assert now.used_best_set and now.values == {"w": 90, "r": 8}
    result = c.compare([WEIGHT, REPS], now, before, multiplicative=True)
    w, r = result.metrics
    assert (w.previous, w.current, w.delta, w.improved) == (100, 90, -10, False)
    assert (r.previous, r.current, r.delta, r.improved) == (5, 8, 3, True)
    assert result.yield_delta is not None and result.yield_delta.delta == 220
    assert result.yield_delta.unit == "kg×reps"
    assert result.volume_delta is not None and result.volume_delta.delta == -120
    assert result.improved is True  # decided by the best set's yield


def test_skipped_sets_are_not_the_best() -> None:
    figs = lifts((200, 5), (100, 5), statuses=("skipped", "completed"))
    assert figs.values == {"w": 100, "r": 5}


def test_without_sets_values_compared_directly() -> None:
    metrics = [M("bpm", "tempo", "bpm")]
    before = c.figures_of(metrics, [], [V(None, "bpm", 100)], has_sets=False, multiplicative=False)
    now = c.figures_of(metrics, [], [V(None, "bpm", 110)], has_sets=False, multiplicative=False)
    result = c.compare(metrics, now, before, multiplicative=False)
    assert result.metrics[0].delta == 10 and result.metrics[0].pct == pytest.approx(10.0)
    assert result.yield_delta is None and result.volume_delta is None
    assert result.improved is True and not result.used_best_set


def test_improved_without_yield_needs_no_metric_worse() -> None:
    metrics = [M("bpm", "tempo", "bpm", is_multiplicative=False), TIME]
    before = c.figures_of(
        metrics, [], [V(None, "bpm", 100), V(None, "t", 60)], has_sets=False, multiplicative=False
    )
    mixed = c.figures_of(
        metrics, [], [V(None, "bpm", 110), V(None, "t", 70)], has_sets=False, multiplicative=False
    )
    both = c.figures_of(
        metrics, [], [V(None, "bpm", 110), V(None, "t", 55)], has_sets=False, multiplicative=False
    )
    assert c.compare(metrics, mixed, before, multiplicative=False).improved is False
    assert c.compare(metrics, both, before, multiplicative=False).improved is True


def test_nothing_to_compare_is_unknown() -> None:
    metrics = [WEIGHT]
    empty = c.figures_of(metrics, [], [], has_sets=False, multiplicative=False)
    result = c.compare(metrics, empty, empty, multiplicative=False)
    assert result.improved is None and result.metrics[0].delta is None


def test_splits_use_the_best_side() -> None:
    grip = [M("g", "grip", "kg")]
    before = c.figures_of(
        grip,
        [],
        [V(None, "g", 40, "L"), V(None, "g", 44, "R")],
        has_sets=False,
        multiplicative=False,
    )
    now = c.figures_of(
        grip,
        [],
        [V(None, "g", 46, "L"), V(None, "g", 45, "R")],
        has_sets=False,
        multiplicative=False,
    )
    assert c.compare(grip, now, before, multiplicative=False).metrics[0].delta == 2


def test_describe() -> None:
    assert c.describe(c.delta("w", "weight", "kg", 100, 105)) == "weight +5 kg (+5%)"
    assert c.describe(c.delta("t", "time", "s", 60, 57, False)) == "time -3 s (-5%)"
    assert c.describe(c.delta("r", "reps", "", 5, 5)) == "reps = 5"
    assert c.describe(c.delta("r", "reps", "", None, 5)) == "reps -"
