"""`fractal progress` over a range reads the range and only what it needs from before it.

Personal bests and the overall best look at the whole history, the "vs last time" delta at
the last earlier point; the store gets them from the history without reading all of it.
The oracle: a series over [start, end) must be the series over everything up to ``end``
with the points before ``start`` left out (flags, best and delta unchanged), for every
start between the sessions, every chartable metric, mode and split.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fractal_tui.errors import Invalid
from fractal_tui.views import MetricSpec, SplitSpec

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


def day(n: int, hour: int = 18) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC) + timedelta(days=n)


# (day, {activity: instances}); an instance is a list of sets (activities with sets) or a
# dict of values (without sets). A value is a number or {split: number}.
SESSIONS: list[tuple[int, dict[str, list[Any]]]] = [
    (0, {"Scales": [{"BPM": 100, "Errors": 4}], "Squat": [[{"Weight": 60, "Reps": 5}]]}),
    (1, {"Scales": [{"Errors": 2}]}),  # no BPM: no point for BPM, one for Errors
    (
        2,
        {
            "Squat": [[{"Weight": 70, "Reps": 3}, {"Weight": 90, "Reps": 1, "status": "skipped"}]],
            "Curl": [[{"Reps": {"Left": 10, "Right": 12}, "Weight": {"Left": 8, "Right": 8}}]],
        },
    ),
    # Scales twice in one session: the later instance's cell holds (last one wins).
    (3, {"Scales": [{"BPM": 130, "Errors": 6}, {"BPM": 105, "Errors": 1}]}),
    (4, {"Scales": [{"BPM": 105}], "Squat": [[{"Weight": 65, "Reps": 5}, {"Weight": 50}]]}),
    (
        5,
        {
            "Curl": [
                [
                    {"Reps": {"Left": 12}, "Weight": {"Left": 10}},
                    {"Reps": {"Right": 9}, "Weight": {"Right": 12}},
                ]
            ]
        },
    ),
    (6, {"Scales": [{"BPM": 110, "Errors": 1}], "Squat": [[{"Reps": 12}]]}),
    (7, {"Squat": [[{"Weight": 75, "Reps": 4}], [{"Weight": 40, "Reps": 10}]]}),
    (8, {"Scales": [{"BPM": 90, "Errors": 0}], "Curl": [[{"Reps": {"Left": 12, "Right": 12}}]]}),
    (9, {"Squat": [[{"Weight": 90, "Reps": 1, "status": "skipped"}, {"Weight": 20, "Reps": 2}]]}),
    (10, {"Scales": [{"BPM": 120, "Errors": 3}], "Curl": [[{"Weight": {"Right": 14}}]]}),
    (11, {"Scales": [{"BPM": 120, "Errors": 0}], "Squat": [[{"Weight": 80, "Reps": 4}]]}),
    (12, {"Curl": [[{"Reps": {"Left": 13, "Right": 11}, "Weight": {"Left": 9}}]]}),
    (13, {"Scales": [{"BPM": 95}], "Squat": [[{"Weight": 60, "Reps": 6, "status": "planned"}]]}),
    (15, {"Scales": [{"BPM": 140, "Errors": 5}], "Curl": [[{"Reps": {"Left": 15}}]]}),
]


def build(store: Any, clock: Any) -> tuple[str, dict[str, Any], list[datetime]]:
    clock.set(NOW)
    root = store.create_fractal("Progress").id
    acts = {
        "Scales": store.add_activity(
            root,
            "Scales",
            metrics=(
                MetricSpec("BPM", "bpm", is_multiplicative=False),
                MetricSpec("Errors", "errors", is_multiplicative=False, higher_is_better=False),
            ),
        ),
        "Squat": store.add_activity(
            root,
            "Squat",
            has_sets=True,
            metrics_multiplicative=True,
            metrics=(MetricSpec("Weight", "kg"), MetricSpec("Reps", "reps")),
        ),
        "Curl": store.add_activity(
            root,
            "Curl",
            has_sets=True,
            metrics=(
                MetricSpec("Reps", "reps", is_best_set=True, is_multiplicative=False),
                MetricSpec("Weight", "kg", is_multiplicative=False),
            ),
            splits=(SplitSpec("Left"), SplitSpec("Right")),
        ),
    }
    starts = []
    for n, doing in SESSIONS:
        sid = store.start_session(root, at=day(n)).id
        for name, instances in doing.items():
            act = acts[name]
            metrics = {m.name: m.id for m in act.metrics}
            splits = {sp.name: sp.id for sp in act.splits}
            for recorded in instances:
                inst = store.add_instance(sid, act.id).id
                for spec in recorded if act.has_sets else [recorded]:
                    spec = dict(spec)
                    set_id = None
                    if act.has_sets:
                        set_id = store.add_set(inst, status=spec.pop("status", "completed")).id
                    for metric, value in spec.items():
                        cells = value if isinstance(value, dict) else {None: value}
                        for split, v in cells.items():
                            store.record_value(
                                inst,
                                metrics[metric],
                                float(v),
                                set_id=set_id,
                                split_id=splits[split] if split else None,
                            )
        store.end_session(sid, at=day(n, 19))
        starts.append(day(n))
    return root, acts, starts


def options(act: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{}]
    for m in act.metrics:
        out += [{"metric": m.name, "mode": mode} for mode in ("best", "average")]
    if act.metrics_multiplicative:
        out += [{"metric": "product", "mode": mode} for mode in ("best", "average")]
    for sp in act.splits:
        out += [{"split": sp.name, "metric": m.name} for m in act.metrics]
        out += [{"split": sp.name, "mode": "average"}]
    return out


@pytest.fixture
def history(store: Any, clock: Any) -> tuple[str, dict[str, Any], list[datetime]]:
    return build(store, clock)


@pytest.mark.parametrize("activity", ["Scales", "Squat", "Curl"])
def test_a_range_is_the_whole_history_cut_at_its_start(
    store: Any, history: tuple[str, dict[str, Any], list[datetime]], activity: str
) -> None:
    root, acts, starts = history
    us = timedelta(microseconds=1)
    cuts = sorted({c for s in starts for c in (s - us, s, s + us)})
    for opts in options(acts[activity]):
        for end in (NOW, starts[9], starts[4] + us):
            try:
                whole = store.progress_series(root, activity, end=end, **opts)
            except Invalid:
                continue  # e.g. a split asked of a metric no set holds
            for cut in [c for c in cuts if c <= end]:
                part = store.progress_series(root, activity, start=cut, end=end, **opts)
                label = (activity, opts, cut, end)
                assert part.points == tuple(p for p in whole.points if p.started_at >= cut), label
                assert part.best == whole.best, label
                assert part.delta == (whole.delta if part.points else None), label


def test_personal_bests_at_the_start_of_the_range(
    store: Any, history: tuple[str, dict[str, Any], list[datetime]]
) -> None:
    root, _, starts = history
    # BPM by session: 100, -, 105 (the second Scales of day 3 holds), 105, 110, 90, 120,
    # 120, 95, 140.
    series = store.progress_series(root, "Scales", start=starts[4], end=NOW)
    assert [(p.value, p.personal_best) for p in series.points] == [
        (105, False),  # ties the best before the range: not a new one
        (110, True),
        (90, False),
        (120, True),
        (120, False),
        (95, False),
        (140, True),
    ]
    assert series.best == 140
    # The first point of the range against the last one before it (day 3: 105).
    one = store.progress_series(root, "Scales", start=starts[4], end=starts[5])
    assert [p.value for p in one.points] == [105]
    assert one.delta is not None and one.delta.previous == 105
    # Errors: lower is better, and day 1 has a point for it (2) though not for BPM.
    errors = store.progress_series(root, "Scales", metric="Errors", start=starts[2], end=NOW)
    assert [(p.value, p.personal_best) for p in errors.points][:3] == [
        (1, True),  # day 3: the later instance's 1, better than 4 and 2 before the range
        (1, False),  # day 6 ties it (day 4 has no Errors)
        (0, True),
    ]
    assert errors.best == 0


def test_a_better_session_after_the_range_does_not_count(
    store: Any, history: tuple[str, dict[str, Any], list[datetime]]
) -> None:
    root, _, starts = history
    series = store.progress_series(root, "Scales", start=starts[6], end=starts[14])
    assert [p.value for p in series.points] == [110, 90, 120, 120, 95]
    assert series.best == 120  # 140 comes later
    assert [p.personal_best for p in series.points] == [True, False, True, False, False]


def test_the_best_before_an_empty_range_is_still_the_best(
    store: Any, history: tuple[str, dict[str, Any], list[datetime]]
) -> None:
    root, _, starts = history
    product = store.progress_series(root, "Squat", metric="product", start=starts[5], end=starts[6])
    assert product.points == () and product.delta is None
    # Best yields up to day 4: 300, 210 (the skipped 90 x 1 does not count), 325.
    assert product.best == 325
    # Weight (the first metric) of the best set by yield: 60, 70, 65.
    weight = store.progress_series(root, "Squat", start=starts[5], end=starts[6])
    assert weight.best == 70 and weight.metric_name == "Weight"
