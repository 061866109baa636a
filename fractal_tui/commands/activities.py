"""The activity library: add-group, groups, edit-group, add-activity, activities, edit-activity.

Activities and groups resolve within the current fractal by id, id prefix (4+ characters) or
name (case-insensitive); an ambiguous name is an error listing the candidates. Metrics are
written ``NAME:UNIT[:best][:additive][:lower]``:

- ``best``: this metric picks the best set (at most one per activity);
- ``additive``: left out of the product metric (by default a metric takes part in it);
- ``lower``: lower is better (e.g. a time or an RPE); by default higher is better.
"""

from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, local, pass_app
from fractal_tui.errors import Invalid, NotFound
from fractal_tui.views import MetricSpec, SplitSpec, jsonable

__all__ = [
    "activities",
    "add_activity",
    "add_group",
    "edit_activity",
    "edit_group",
    "groups",
    "parse_metric",
]

METRIC_FLAGS = ("best", "additive", "lower")
METRIC_FORMAT = "NAME:UNIT[:best][:additive][:lower]"


def _short(row_id: str) -> str:
    return row_id[:8]


def parse_metric(text: str) -> MetricSpec:
    """``weight:kg:best`` -> MetricSpec; a missing unit or an unknown flag is Invalid."""
    parts = [p.strip() for p in (text or "").split(":")]
    if not parts[0]:
        raise Invalid(f"--metric {text!r} needs a name: write {METRIC_FORMAT}, e.g. weight:kg")
    if len(parts) < 2 or not parts[1]:
        raise Invalid(
            f"--metric {text!r} needs a unit: write {METRIC_FORMAT}, e.g. {parts[0]}:kg "
            f"or {parts[0]}:count"
        )
    flags = [f.lower() for f in parts[2:]]
    unknown = [f for f in flags if f not in METRIC_FLAGS]
    if unknown:
        raise Invalid(
            f"--metric {text!r}: unknown flag {unknown[0]!r}; flags are {', '.join(METRIC_FLAGS)}"
        )
    return MetricSpec(
        name=parts[0],
        unit=parts[1],
        is_best_set="best" in flags,
        is_multiplicative="additive" not in flags,
        higher_is_better="lower" not in flags,
    )


def _parse_rename(text: str, option: str) -> tuple[str, str]:
    old, sep, new = (text or "").partition("=")
    if not sep or not old.strip():
        raise Invalid(f"{option} {text!r}: write OLD=NEW, e.g. {option} rpe=effort")
    return old.strip(), new.strip()


def describe_metric(m: Any) -> str:
    flags = []
    if m.is_best_set:
        flags.append("best")
    if not m.higher_is_better:
        flags.append("lower is better")
    text = f"{m.name} [{m.unit}]"
    return f"{text} ({', '.join(flags)})" if flags else text


def describe_activity(a: Any) -> str:
    """One line about an activity's definition: metrics, product, splits, sets."""
    parts = []
    if a.metrics:
        parts.append("metrics: " + ", ".join(describe_metric(m) for m in a.metrics))
    else:
        parts.append("no metrics")
    product = [m.name for m in a.metrics if m.is_multiplicative]
    if a.metrics_multiplicative and len(product) >= 2:
        parts.append("product: " + " x ".join(product))
    if a.splits:
        parts.append("splits: " + "/".join(sp.name for sp in a.splits))
    if a.has_sets:
        parts.append("sets")
    return "; ".join(parts)


def _usage(a: Any) -> str:
    if not a.times_done:
        return "never done"
    times = "once" if a.times_done == 1 else f"{a.times_done} times"
    return f"done {times}, last {local(a.last_done)}"


def _group_for(app: Any, root_id: str, ref: str) -> tuple[str | None, str | None]:
    """(group_id, None) for an existing group, or (None, name) for one to create."""
    try:
        return app.store.resolve_group(root_id, ref).id, None
    except NotFound:
        return None, ref


