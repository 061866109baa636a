"""Derived figures of an activity instance: set yield, best set, totals. Pure, no I/O.

Rules:

- A set counts when it is not skipped and holds at least one value. An activity without
  sets has one pseudo-set (``set_id`` None) that holds its values.
- Yield: when the activity's metrics are multiplicative, the product of the values of its
  multiplicative metrics (weight x reps); a set missing one of them has no yield.
- Splits: a Left+Right pair is one set. Volume (yields, per-metric sums) counts every side;
  a best value is the best single side, never the sum of sides.
- Best set: by the metric marked ``is_best_set`` (respecting ``higher_is_better``), ties by
  the metrics after it; else by yield (ties by the metrics in order); else by the first
  metric (ties by the next).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

SKIPPED = "skipped"


class MetricLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def is_best_set(self) -> bool: ...
    @property
    def is_multiplicative(self) -> bool: ...
    @property
    def higher_is_better(self) -> bool: ...


class SetLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...


class ValueLike(Protocol):
    @property
    def set_id(self) -> str | None: ...
    @property
    def metric_id(self) -> str: ...
    @property
    def split_id(self) -> str | None: ...
    @property
    def value(self) -> float: ...


# metric id -> split id (None without splits) -> value
Cells = dict[str, dict[str | None, float]]


@dataclass(frozen=True)
class SetFigures:
    """One set (a Left+Right pair is one set) with its values and derived numbers."""

    number: int  # 1-based position among the instance's sets; 1 for the pseudo-set
    set_id: str | None
    status: str
    values: Cells
    side_yields: dict[str | None, float] = field(default_factory=dict)

    @property
    def counted(self) -> bool:
        return self.status != SKIPPED and any(self.values.values())

    @property
    def volume(self) -> float | None:
        """The set's yield over every side; None when no side has a yield."""
        return sum(self.side_yields.values()) if self.side_yields else None

    @property
    def best_yield(self) -> float | None:
        return max(self.side_yields.values()) if self.side_yields else None

    def value(self, metric: MetricLike) -> float | None:
        """The best single side's value of a metric (the only value without splits)."""
        return best_side(self.values.get(metric.id, {}), metric.higher_is_better)


@dataclass(frozen=True)
class Totals:
    set_count: int  # counted sets; a Left+Right pair is one
    volume: float | None  # sum of yields over every side of every counted set
    sums: dict[str, float]  # metric id -> sum over every side and counted set
    bests: dict[str, float]  # metric id -> best single side over counted sets


def finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def best_side(per_split: Mapping[str | None, float], higher_is_better: bool = True) -> float | None:
    """The best single side, never the sum."""
    if not per_split:
        return None
    return max(per_split.values()) if higher_is_better else min(per_split.values())


def set_yield(
    values: Mapping[str, float], metrics: Sequence[MetricLike], multiplicative: bool
) -> float | None:
    """Product of the multiplicative metrics' values (one side); None if any is missing."""
    if not multiplicative:
        return None
    factors = [m for m in metrics if m.is_multiplicative]
    if not factors or any(m.id not in values for m in factors):
        return None
    product = 1.0
    for m in factors:
        product *= values[m.id]
    return product


def cells_by_set(values: Iterable[ValueLike]) -> dict[str | None, Cells]:
    """Values grouped as set id -> metric id -> split id -> value."""
    out: dict[str | None, Cells] = {}
    for v in values:
        out.setdefault(v.set_id, {}).setdefault(v.metric_id, {})[v.split_id] = v.value
    return out


def figures(
    metrics: Sequence[MetricLike],
    sets: Sequence[SetLike],
    values: Iterable[ValueLike],
    multiplicative: bool,
    *,
    has_sets: bool = True,
) -> list[SetFigures]:
    """Per-set figures in set order; an activity without sets gets one pseudo-set."""
    by_set = cells_by_set(values)
    if has_sets:
        rows = [(i + 1, s.id, s.status, by_set.get(s.id, {})) for i, s in enumerate(sets)]
    else:
        rows = [(1, None, "completed", by_set.get(None, {}))]
    return [
        SetFigures(
            number=n,
            set_id=set_id,
            status=status,
            values=cells,
            side_yields=_side_yields(cells, metrics, multiplicative),
        )
        for n, set_id, status, cells in rows
    ]


def _side_yields(
    cells: Cells, metrics: Sequence[MetricLike], multiplicative: bool
) -> dict[str | None, float]:
    sides = {split for per in cells.values() for split in per}
    out = {}
    for side in sides:
        one = {m: per[side] for m, per in cells.items() if side in per}
        y = set_yield(one, metrics, multiplicative)
        if y is not None:
            out[side] = y
    return out


def ranking_order(metrics: Sequence[MetricLike]) -> list[MetricLike]:
    """Metrics in the order that decides the best set: the best-set metric, then the next."""
    ordered = list(metrics)
    for i, m in enumerate(ordered):
        if m.is_best_set:
            return ordered[i:] + ordered[:i]
    return ordered


def _key(fig: SetFigures, order: Sequence[MetricLike], by_yield: bool) -> tuple[float, ...]:
    parts: list[float] = []
    if by_yield:
        parts.append(fig.best_yield if fig.best_yield is not None else -math.inf)
    for m in order:
        v = fig.value(m)
        parts.append(-math.inf if v is None else (v if m.higher_is_better else -v))
    return tuple(parts)


