"""The pieces the store builds an Evaluation from (``compose``, ``first_meeting``,
``frequency_first``, ``running_totals``, ``day_bounds``) give what ``evaluate`` gives over
every practice. Pure: figures are computed here the way the store's SQL computes them."""

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fractal_tui import targets as t

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
METRICS = ("w", "r")

cell = st.tuples(
    st.sampled_from([None, "s1", "s2"]),  # set
    st.sampled_from([None, "L", "R"]),  # split
    st.sampled_from(METRICS),
    st.integers(-3, 12).map(float),
)
practice = st.builds(
    lambda n, session, minutes, cells, skipped: t.practice_from_values(
        f"i{n:02d}",
        f"s{session}",
        T0 + timedelta(minutes=minutes),
        date(2026, 3, 1),
        # one value per cell, as the schema's unique index keeps it
        list({(c[0], c[1], c[2]): c for c in cells}.values()),
        skipped,
    ),
    st.integers(0, 99),
    st.integers(0, 4),
    st.sampled_from([0, 10, 10, 20]),
    st.lists(cell, max_size=6),
    st.sampled_from([(), ("s1",)]),
)
condition = st.builds(
    t.Condition, st.sampled_from(METRICS), st.sampled_from(t.OPS), st.integers(-1, 10)
)


def in_groups(practices: list[t.Practice], metric: str) -> list[float]:
    """Values of a metric in some group, in practice order (the store's ``group_values``)."""
    return [g[metric] for p in practices for g in p.groups if metric in g]


@settings(max_examples=300, deadline=None)
@given(
    practices=st.lists(practice, max_size=8, unique_by=lambda p: p.instance_id),
    kind=st.sampled_from(t.KINDS),
    conditions=st.lists(condition, max_size=2),
    count=st.integers(1, 3),
)
def test_compose_from_figures_equals_evaluate(
    practices: list[t.Practice], kind: str, conditions: list[t.Condition], count: int
) -> None:
    if kind != "frequency" and not conditions:
        conditions = [t.Condition("w", ">=", 5)]
    ordered = sorted(practices, key=lambda p: (p.when, p.instance_id))
    expected = t.evaluate(kind, conditions, practices, count=count)
    sessions = len({p.session_id for p in ordered})
    if kind == "sum":
        totals = [(t.Hit(p.instance_id, p.session_id, p.when), p.totals) for p in ordered]
        first, currents = t.running_totals(conditions, totals)
        actual = t.compose(kind, conditions, currents, sessions=sessions, first=first)
    else:
        currents = [t.best(in_groups(ordered, c.metric_id), c.op, c.value) for c in conditions]
        if kind == "threshold":
            first = t.first_meeting(conditions, iter(ordered))
        else:
            first, sessions = t.frequency_first(conditions, iter(ordered), count)
            stopped, _ = t.frequency_first(conditions, iter(ordered), count, stop=True)
            assert stopped == first
        actual = t.compose(kind, conditions, currents, sessions=sessions, first=first, count=count)
    assert actual == expected


def test_a_lazy_source_is_read_only_as_far_as_needed() -> None:
    read: list[str] = []

    def source() -> Iterator[t.Practice]:
        for n in range(5):
            read.append(f"i{n}")
            yield t.practice_from_values(f"i{n}", "s", T0, date(2026, 3, 1), [(None, None, "w", n)])

    hit = t.first_meeting([t.Condition("w", ">=", 2)], source())
    assert hit is not None and hit.instance_id == "i2" and read == ["i0", "i1", "i2"]


@pytest.fixture
def santiago(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Santiago")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("santiago")
def test_day_bounds_match_the_local_day_of_a_start() -> None:
    assert os.environ["TZ"] == "America/Santiago"
    # Clocks go from 00:00 to 01:00 on 2026-09-06: that day starts at 04:00 UTC.
    lo, hi = t.day_bounds(date(2026, 9, 6), date(2026, 9, 6))
    assert lo == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert hi == datetime(2026, 9, 7, 3, 0, tzinfo=UTC)
    for moment in (lo, hi - timedelta(microseconds=1)):
        assert t.local_day(moment) == date(2026, 9, 6)
    assert t.local_day(lo - timedelta(microseconds=1)) == date(2026, 9, 5)
    assert t.local_day(hi) == date(2026, 9, 7)
    assert t.day_bounds(None, None) == (None, None)
    assert t.day_bounds(date.min, date.max) == (None, None)