def _payload(view: Any, **extra: Any) -> dict[str, Any]:
    out = jsonable(view)
    out.update(extra)
    return out


# --- groups --------------------------------------------------------------------------------


@click.command("add-group")
@click.argument("name")
@click.option("--description", default="", help="What the group holds.")
@click.option(
    "--if-missing",
    is_flag=True,
    help="Succeed without change when a group of that name (any case) exists.",
)
@json_option
@pass_app
def add_group(app: Any, name: str, description: str, if_missing: bool, as_json: bool) -> None:
    """Create an activity group called NAME (last in the group order).

    \b
    Example:
      fractal add-group Technique --description "scales, arpeggios, etudes"
      fractal add-group Repertoire --if-missing --json
    """
    root = app.fractal()
    if if_missing:
        existing = [g for g in app.store.groups(root.id) if g.name.lower() == name.strip().lower()]
        if existing:
            g = existing[0]
            emit(
                as_json,
                _payload(g, created=False),
                f"Group {g.name!r} exists already (id {_short(g.id)}); nothing changed",
            )
            return
    group = app.store.add_group(root.id, name, description=description)
    emit(
        as_json,
        _payload(group, created=True),
        f"Added group {group.name!r} (id {_short(group.id)})",
    )


@click.command("groups")
@json_option
@pass_app
def groups(app: Any, as_json: bool) -> None:
    """List the fractal's activity groups in order, with how many activities each holds.

    \b
    Example:
      fractal groups
      fractal groups --json
    """
    rows = app.store.groups(app.fractal().id)
    if as_json:
        emit(True, rows, "")
        return
    if not rows:
        click.echo("No groups yet; add one with: fractal add-group NAME")
        return
    width = max(len(g.name) for g in rows)
    for index, g in enumerate(rows, start=1):
        n = g.activity_count
        count = f"{n} {'activity' if n == 1 else 'activities'}"
        click.echo(f"{index:>2}. {g.name:<{width}}  {count:<14}  id {_short(g.id)}")


@click.command("edit-group")
@click.argument("group")
@click.option("--name", help="New name.")
@click.option("--description", help="New description.")
@click.option("--up", "up", is_flag=True, help="Move the group one place up.")
@click.option("--down", "down", is_flag=True, help="Move the group one place down.")
@json_option
@pass_app
def edit_group(
    app: Any,
    group: str,
    name: str | None,
    description: str | None,
    up: bool,
    down: bool,
    as_json: bool,
) -> None:
    """Rename, describe or reorder GROUP (its name, id or id prefix).

    Delete a group with `fractal delete group GROUP`: its activities stay, ungrouped.

    \b
    Example:
      fractal edit-group Tech --name Technique
      fractal edit-group Repertoire --up
    """
    if up and down:
        raise click.UsageError("give --up or --down, not both")
    if name is None and description is None and not up and not down:
        raise click.UsageError("nothing to change: give --name, --description, --up or --down")
    root = app.fractal()
    current = app.store.resolve_group(root.id, group)
    if name is not None or description is not None:
        app.store.update_group(current.id, name=name, description=description)
    moved = ""
    if up or down:
        if app.store.shift_group(current.id, -1 if up else 1):
            moved = " and moved it " + ("up" if up else "down")
        else:
            moved = f" (already {'first' if up else 'last'})"
    after = app.store.get_group(current.id)
    emit(as_json, after, f"Updated group {after.name!r} (id {_short(after.id)}){moved}")


# --- activities ----------------------------------------------------------------------------


