"""How people name each kind of row, in messages and summaries.

A light module (no SQLAlchemy), so the store and the import summary share one table.
"""

# Model name -> (singular, plural).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "Goal": ("goal", "goals"),
    "ActivityGroup": ("group", "groups"),
    "Activity": ("activity", "activities"),
    "MetricDefinition": ("metric", "metrics"),
    "SplitDefinition": ("split", "splits"),
    "SessionTemplate": ("template", "templates"),
    "TemplateItem": ("template item", "template items"),
    "PracticeSession": ("session", "sessions"),
    "SessionGoal": ("session goal link", "session goal links"),
    "ActivityInstance": ("activity instance", "activity instances"),
    "WorkInterval": ("timer interval", "timer intervals"),
    "ActivitySet": ("set", "sets"),
    "MetricValue": ("value", "values"),
    "Target": ("target", "targets"),
    "TargetCondition": ("target condition", "target conditions"),
    "Note": ("note", "notes"),
    "Event": ("event", "events"),
}


def with_article(noun: str) -> str:
    """'a goal', 'an activity': the indefinite article for a kind name."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
