"""Derived figures: yield, best set, totals and the Left/Right rules."""

from rule_fakes import M, S, V

from fractal_tui import progress

WEIGHT = M("w", "weight", "kg")
REPS = M("r", "reps", "reps")


def lifts(*pairs: tuple[float, float], statuses: tuple[str, ...] = ()) -> list:
    sets = [
        S(f"s{i}", statuses[i] if i < len(statuses) else "completed") for i in range(len(pairs))
    ]
    values = []
    for i, (w, r) in enumerate(pairs):
        values += [V(f"s{i}", "w", w), V(f"s{i}", "r", r)]
    return progress.figures([WEIGHT, REPS], sets, values, multiplicative=True)


def test_yield_is_the_product_of_multiplicative_metrics() -> None:
    assert progress.set_yield({"w": 100, "r": 5}, [WEIGHT, REPS], True) == 500
    assert progress.set_yield({"w": 100}, [WEIGHT, REPS], True) is None
    assert progress.set_yield({"w": 100, "r": 5}, [WEIGHT, REPS], False) is None
    rest = M("t", "rest", "s", is_multiplicative=False)
    assert progress.set_yield({"w": 10, "r": 3, "t": 60}, [WEIGHT, REPS, rest], True) == 30


def test_best_set_by_yield_when_multiplicative() -> None:
    figs = lifts((100, 5), (110, 3), (90, 8))
    best = progress.best_set(figs, [WEIGHT, REPS], True)
    assert best is not None and best.number == 3  # 720 beats 500 and 330


def test_best_set_by_the_marked_metric_with_ties_by_the_next() -> None:
    marked = M("w", "weight", "kg", is_best_set=True)
    figs = progress.figures(
        [marked, REPS],
        [S("a"), S("b"), S("c")],
        [V("a", "w", 100), V("a", "r", 5), V("b", "w", 110), V("b", "r", 2)]
        + [V("c", "w", 110), V("c", "r", 3)],
        True,
    )
    best = progress.best_set(figs, [marked, REPS], True)
    assert best is not None and best.set_id == "c"


def test_best_set_respects_lower_is_better() -> None:
    time = M("t", "time", "s", is_best_set=True, higher_is_better=False)
    figs = progress.figures([time], [S("a"), S("b")], [V("a", "t", 14.2), V("b", "t", 13.9)], False)
    best = progress.best_set(figs, [time], False)
    assert best is not None and best.set_id == "b"


def test_best_set_by_first_metric_when_not_multiplicative() -> None:
    bpm = M("b", "bpm", "bpm", is_multiplicative=False)
    figs = progress.figures([bpm], [S("a"), S("b")], [V("a", "b", 120), V("b", "b", 132)], False)
    best = progress.best_set(figs, [bpm], False)
    assert best is not None and best.set_id == "b"


def test_skipped_and_empty_sets_do_not_count() -> None:
    figs = lifts((200, 5), (100, 5), statuses=("skipped",))
    figs.append(progress.SetFigures(number=3, set_id="empty", status="planned", values={}))
    best = progress.best_set(figs, [WEIGHT, REPS], True)
    assert best is not None and best.number == 2
    total = progress.totals(figs, [WEIGHT, REPS], True)
    assert total.set_count == 1
    assert total.volume == 500


def test_totals_sum_volume_and_keep_bests() -> None:
    figs = lifts((100, 5), (110, 3))
    total = progress.totals(figs, [WEIGHT, REPS], True)
    assert total.set_count == 2
    assert total.volume == 830
    assert total.sums == {"w": 210, "r": 8}
    assert total.bests == {"w": 110, "r": 5}


def test_left_right_pair_is_one_set_volume_counts_both_best_is_one_side() -> None:
    curl_w = M("w", "weight", "kg")
    curl_r = M("r", "reps", "reps")
    values = [
        V("s1", "w", 12, "L"),
        V("s1", "r", 10, "L"),
        V("s1", "w", 12, "R"),
        V("s1", "r", 8, "R"),
    ]
    figs = progress.figures([curl_w, curl_r], [S("s1")], values, True)
    total = progress.totals(figs, [curl_w, curl_r], True)
    assert total.set_count == 1
    assert total.volume == 12 * 10 + 12 * 8
    assert total.sums["r"] == 18
    assert total.bests["r"] == 10  # the best single side, not 18
    best = progress.best_set(figs, [curl_w, curl_r], True)
    assert best is not None and best.best_yield == 120
    text = progress.describe_set(best, [curl_w, curl_r], {"L": "Left", "R": "Right"})
    assert text == "Left 12 kg × 10 reps · Right 12 kg × 8 reps"
    names = {"L": "Left", "R": "Right"}
    assert progress.describe_best(best, [curl_w, curl_r], True, names) == "12 kg × 10 reps (Left)"


def test_activity_without_sets_has_one_pseudo_set() -> None:
    bpm = M("b", "bpm", "bpm", is_multiplicative=False)
    figs = progress.figures([bpm], [], [V(None, "b", 96)], False, has_sets=False)
    assert len(figs) == 1 and figs[0].set_id is None
    total = progress.totals(figs, [bpm], False)
    assert total.set_count == 0 and total.bests == {"b": 96} and total.volume is None
    assert progress.describe_set(figs[0], [bpm]) == "96 bpm"


def test_no_values_no_best() -> None:
    assert progress.best_set([], [WEIGHT], True) is None
    assert progress.totals([], [WEIGHT], True) == progress.Totals(0, None, {}, {})


def test_numbers_print_without_trailing_zeros() -> None:
    assert progress.number(100.0) == "100"
    assert progress.number(2.5) == "2.5"
    assert progress.with_unit(1 / 3, "kg") == "0.333 kg"
    assert not progress.finite(float("nan")) and progress.finite(3)


def test_instance_figures_bundle_totals_and_the_best_side() -> None:
    from types import SimpleNamespace

    activity = SimpleNamespace(
        metrics=[WEIGHT, REPS],
        splits=[SimpleNamespace(id="L", name="Left"), SimpleNamespace(id="R", name="Right")],
        has_sets=True,
        metrics_multiplicative=True,
    )
    instance = SimpleNamespace(
        sets=[S("s1")],
        values=[V("s1", "w", 10, "L"), V("s1", "r", 8, "L"), V("s1", "w", 10, "R")]
        + [V("s1", "r", 9, "R")],
    )
    figures = progress.instance_figures(activity, instance)
    assert figures.totals.set_count == 1 and figures.totals.volume == 170
    assert figures.best_text == "10 kg × 9 reps (Right)"