@click.command("add-activity")
@click.argument("name")
@click.option(
    "--group",
    "group_ref",
    metavar="GROUP",
    help="Put it in this group (created when no group has that name).",
)
@click.option("--description", default="", help="What the activity is.")
@click.option(
    "--metric",
    "metric_texts",
    multiple=True,
    metavar="SPEC",
    help=f"A metric, {METRIC_FORMAT}; up to 3.",
)
@click.option(
    "--split",
    "split_names",
    multiple=True,
    metavar="NAME",
    help="A split such as Left or Right; none, or 2 to 5, in order.",
)
@click.option("--sets", "has_sets", is_flag=True, help="It is done in sets.")
@click.option(
    "--product",
    is_flag=True,
    help="Offer the product of the metrics (e.g. weight x reps); `additive` ones stay out.",
)
@click.option(
    "--if-missing",
    is_flag=True,
    help="Succeed without change when an activity of that name (any case) exists.",
)
@json_option
@pass_app
def add_activity(
    app: Any,
    name: str,
    group_ref: str | None,
    description: str,
    metric_texts: tuple[str, ...],
    split_names: tuple[str, ...],
    has_sets: bool,
    product: bool,
    if_missing: bool,
    as_json: bool,
) -> None:
    """Define an activity called NAME, with up to 3 metrics and 0 or 2-5 splits.

    A metric is NAME:UNIT, optionally followed by :best (picks the best set), :additive
    (left out of the --product) and :lower (lower is better). --json prints the activity with
    the ids of its metrics and splits.

    \b
    Example:
      fractal add-activity "Back squat" --group Legs --sets --product \\
          --metric weight:kg:best --metric reps:count
      fractal add-activity Lunge --metric reps:count --split Left --split Right
      fractal add-activity Scales --metric tempo:bpm:best --if-missing --json
    """
    metrics = [parse_metric(t) for t in metric_texts]
    splits = [SplitSpec(n) for n in split_names]
    root = app.fractal()
    if if_missing:
        wanted = name.strip().lower()
        existing = [
            a for a in app.store.activities(root.id, query=wanted) if a.name.lower() == wanted
        ]
        if wanted and existing:
            a = existing[0]
            emit(
                as_json,
                _payload(a, created=False, group_created=False),
                f"Activity {a.name!r} exists already (id {_short(a.id)}); nothing changed",
            )
            return
    group_id = group_name = None
    if group_ref is not None:
        group_id, group_name = _group_for(app, root.id, group_ref)
    activity = app.store.add_activity(
        root.id,
        name,
        group_id=group_id,
        group_name=group_name,
        description=description,
        has_sets=has_sets,
        metrics_multiplicative=product,
        metrics=metrics,
        splits=splits,
    )
    where = ""
    if activity.group_name:
        where = f" in {'new ' if group_name else ''}group {activity.group_name!r}"
    emit(
        as_json,
        _payload(activity, created=True, group_created=group_name is not None),
        f"Added activity {activity.name!r}{where} (id {_short(activity.id)}); "
        f"{describe_activity(activity)}",
    )


@click.command("activities")
@click.option("--group", "group_ref", metavar="GROUP", help="Only the activities of this group.")
@click.option("--search", "query", metavar="TEXT", help="Only names containing TEXT.")
@json_option
@pass_app
def activities(app: Any, group_ref: str | None, query: str | None, as_json: bool) -> None:
    """List activities by group (in order; ungrouped last) with metrics, splits and use.

    \b
    Example:
      fractal activities
      fractal activities --group Technique --json
      fractal activities --search squat
    """
    root = app.fractal()
    rows = app.store.activities(root.id, query=query)
    if group_ref is not None:
        group = app.store.resolve_group(root.id, group_ref)
        rows = [a for a in rows if a.group_id == group.id]
    if as_json:
        emit(True, rows, "")
        return
    if not rows:
        if query or group_ref:
            click.echo("No activity matches.")
        else:
            click.echo("No activities yet; add one with: fractal add-activity NAME")
        return
    width = min(30, max(len(a.name) for a in rows))
    heading: object = object()
    for a in rows:
        if a.group_id != heading:
            heading = a.group_id
            click.echo(a.group_name if a.group_id else "(no group)")
        click.echo(
            f"  {a.name:<{width}}  {describe_activity(a)}  ·  {_usage(a)}  ·  id {_short(a.id)}"
        )


