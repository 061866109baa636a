""" "vs last time": an activity instance against the previous one of the same activity. Pure.

The figures of each side come from ``fractal_tui.progress`` (one place for the rules of best
set, yield and the Left/Right sides):

- An activity with sets is compared by its **best set**: each metric's value in that set (the
  best single side with splits), and the set's yield. Its **volume** (the sum of every
  counted set's yield) is compared too.
- An activity without sets is compared by its values (the best single side) and their yield.
- ``improved`` of a figure respects the metric's ``higher_is_better``; a yield or a volume is
  better when higher. Overall an instance improved when its yield did (when both sides have
  one), else when at least one metric got better and none got worse.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fractal_tui import progress
from fractal_tui.progress import MetricLike, SetLike, ValueLike
from fractal_tui.views import MetricDelta


@dataclass(frozen=True)
class Figures:
    """What one instance is compared by."""

    values: dict[str, float]  # metric id -> value (best set, best side)
    yield_: float | None
    volume: float | None
    used_best_set: bool


@dataclass(frozen=True)
class Compared:
    metrics: tuple[MetricDelta, ...]
    yield_delta: MetricDelta | None
    volume_delta: MetricDelta | None
    improved: bool | None
    used_best_set: bool


def figures_of(
    metrics: Sequence[MetricLike],
    sets: Sequence[SetLike],
    values: Iterable[ValueLike],
    *,
    has_sets: bool,
    multiplicative: bool,
) -> Figures:
    """One instance's figures: its best set's (or its own) values, yield and volume."""
    figs = progress.figures(metrics, sets, list(values), multiplicative, has_sets=has_sets)
    chosen = progress.best_set(figs, metrics, multiplicative) if has_sets else None
    if chosen is None:
        chosen = figs[0] if (not has_sets and figs) else None
    picked: dict[str, float] = {}
    if chosen is not None:
        for m in metrics:
            v = chosen.value(m)
            if v is not None:
                picked[m.id] = v
    volume = progress.totals(figs, metrics, multiplicative).volume if has_sets else None
    return Figures(
        values=picked,
        yield_=chosen.best_yield if chosen is not None else None,
        volume=volume,
        used_best_set=has_sets and chosen is not None,
    )


def delta(
    key: str,
    name: str,
    unit: str,
    previous: float | None,
    current: float | None,
    higher_is_better: bool = True,
) -> MetricDelta:
    """One figure now against before: absolute and percentage change, and whether better."""
    if previous is None or current is None:
        return MetricDelta(key, name, unit, previous, current, None, None, higher_is_better, None)
    diff = current - previous
    pct = None if previous == 0 else 100.0 * diff / abs(previous)
    better = diff > 0 if higher_is_better else diff < 0
    return MetricDelta(key, name, unit, previous, current, diff, pct, higher_is_better, better)


def _worse(d: MetricDelta) -> bool:
    return d.delta is not None and d.delta != 0 and not d.improved


def compare(
    metrics: Sequence[MetricLike],
    current: Figures,
    previous: Figures,
    *,
    multiplicative: bool,
) -> Compared:
    """Per-metric deltas, yield and volume deltas, and whether it improved overall."""
    rows = tuple(
        delta(
            m.id,
            m.name,
            m.unit,
            previous.values.get(m.id),
            current.values.get(m.id),
            m.higher_is_better,
        )
        for m in metrics
    )
    product_unit = "×".join(m.unit for m in metrics if m.is_multiplicative and m.unit)
    yield_row = (
        delta("yield", "yield", product_unit, previous.yield_, current.yield_)
        if multiplicative and (previous.yield_ is not None or current.yield_ is not None)
        else None
    )
    volume_row = (
        delta("volume", "volume", product_unit, previous.volume, current.volume)
        if multiplicative and (previous.volume is not None or current.volume is not None)
        else None
    )
    if yield_row is not None and yield_row.improved is not None:
        improved: bool | None = yield_row.improved
    else:
        known = [r for r in rows if r.improved is not None]
        improved = (
            None if not known else any(r.improved for r in known) and not any(map(_worse, known))
        )
    return Compared(
        metrics=rows,
        yield_delta=yield_row,
        volume_delta=volume_row,
        improved=improved,
        used_best_set=current.used_best_set,
    )


def describe(d: MetricDelta) -> str:
    """'weight +5 kg (+5%)', 'time -3 s (-5%)', 'reps = 5'."""
    if d.delta is None:
        return f"{d.name} -"
    if d.delta == 0:
        return f"{d.name} = {progress.with_unit(d.current or 0, d.unit)}"
    sign = "+" if d.delta > 0 else "-"
    text = f"{d.name} {sign}{progress.with_unit(abs(d.delta), d.unit)}"
    if d.pct is not None:
        text += f" ({sign}{progress.number(round(abs(d.pct), 1))}%)"
    return text