def best_set(
    figs: Sequence[SetFigures], metrics: Sequence[MetricLike], multiplicative: bool
) -> SetFigures | None:
    """The best counted set (earliest wins a full tie); None when nothing qualifies."""
    candidates = [f for f in figs if f.counted]
    if not candidates or not metrics:
        return None
    order = ranking_order(metrics)
    explicit = any(m.is_best_set for m in metrics)
    by_yield = not explicit and multiplicative and any(f.side_yields for f in candidates)
    if by_yield:
        candidates = [f for f in candidates if f.side_yields]
    else:
        candidates = [f for f in candidates if f.value(order[0]) is not None]
    if not candidates:
        return None
    best = candidates[0]
    for f in candidates[1:]:
        if _key(f, order, by_yield) > _key(best, order, by_yield):
            best = f
    return best


def totals(
    figs: Sequence[SetFigures], metrics: Sequence[MetricLike], multiplicative: bool
) -> Totals:
    counted = [f for f in figs if f.counted]
    sums: dict[str, float] = {}
    bests: dict[str, float] = {}
    for m in metrics:
        per_set = [f.values.get(m.id, {}) for f in counted]
        present = [per for per in per_set if per]
        if not present:
            continue
        sums[m.id] = sum(v for per in present for v in per.values())
        sides = [best_side(per, m.higher_is_better) for per in present]
        values = [v for v in sides if v is not None]
        bests[m.id] = max(values) if m.higher_is_better else min(values)
    volumes = [f.volume for f in counted if f.volume is not None]
    return Totals(
        set_count=sum(1 for f in counted if f.set_id is not None),
        volume=sum(volumes) if multiplicative and volumes else None,
        sums=sums,
        bests=bests,
    )


# --- text ------------------------------------------------------------------------------------


def number(value: float) -> str:
    """100, 2.5, 0.333: no trailing zeros."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def with_unit(value: float, unit: str) -> str:
    return f"{number(value)} {unit}".strip()


def describe_set(
    fig: SetFigures,
    metrics: Sequence[MetricLike],
    split_names: Mapping[str | None, str] | None = None,
) -> str:
    """'100 kg × 5 reps', or with splits 'Left 10 reps · Right 12 reps'."""
    order = list(split_names or {})
    sides = sorted(
        {split for per in fig.values.values() for split in per},
        key=lambda s: order.index(s) if s in order else len(order),
    )
    parts = []
    for side in sides:
        text = " × ".join(
            with_unit(fig.values[m.id][side], m.unit)
            for m in metrics
            if side in fig.values.get(m.id, {})
        )
        if side is not None and split_names:
            text = f"{split_names.get(side, '?')} {text}"
        parts.append(text)
    return " · ".join(parts)


def best_side_id(
    fig: SetFigures, metrics: Sequence[MetricLike], multiplicative: bool
) -> str | None:
    """The split whose single side ranks best in a set (None without splits)."""
    sides = {split for per in fig.values.values() for split in per}
    if len(sides) <= 1:
        return next(iter(sides), None)
    order = ranking_order(metrics)
    by_yield = not any(m.is_best_set for m in metrics) and multiplicative and bool(fig.side_yields)

    def key(side: str | None) -> tuple[float, ...]:
        parts = [fig.side_yields.get(side, -math.inf)] if by_yield else []
        for m in order:
            v = fig.values.get(m.id, {}).get(side)
            parts.append(-math.inf if v is None else (v if m.higher_is_better else -v))
        return tuple(parts)

    return max(sorted(sides, key=str), key=key)


def describe_best(
    fig: SetFigures,
    metrics: Sequence[MetricLike],
    multiplicative: bool,
    split_names: Mapping[str | None, str] | None = None,
) -> str:
    """A best set as its best single side: '12 kg × 10 reps (Left)'."""
    side = best_side_id(fig, metrics, multiplicative)
    if side is None:
        return describe_set(fig, metrics)
    one = SetFigures(
        number=fig.number,
        set_id=fig.set_id,
        status=fig.status,
        values={m: {side: per[side]} for m, per in fig.values.items() if side in per},
    )
    return f"{describe_set(one, metrics)} ({(split_names or {}).get(side, '?')})"


# --- one instance at once ------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceFigures:
    """Everything derived from one instance's sets and values."""

    figures: tuple[SetFigures, ...]
    totals: Totals
    best: SetFigures | None
    best_text: str  # the best set as its best single side, e.g. "100 kg × 5 reps"


def instance_figures(activity: Any, instance: Any) -> InstanceFigures:
    """Figures of an instance (sets, values) under its activity's definition (an ActivityView:
    metrics, splits, has_sets, metrics_multiplicative)."""
    multiplicative = activity.metrics_multiplicative
    figs = figures(
        activity.metrics, instance.sets, instance.values, multiplicative, has_sets=activity.has_sets
    )
    best = best_set(figs, activity.metrics, multiplicative)
    names = {sp.id: sp.name for sp in activity.splits}
    return InstanceFigures(
        figures=tuple(figs),
        totals=totals(figs, activity.metrics, multiplicative),
        best=best,
        best_text=describe_best(best, activity.metrics, multiplicative, names) if best else "",
    )