def _renames(texts: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in texts:
        old, new = _parse_rename(text, option)
        out[old.lower()] = new
    return out


def _metric_list(
    current: Any, texts: tuple[str, ...], clear: bool, renames: dict[str, str]
) -> list[MetricSpec] | None:
    """The new metric list: --metric replaces it (matching by name), renames keep ids."""
    if clear and texts:
        raise click.UsageError("give --metric or --no-metrics, not both")
    _check_rename_sources(current, current.metrics, renames, "metric")
    if not texts and not clear and not renames:
        return None
    if clear:
        return []
    by_name = {renames.get(m.name.lower(), m.name).lower(): m for m in current.metrics}
    if not texts:
        return [
            MetricSpec(
                name=renames.get(m.name.lower(), m.name),
                unit=m.unit,
                is_best_set=m.is_best_set,
                is_multiplicative=m.is_multiplicative,
                higher_is_better=m.higher_is_better,
                id=m.id,
            )
            for m in current.metrics
        ]
    specs = []
    for text in texts:
        spec = parse_metric(text)
        match = by_name.get(spec.name.lower())
        specs.append(
            MetricSpec(
                name=spec.name,
                unit=spec.unit,
                is_best_set=spec.is_best_set,
                is_multiplicative=spec.is_multiplicative,
                higher_is_better=spec.higher_is_better,
                id=match.id if match else None,
            )
        )
    return specs


def _split_list(
    current: Any, names: tuple[str, ...], clear: bool, renames: dict[str, str]
) -> list[SplitSpec] | None:
    if clear and names:
        raise click.UsageError("give --split or --no-splits, not both")
    _check_rename_sources(current, current.splits, renames, "split")
    if not names and not clear and not renames:
        return None
    if clear:
        return []
    by_name = {renames.get(sp.name.lower(), sp.name).lower(): sp for sp in current.splits}
    if not names:
        return [
            SplitSpec(name=renames.get(sp.name.lower(), sp.name), id=sp.id) for sp in current.splits
        ]
    out = []
    for name in names:
        match = by_name.get(name.strip().lower())
        out.append(SplitSpec(name=name, id=match.id if match else None))
    return out


def _check_rename_sources(activity: Any, rows: Any, renames: dict[str, str], what: str) -> None:
    names = {r.name.lower() for r in rows}
    for old in renames:
        if old not in names:
            have = ", ".join(r.name for r in rows) or "none"
            raise Invalid(f"{activity.name!r} has no {what} called {old!r}; it has: {have}")


def _changes(before: Any, after: Any) -> list[str]:
    """What an edit did to the group, metrics and splits, for the human line."""
    notes = []
    if before.group_id != after.group_id:
        notes.append(f"moved to group {after.group_name!r}" if after.group_id else "ungrouped")
    for what, old_rows, new_rows in (
        ("metric", before.metrics, after.metrics),
        ("split", before.splits, after.splits),
    ):
        new_by_id = {r.id: r for r in new_rows}
        old_ids = {r.id for r in old_rows}
        for r in old_rows:
            if r.id not in new_by_id:
                kept = " (its recorded values are kept)" if what == "metric" else ""
                notes.append(f"removed {what} {r.name!r}{kept}")
            elif new_by_id[r.id].name != r.name:
                notes.append(f"renamed {what} {r.name!r} to {new_by_id[r.id].name!r}")
        notes.extend(f"added {what} {r.name!r}" for r in new_rows if r.id not in old_ids)
    return notes


@click.command("edit-activity")
@click.argument("activity")
@click.option("--name", help="New name.")
@click.option("--group", "group_ref", metavar="GROUP", help="Move to this group (created if new).")
@click.option("--no-group", is_flag=True, help="Take it out of its group.")
@click.option("--description", help="New description.")
@click.option("--sets/--no-sets", "has_sets", default=None, help="Done in sets or not.")
@click.option("--product/--no-product", default=None, help="Offer the product metric or not.")
@click.option(
    "--metric",
    "metric_texts",
    multiple=True,
    metavar="SPEC",
    help=f"The new metric list, {METRIC_FORMAT}; existing metrics are matched by name.",
)
@click.option("--no-metrics", is_flag=True, help="Remove every metric (values are kept).")
@click.option(
    "--rename-metric", "metric_renames", multiple=True, metavar="OLD=NEW", help="Rename a metric."
)
@click.option(
    "--split",
    "split_names",
    multiple=True,
    metavar="NAME",
    help="The new split list (2 to 5); existing splits are matched by name.",
)
@click.option("--no-splits", is_flag=True, help="Remove the splits.")
@click.option(
    "--rename-split", "split_renames", multiple=True, metavar="OLD=NEW", help="Rename a split."
)
@click.option("--up", "up", is_flag=True, help="Move one place up within its group.")
@click.option("--down", "down", is_flag=True, help="Move one place down within its group.")
@json_option
@pass_app
def edit_activity(
    app: Any,
    activity: str,
    name: str | None,
    group_ref: str | None,
    no_group: bool,
    description: str | None,
    has_sets: bool | None,
    product: bool | None,
    metric_texts: tuple[str, ...],
    no_metrics: bool,
    metric_renames: tuple[str, ...],
    split_names: tuple[str, ...],
    no_splits: bool,
    split_renames: tuple[str, ...],
    up: bool,
    down: bool,
    as_json: bool,
) -> None:
    """Change ACTIVITY (its name, id or id prefix): name, group, flags, metrics, splits, order.

    --metric and --split give the whole new list; metrics and splits are matched to the
    existing ones by name, so their recorded values stay with them. Use --rename-metric
    OLD=NEW to rename one and keep its values. A metric left out is removed from the
    activity, but the values recorded for it are kept.

    \b
    Example:
      fractal edit-activity "Back squat" --name Squat --group Legs
      fractal edit-activity Squat --metric weight:kg:best --metric reps:count \\
          --metric rpe:1-10:additive:lower
      fractal edit-activity Squat --rename-metric weight=load --up
      fractal edit-activity Lunge --no-splits --no-sets
    """
    if up and down:
        raise click.UsageError("give --up or --down, not both")
    if group_ref is not None and no_group:
        raise click.UsageError("give --group or --no-group, not both")
    root = app.fractal()
    current = app.store.resolve_activity(root.id, activity)
    metrics = _metric_list(
        current, metric_texts, no_metrics, _renames(metric_renames, "--rename-metric")
    )
    splits = _split_list(current, split_names, no_splits, _renames(split_renames, "--rename-split"))
    changes: dict[str, Any] = {}
    group_created = False
    if group_ref is not None:
        group_id, group_name = _group_for(app, root.id, group_ref)
        if group_id is not None:
            changes["group_id"] = group_id
        else:
            changes["group_name"] = group_name
            group_created = True
    if no_group:
        changes["group_id"] = None
    for key, value in (
        ("name", name),
        ("description", description),
        ("has_sets", has_sets),
        ("metrics_multiplicative", product),
        ("metrics", metrics),
        ("splits", splits),
    ):
        if value is not None:
            changes[key] = value
    if not changes and not up and not down:
        raise click.UsageError("nothing to change; see `fractal edit-activity --help`")
    after = app.store.update_activity(current.id, **changes) if changes else current
    notes = _changes(current, after)
    if group_created:
        notes.append(f"created group {after.group_name!r}")
    if up or down:
        if app.store.shift_activity(current.id, -1 if up else 1):
            notes.append("moved " + ("up" if up else "down"))
        else:
            notes.append(f"already {'first' if up else 'last'} in its group")
        after = app.store.get_activity(current.id)
    extra = f"; {'; '.join(notes)}" if notes else ""
    emit(
        as_json,
        _payload(after, group_created=group_created),
        f"Updated activity {after.name!r} (id {_short(after.id)}){extra}",
    )
