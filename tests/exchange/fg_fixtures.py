"""Fractal Goals databases of all three schemas, built with sqlite3, with messy rows.

- ``make_newer``: a ``sessions`` table, ``session_goals(session_id, goal_id, goal_type)`` and
  ``activity_instances.session_id``; root_id, deleted_at, updated_at and sort_order on most
  tables (but NULL on many rows).
- ``make_older``: practice sessions are ``goals`` rows with ``type = 'PracticeSession'``,
  linked through ``practice_session_goals(practice_session_id, short_term_goal_id)``; immediate
  goals are children of a session.
- ``make_oldest``: sessions in ``practice_sessions``; no root_id, deleted_at, updated_at,
  sort_order, has_splits or is_multiplicative; activities shared by every fractal.

Declared column types are deliberately odd (the importer goes by column names). Naive times:
instance timers are UTC, everything else local time. Every function returns the ids the
tests look for (upstream ids).
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

# --- ids (UUID strings, like the upstream app; a few legacy non-UUID ones) -------------------

GUITAR = "aaaaaaaa-0000-4000-8000-000000000001"  # root goal (fractal)
FITNESS = "aaaaaaaa-0000-4000-8000-000000000002"  # root goal (fractal)
SONGS = "aaaaaaaa-0000-4000-8000-000000000010"  # LongTerm, root_id NULL, updated_at NULL
BLACKBIRD = "aaaaaaaa-0000-4000-8000-000000000011"  # MidTerm
PICKING = "aaaaaaaa-0000-4000-8000-000000000012"  # ShortTerm, with targets JSON
LEGACY = "legacy-7"  # MidTerm with a non-UUID id
OLDPLAN = "aaaaaaaa-0000-4000-8000-000000000013"  # LongTerm, deleted (newer/older)
OLDCHILD = "aaaaaaaa-0000-4000-8000-000000000014"  # live child of the deleted goal
WEIRD = "aaaaaaaa-0000-4000-8000-000000000015"  # unknown type
LOST = "aaaaaaaa-0000-4000-8000-000000000016"  # parent missing, no root: skipped
STRAY = "aaaaaaaa-0000-4000-8000-000000000017"  # parent missing, root_id names GUITAR
UPSIDE = "aaaaaaaa-0000-4000-8000-000000000018"  # LongTerm under a MidTerm: level fixed
TABBED = "aaaaaaaa-0000-4000-8000-000000000019"  # name with a control character
SQUATGOAL = "aaaaaaaa-0000-4000-8000-000000000020"  # ShortTerm in FITNESS
INTRO = "aaaaaaaa-0000-4000-8000-000000000021"  # ImmediateGoal (child of a session: older)

TECH = "bbbbbbbb-0000-4000-8000-000000000001"  # activity group
SCALES = "cccccccc-0000-4000-8000-000000000001"  # sets + splits
CHORDS = "cccccccc-0000-4000-8000-000000000002"  # deleted definition (newer)
SQUAT = "cccccccc-0000-4000-8000-000000000003"  # FITNESS, weight x reps
TEMPO = "dddddddd-0000-4000-8000-000000000001"  # Scales, best set metric
ACCURACY = "dddddddd-0000-4000-8000-000000000002"  # Scales, deleted metric
WEIGHT = "dddddddd-0000-4000-8000-000000000003"
REPS = "dddddddd-0000-4000-8000-000000000004"
CHORD_COUNT = "dddddddd-0000-4000-8000-000000000005"
LEFT = "eeeeeeee-0000-4000-8000-000000000001"
RIGHT = "eeeeeeee-0000-4000-8000-000000000002"

S1 = "ffffffff-0000-4000-8000-000000000001"  # GUITAR, complete, template T1
S2 = "ffffffff-0000-4000-8000-000000000002"  # parent/root missing; placed by its links
S3 = "ffffffff-0000-4000-8000-000000000003"  # FITNESS, unfinished, running timer
S4 = "ffffffff-0000-4000-8000-000000000004"  # GUITAR, unfinished (older than S2? no: newer)
S5 = "ffffffff-0000-4000-8000-000000000005"  # no fractal at all: skipped
S6 = "ffffffff-0000-4000-8000-000000000006"  # deleted (newer)

I1 = "11111111-0000-4000-8000-000000000001"  # S1 Scales, sets with string values
I2 = "11111111-0000-4000-8000-000000000002"  # S1 Scales, stop before start
I3 = "11111111-0000-4000-8000-000000000003"  # missing session: skipped
I4 = "11111111-0000-4000-8000-000000000004"  # missing activity: skipped
I5 = "11111111-0000-4000-8000-000000000005"  # S3 Squat, open timer
I6 = "11111111-0000-4000-8000-000000000006"  # S1, of the deleted activity Chords (newer)
I7 = "11111111-0000-4000-8000-000000000007"  # S6 (deleted session) (newer)
I8 = "11111111-0000-4000-8000-000000000008"  # S2 Scales (places S2 in GUITAR)

MV1 = "22222222-0000-4000-8000-000000000001"  # I2 tempo Left = 100
MV2 = "22222222-0000-4000-8000-000000000002"  # missing metric: skipped
MV3 = "22222222-0000-4000-8000-000000000003"  # duplicate cell of MV1: skipped

T1 = "33333333-0000-4000-8000-000000000001"  # sections/activities
T2 = "33333333-0000-4000-8000-000000000002"  # sections/exercises by name
T3 = "33333333-0000-4000-8000-000000000003"  # double-encoded list of sections
T4 = "33333333-0000-4000-8000-000000000004"  # unreadable

TARGET1 = "44444444-0000-4000-8000-000000000001"
TARGET2 = "44444444-0000-4000-8000-000000000002"  # refers to a missing activity

MISSING = "99999999-0000-4000-8000-000000000000"

# Local (naive) times of the sessions; instance timers are the UTC equivalents.
DAY1 = "2025-03-01 18:00:00"
DAY1_END = "2025-03-01 19:00:00"


def _create(conn: sqlite3.Connection, table: str, columns: str) -> None:
    conn.execute(f'CREATE TABLE "{table}" ({columns})')


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    for row in rows:
        keys = [k for k in row if k in columns]
        marks = ", ".join("?" for _ in keys)
        names = ", ".join(f'"{k}"' for k in keys)
        conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [row[k] for k in keys])


def _targets() -> str:
    return json.dumps(
        [
            {
                "id": TARGET1,
                "activity_id": SCALES,
                "name": "Fast scales",
                "metrics": [
                    {"metric_id": TEMPO, "value": "140"},
                    {"metric_id": ACCURACY, "value": ""},
                ],
            },
            {"id": TARGET2, "activity_id": MISSING, "name": "Ghost", "metrics": []},
        ]
    )


def _sets_scales() -> str:
    return json.dumps(
        {
            "sets": [
                {
                    "completed": True,
                    "metrics": [
                        {"metric_id": TEMPO, "value": "120", "split_id": LEFT},
                        {"metric_id": TEMPO, "value": "110.5", "split_id": RIGHT},
                    ],
                },
                {
                    "completed": False,
                    "metrics": [
                        {"metric_id": TEMPO, "value": "", "split_id": LEFT},  # blank
                        {"metric_id": TEMPO, "value": "abc", "split_id": RIGHT},  # not a number
                    ],
                },
                {
                    "completed": True,
                    "metrics": [
                        # a deleted metric definition: kept, pointing at the deleted metric
                        {"metric_id": ACCURACY, "value": "95", "split_id": LEFT},
                        {"metric_id": MISSING, "value": "1", "split_id": LEFT},  # unknown
                    ],
                },
            ]
        }
    )


def _sets_squat() -> str:
    return json.dumps(
        {
            "sets": [
                {
                    "completed": True,
                    "metrics": [
                        {"metric_id": WEIGHT, "value": "100"},
                        {"metric_id": REPS, "value": " 5 "},
                    ],
                }
            ]
        }
    )


def _templates(with_root: bool) -> list[dict[str, Any]]:
    rows = [
        {
            "id": T1,
            "name": "Daily guitar",
            "root_id": GUITAR,
            "created_at": "2025-02-01 10:00:00",
            "template_data": json.dumps(
                {
                    "sections": [
                        {
                            "name": "Warm-up",
                            "duration_minutes": 10,
                            "activities": [{"activity_id": SCALES, "name": "Scales"}],
                        }
                    ]
                }
            ),
        },
        {
            "id": T2,
            "name": "Long guitar",
            "root_id": GUITAR,
            "created_at": "2025-02-02 10:00:00",
            "template_data": json.dumps(
                {
                    "sections": [
                        {
                            "name": "Main",
                            "duration_minutes": 30,
                            "exercises": [{"name": "scales"}, {"name": "Unknown thing"}],
                        },
                        {"name": "Cool-down", "duration_minutes": 5},
                    ]
                }
            ),
        },
        {
            "id": T3,
            "name": "Leg day",
            "root_id": FITNESS,
            "created_at": "2025-02-03 10:00:00",
            "template_data": json.dumps(
                json.dumps([{"name": "Legs", "activities": [{"activity_id": SQUAT}]}])
            ),
        },
        {
            "id": T4,
            "name": "Broken",
            "root_id": GUITAR,
            "created_at": "2025-02-04 10:00:00",
            "template_data": "{not json",
        },
    ]
    if not with_root:
        for row in rows:
            row.pop("root_id")
    return rows


def _goals(*, sessions_in_goals: bool, with_root: bool, with_deleted: bool) -> list[dict[str, Any]]:
    g = [
        {
            "id": GUITAR,
            "type": "UltimateGoal",
            "name": "Guitar",
            "parent_id": None,
            "root_id": None,
            "created_at": "2025-01-01 09:00:00",
            "updated_at": None,
        },
        {
            "id": FITNESS,
            "type": "UltimateGoal",
            "name": "Fitness",
            "parent_id": None,
            "root_id": FITNESS,
            "created_at": "2025-01-02 09:00:00",
            "updated_at": "2025-01-02 09:00:00",
        },
        {
            "id": SONGS,
            "type": "LongTermGoal",
            "name": "Play songs",
            "parent_id": GUITAR,
            "root_id": None,
            "created_at": "2025-01-01 09:01:00",
            "updated_at": None,
            "deadline": "2025-12-31 00:00:00",
            "sort_order": 1,
        },
        {
            "id": BLACKBIRD,
            "type": "MidTermGoal",
            "name": "Learn Blackbird",
            "parent_id": SONGS,
            "root_id": GUITAR,
            "created_at": "2025-01-01 09:02:00",
            "sort_order": 1,
            "completed": 1,
            "updated_at": "2025-02-01 20:00:00",
        },
        {
            "id": PICKING,
            "type": "ShortTermGoal",
            "name": "Fingerpicking",
            "parent_id": BLACKBIRD,
            "root_id": None,
            "created_at": "2025-01-01 09:03:00",
            "targets": _targets(),
        },
        {
            "id": LEGACY,
            "type": "MidTermGoal",
            "name": "Legacy goal",
            "parent_id": SONGS,
            "root_id": None,
            "created_at": "2025-01-01 09:04:00",
            "sort_order": 0,
        },
        {
            "id": WEIRD,
            "type": "WeirdGoal",
            "name": "Weird",
            "parent_id": GUITAR,
            "created_at": "2025-01-01 09:05:00",
        },
        {
            "id": LOST,
            "type": "ShortTermGoal",
            "name": "Lost",
            "parent_id": MISSING,
            "root_id": None,
            "created_at": "2025-01-01 09:06:00",
        },
        {
            "id": STRAY,
            "type": "ShortTermGoal",
            "name": "Stray",
            "parent_id": MISSING,
            "root_id": GUITAR,
            "created_at": "2025-01-01 09:07:00",
        },
        {
            "id": UPSIDE,
            "type": "LongTermGoal",
            "name": "Upside down",
            "parent_id": BLACKBIRD,
            "root_id": GUITAR,
            "created_at": "2025-01-01 09:08:00",
        },
        {
            "id": TABBED,
            "type": "ShortTermGoal",
            "name": "Tab\tbed\x07",
            "parent_id": SONGS,
            "created_at": "2025-01-01 09:09:00",
        },
        {
            "id": SQUATGOAL,
            "type": "ShortTermGoal",
            "name": "Squat 100",
            "parent_id": FITNESS,
            "root_id": None,
            "created_at": "2025-01-02 09:01:00",
        },
    ]
    if with_deleted:
        g += [
            {
                "id": OLDPLAN,
                "type": "LongTermGoal",
                "name": "Old plan",
                "parent_id": GUITAR,
                "root_id": GUITAR,
                "created_at": "2025-01-01 09:10:00",
                "deleted_at": "2025-02-10 12:00:00",
            },
            {
                "id": OLDCHILD,
                "type": "ShortTermGoal",
                "name": "Old child",
                "parent_id": OLDPLAN,
                "root_id": GUITAR,
                "created_at": "2025-01-01 09:11:00",
            },
        ]
    if sessions_in_goals:
        g += [
            {
                "id": S1,
                "type": "PracticeSession",
                "name": "Evening practice",
                "parent_id": PICKING,
                "root_id": GUITAR,
                "created_at": DAY1,
                "session_start": DAY1,
                "session_end": DAY1_END,
                "total_duration_seconds": 3600,
                "template_id": T1,
                "completed": 1,
                "attributes": json.dumps({"sections": []}),
            },
            {
                "id": S2,
                "type": "PracticeSession",
                "name": "Orphan",
                "parent_id": MISSING,
                "root_id": None,
                "created_at": "2025-03-02 18:00:00",
                "session_start": "2025-03-02 18:00:00",
                "completed": 0,
            },
            {
                "id": S3,
                "type": "PracticeSession",
                "name": "Gym",
                "parent_id": SQUATGOAL,
                "root_id": FITNESS,
                "created_at": "2025-03-03 07:00:00",
                "session_start": "2025-03-03T07:00:00",
                "completed": 0,
            },
            {
                "id": S4,
                "type": "PracticeSession",
                "name": "Latest",
                "parent_id": PICKING,
                "root_id": GUITAR,
                "created_at": "2025-03-04 18:00:00",
                "session_start": "2025-03-04 18:00:00",
                "completed": 0,
            },
            {
                "id": S5,
                "type": "PracticeSession",
                "name": "Nowhere",
                "parent_id": MISSING,
                "root_id": None,
                "created_at": "2025-03-05 18:00:00",
                "completed": 1,
                "session_start": "2025-03-05 18:00:00",
                "session_end": "2025-03-05 17:00:00",
            },
            {
                "id": INTRO,
                "type": "ImmediateGoal",
                "name": "Nail the intro",
                "parent_id": S1,
                "root_id": GUITAR,
                "created_at": DAY1,
            },
        ]
    if not with_root:
        for row in g:
            row.pop("root_id", None)
    return g


def _instances(session_column: str, *, newer: bool) -> list[dict[str, Any]]:
    rows = [
        {
            "id": I1,
            session_column: S1,
            "activity_definition_id": SCALES,
            "created_at": DAY1,
            "time_start": "2025-03-01 17:05:00",
            "time_stop": "2025-03-01 17:20:00",
            "duration_seconds": 900,
            "completed": 1,
            "data": _sets_scales(),
            "notes": "clean",
        },
        {
            "id": I2,
            session_column: S1,
            "activity_definition_id": SCALES,
            "created_at": DAY1,
            "time_start": "2025-03-01 17:40:00",
            "time_stop": "2025-03-01 17:30:00",
            "duration_seconds": 600,
            "completed": 1,
        },
        {"id": I3, session_column: MISSING, "activity_definition_id": SCALES, "created_at": DAY1},
        {"id": I4, session_column: S1, "activity_definition_id": MISSING, "created_at": DAY1},
        {
            "id": I5,
            session_column: S3,
            "activity_definition_id": SQUAT,
            "created_at": "2025-03-03 07:00:00",
            "time_start": "2025-03-03 06:05:00",
            "time_stop": None,
            "completed": 0,
            "data": _sets_squat(),
        },
        {
            "id": I8,
            session_column: S2,
            "activity_definition_id": SCALES,
            "created_at": "2025-03-02 18:00:00",
            "time_start": "2025-03-02T17:00:00Z",
            "time_stop": "2025-03-02T17:10:00Z",
        },
    ]
    if newer:
        rows += [
            {
                "id": I6,
                session_column: S1,
                "activity_definition_id": CHORDS,
                "created_at": DAY1,
                "time_start": "2025-03-01 17:45:00",
                "time_stop": "2025-03-01 17:50:00",
                "completed": 1,
            },
            {
                "id": I7,
                session_column: S6,
                "activity_definition_id": SCALES,
                "created_at": "2025-03-06 18:00:00",
                "completed": 1,
            },
        ]
    return rows


def _metric_values() -> list[dict[str, Any]]:
    return [
        {
            "id": MV1,
            "activity_instance_id": I2,
            "metric_definition_id": TEMPO,
            "split_definition_id": LEFT,
            "value": "100",
        },
        {
            "id": MV2,
            "activity_instance_id": I2,
            "metric_definition_id": MISSING,
            "split_definition_id": None,
            "value": 3,
        },
        {
            "id": MV3,
            "activity_instance_id": I2,
            "metric_definition_id": TEMPO,
            "split_definition_id": LEFT,
            "value": 101,
        },
    ]


def _activities(*, with_root: bool, newer: bool) -> list[dict[str, Any]]:
    rows = [
        {
            "id": SCALES,
            "root_id": GUITAR,
            "name": "Scales",
            "group_id": TECH,
            "has_sets": 1,
            "has_metrics": 1,
            "has_splits": 1,
            "metrics_multiplicative": 0,
            "created_at": "2025-01-01 10:00:00",
            "sort_order": 0,
        },
        {
            "id": SQUAT,
            "root_id": None if newer else FITNESS,
            "name": "Squat",
            "has_sets": "1",
            "metrics_multiplicative": 1,
            "created_at": "2025-01-02 10:00:00",
        },
    ]
    if newer:
        rows.append(
            {
                "id": CHORDS,
                "root_id": GUITAR,
                "name": "Chords",
                "has_sets": 0,
                "created_at": "2025-01-01 10:05:00",
                "deleted_at": "2025-02-20 10:00:00",
            }
        )
    if not with_root:
        for row in rows:
            row.pop("root_id")
    return rows


def _metrics(best_column: str) -> list[dict[str, Any]]:
    return [
        {
            "id": TEMPO,
            "activity_id": SCALES,
            "name": "Tempo",
            "unit": "bpm",
            best_column: 1,
            "is_multiplicative": 0,
            "created_at": "2025-01-01 10:00:00",
        },
        {
            "id": ACCURACY,
            "activity_id": SCALES,
            "name": "Accuracy",
            "unit": None,
            "created_at": "2025-01-01 10:00:01",
            "deleted_at": "2025-02-01 10:00:00",
            "is_active": 0,
        },
        {
            "id": WEIGHT,
            "activity_id": SQUAT,
            "name": "Weight",
            "unit": "kg",
            "created_at": "2025-01-02 10:00:00",
        },
        {
            "id": REPS,
            "activity_id": SQUAT,
            "name": "Reps",
            "unit": "reps",
            "created_at": "2025-01-02 10:00:01",
        },
        {
            "id": CHORD_COUNT,
            "activity_id": CHORDS,
            "name": "Chords",
            "unit": "count",
            "created_at": "2025-01-01 10:05:00",
        },
        {
            "id": "dddddddd-0000-4000-8000-00000000dead",
            "activity_id": MISSING,
            "name": "Orphan metric",
            "unit": "x",
            "created_at": "2025-01-01 10:00:00",
        },
    ]


def _splits() -> list[dict[str, Any]]:
    return [
        {
            "id": RIGHT,
            "activity_id": SCALES,
            "name": "Right",
            "order": 1,
            "created_at": "2025-01-01 10:00:00",
        },
        {
            "id": LEFT,
            "activity_id": SCALES,
            "name": "Left",
            "order": 0,
            "created_at": "2025-01-01 10:00:00",
        },
    ]


def make_newer(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    _create(
        conn,
        "goals",
        "id VARCHAR PRIMARY KEY, type VARCHAR, name VARCHAR, description, "
        "deadline DATETIME, completed BOOLEAN, completed_at DATETIME, created_at DATETIME, "
        "updated_at DATETIME, deleted_at DATETIME, parent_id VARCHAR, sort_order INTEGER, "
        "root_id VARCHAR, targets TEXT",
    )
    _create(
        conn,
        "sessions",
        "id VARCHAR PRIMARY KEY, root_id VARCHAR, name VARCHAR, "
        "description VARCHAR, session_start DATETIME, session_end DATETIME, "
        "duration_minutes INTEGER, total_duration_seconds INTEGER, template_id VARCHAR, "
        "attributes JSON, created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, "
        "completed BOOLEAN, completed_at DATETIME",
    )
    _create(
        conn,
        "session_goals",
        "session_id VARCHAR, goal_id VARCHAR, goal_type VARCHAR, created_at DATETIME",
    )
    _create(
        conn,
        "activity_groups",
        "id VARCHAR PRIMARY KEY, root_id VARCHAR, name VARCHAR, "
        "description VARCHAR, created_at DATETIME, updated_at DATETIME, "
        "deleted_at DATETIME, sort_order INTEGER",
    )
    _create(
        conn,
        "activity_definitions",
        "id VARCHAR PRIMARY KEY, root_id VARCHAR, "
        "name VARCHAR, description VARCHAR, created_at DATETIME, updated_at DATETIME, "
        "deleted_at DATETIME, sort_order INTEGER, has_sets BOOLEAN, has_metrics BOOLEAN, "
        "metrics_multiplicative BOOLEAN, has_splits BOOLEAN, group_id VARCHAR",
    )
    _create(
        conn,
        "metric_definitions",
        "id VARCHAR PRIMARY KEY, activity_id VARCHAR, "
        "root_id VARCHAR, name VARCHAR, unit VARCHAR, created_at DATETIME, "
        "updated_at DATETIME, deleted_at DATETIME, is_active BOOLEAN, "
        "is_best_set_metric BOOLEAN, is_multiplicative BOOLEAN",
    )
    _create(
        conn,
        "split_definitions",
        "id VARCHAR PRIMARY KEY, activity_id VARCHAR, "
        'root_id VARCHAR, name VARCHAR, "order" INTEGER, created_at DATETIME, '
        "deleted_at DATETIME",
    )
    _create(
        conn,
        "activity_instances",
        "id VARCHAR PRIMARY KEY, session_id VARCHAR, "
        "activity_definition_id VARCHAR, root_id VARCHAR, created_at DATETIME, "
        "updated_at DATETIME, deleted_at DATETIME, time_start DATETIME, "
        "time_stop DATETIME, duration_seconds INTEGER, completed BOOLEAN, notes TEXT, "
        "data JSON, sort_order INTEGER",
    )
    _create(
        conn,
        "metric_values",
        "id VARCHAR PRIMARY KEY, activity_instance_id VARCHAR, "
        "metric_definition_id VARCHAR, split_definition_id VARCHAR, root_id VARCHAR, "
        "value FLOAT, created_at DATETIME, updated_at DATETIME, deleted_at DATETIME",
    )
    _create(
        conn,
        "session_templates",
        "id VARCHAR PRIMARY KEY, name VARCHAR, "
        "description VARCHAR, root_id VARCHAR, created_at DATETIME, updated_at DATETIME, "
        "deleted_at DATETIME, template_data JSON",
    )
    goals = _goals(sessions_in_goals=False, with_root=True, with_deleted=True)
    goals.append(
        {
            "id": INTRO,
            "type": "ImmediateGoal",
            "name": "Nail the intro",
            "parent_id": PICKING,
            "root_id": GUITAR,
            "created_at": DAY1,
        }
    )
    _insert(conn, "goals", goals)
    _insert(
        conn,
        "sessions",
        [
            {
                "id": S1,
                "root_id": GUITAR,
                "name": "Evening practice",
                "session_start": DAY1,
                "session_end": DAY1_END,
                "total_duration_seconds": 3600,
                "template_id": T1,
                "created_at": DAY1,
                "updated_at": DAY1_END,
                "completed": 1,
                "completed_at": DAY1_END,
            },
            {
                "id": S2,
                "root_id": None,
                "name": "Orphan",
                "created_at": "2025-03-02 18:00:00",
                "session_start": "2025-03-02 18:00:00",
                "completed": 0,
            },
            {
                "id": S3,
                "root_id": FITNESS,
                "name": "Gym",
                "created_at": "2025-03-03 07:00:00",
                "session_start": "2025-03-03T07:00:00",
                "completed": 0,
            },
            {
                "id": S4,
                "root_id": GUITAR,
                "name": "Latest",
                "created_at": "2025-03-04 18:00:00",
                "session_start": "2025-03-04 18:00:00",
                "completed": 0,
                "template_id": MISSING,
            },
            {
                "id": S5,
                "root_id": None,
                "name": "Nowhere",
                "created_at": "2025-03-05 18:00:00",
                "session_start": "2025-03-05 18:00:00",
                "session_end": "2025-03-05 17:00:00",
                "completed": 1,
            },
            {
                "id": S6,
                "root_id": GUITAR,
                "name": "Deleted one",
                "created_at": "2025-03-06 18:00:00",
                "session_start": "2025-03-06 18:00:00",
                "session_end": "2025-03-06 18:30:00",
                "completed": 1,
                "deleted_at": "2025-03-07 09:00:00",
            },
        ],
    )
    _insert(
        conn,
        "session_goals",
        [
            {"session_id": S1, "goal_id": PICKING, "goal_type": "short_term"},
            {"session_id": S1, "goal_id": PICKING, "goal_type": "short_term"},  # duplicate
            {"session_id": S1, "goal_id": INTRO, "goal_type": "immediate"},
            {"session_id": S1, "goal_id": MISSING, "goal_type": "short_term"},
            {"session_id": S1, "goal_id": SQUATGOAL, "goal_type": "short_term"},  # other fractal
            {"session_id": S3, "goal_id": SQUATGOAL, "goal_type": "short_term"},
            {"session_id": S2, "goal_id": PICKING, "goal_type": "short_term"},
        ],
    )
    _insert(
        conn,
        "activity_groups",
        [{"id": TECH, "root_id": GUITAR, "name": "Technique", "created_at": "2025-01-01 10:00:00"}],
    )
    _insert(conn, "activity_definitions", _activities(with_root=True, newer=True))
    _insert(conn, "metric_definitions", _metrics("is_best_set_metric"))
    _insert(conn, "split_definitions", _splits())
    _insert(conn, "activity_instances", _instances("session_id", newer=True))
    _insert(conn, "metric_values", _metric_values())
    _insert(conn, "session_templates", _templates(with_root=True))
    conn.commit()
    conn.close()
    return {"schema": "newer"}


def make_older(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    _create(
        conn,
        "goals",
        "id PRIMARY KEY, type, name, description, deadline, completed, "
        "created_at, updated_at, deleted_at, parent_id, sort_order, root_id, "
        "duration_minutes, session_start, session_end, total_duration_seconds, "
        "template_id, attributes, session_data, targets",
    )
    _create(conn, "practice_session_goals", "practice_session_id, short_term_goal_id")
    _create(conn, "activity_groups", "id, root_id, name, description, created_at, sort_order")
    _create(
        conn,
        "activity_definitions",
        "id, root_id, name, description, created_at, "
        "has_sets, has_metrics, metrics_multiplicative, has_splits, group_id",
    )
    _create(
        conn,
        "metric_definitions",
        "id, activity_id, name, unit, created_at, deleted_at, "
        "is_active, is_top_set_metric, is_multiplicative",
    )
    _create(conn, "split_definitions", 'id, activity_id, name, "order", created_at')
    _create(
        conn,
        "activity_instances",
        "id, practice_session_id, activity_definition_id, "
        "created_at, time_start, time_stop, duration_seconds, completed, notes, data",
    )
    _create(
        conn,
        "metric_values",
        "id, activity_instance_id, metric_definition_id, split_definition_id, value",
    )
    _create(conn, "session_templates", "id, name, description, root_id, created_at, template_data")
    _insert(conn, "goals", _goals(sessions_in_goals=True, with_root=True, with_deleted=True))
    _insert(
        conn,
        "practice_session_goals",
        [
            {"practice_session_id": S1, "short_term_goal_id": PICKING},
            {"practice_session_id": S1, "short_term_goal_id": PICKING},
            {"practice_session_id": S1, "short_term_goal_id": MISSING},
            {"practice_session_id": S2, "short_term_goal_id": PICKING},
            {"practice_session_id": S3, "short_term_goal_id": SQUATGOAL},
        ],
    )
    _insert(
        conn,
        "activity_groups",
        [{"id": TECH, "root_id": GUITAR, "name": "Technique", "created_at": "2025-01-01 10:00:00"}],
    )
    _insert(conn, "activity_definitions", _activities(with_root=True, newer=False))
    _insert(conn, "metric_definitions", _metrics("is_top_set_metric"))
    _insert(conn, "split_definitions", _splits())
    _insert(conn, "activity_instances", _instances("practice_session_id", newer=False))
    _insert(conn, "metric_values", _metric_values())
    _insert(conn, "session_templates", _templates(with_root=True))
    conn.commit()
    conn.close()
    return {"schema": "older"}


def make_oldest(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    _create(
        conn,
        "goals",
        "id TEXT PRIMARY KEY, type TEXT, name TEXT, description TEXT, "
        "deadline TEXT, completed INTEGER, created_at TEXT, parent_id TEXT, targets TEXT",
    )
    _create(
        conn,
        "practice_sessions",
        "id TEXT PRIMARY KEY, name TEXT, description TEXT, "
        "completed INTEGER, created_at TEXT, root_id TEXT, session_data TEXT, "
        "duration_minutes INTEGER",
    )
    _create(
        conn,
        "practice_session_goals",
        "id TEXT, practice_session_id TEXT, short_term_goal_id TEXT, created_at TEXT",
    )
    _create(
        conn,
        "activity_definitions",
        "id TEXT PRIMARY KEY, name TEXT, description TEXT, "
        "created_at TEXT, has_sets INTEGER, has_metrics INTEGER",
    )
    _create(
        conn,
        "metric_definitions",
        "id TEXT PRIMARY KEY, activity_id TEXT, name TEXT, unit TEXT, created_at TEXT",
    )
    _create(
        conn,
        "activity_instances",
        "id TEXT PRIMARY KEY, practice_session_id TEXT, "
        "activity_definition_id TEXT, created_at TEXT, time_start TEXT, time_stop TEXT, "
        "duration_seconds INTEGER",
    )
    _create(
        conn,
        "metric_values",
        "id TEXT PRIMARY KEY, activity_instance_id TEXT, metric_definition_id TEXT, value TEXT",
    )
    _create(
        conn,
        "session_templates",
        "id TEXT PRIMARY KEY, name TEXT, description TEXT, created_at TEXT, template_data TEXT",
    )
    _insert(conn, "goals", _goals(sessions_in_goals=False, with_root=False, with_deleted=False))
    _insert(
        conn,
        "practice_sessions",
        [
            {
                "id": S1,
                "name": "Evening practice",
                "completed": 1,
                "created_at": DAY1,
                "root_id": GUITAR,
                "session_data": "{}",
                "duration_minutes": 60,
            },
            {
                "id": S2,
                "name": "Orphan",
                "completed": 0,
                "created_at": "2025-03-02 18:00:00",
                "root_id": None,
            },
            {
                "id": S3,
                "name": "Gym",
                "completed": 0,
                "created_at": "2025-03-03 07:00:00",
                "root_id": FITNESS,
            },
            {
                "id": S4,
                "name": "Latest",
                "completed": 0,
                "created_at": "2025-03-04 18:00:00",
                "root_id": GUITAR,
            },
            {
                "id": S5,
                "name": "Nowhere",
                "completed": 1,
                "created_at": "2025-03-05 18:00:00",
                "root_id": MISSING,
            },
            # Scales used in FITNESS too: the shared definition is copied into both fractals
            {
                "id": S6,
                "name": "Stretch & scales",
                "completed": 1,
                "created_at": "2025-03-06 07:00:00",
                "root_id": FITNESS,
                "duration_minutes": 15,
            },
        ],
    )
    _insert(
        conn,
        "practice_session_goals",
        [
            {"id": "1", "practice_session_id": S1, "short_term_goal_id": PICKING},
            {"id": "2", "practice_session_id": S1, "short_term_goal_id": PICKING},
            {"id": "3", "practice_session_id": S2, "short_term_goal_id": PICKING},
            {"id": "4", "practice_session_id": S3, "short_term_goal_id": SQUATGOAL},
        ],
    )
    acts = _activities(with_root=False, newer=False)
    for row in acts:
        row.pop("has_splits", None)
    _insert(conn, "activity_definitions", acts)
    _insert(conn, "metric_definitions", _metrics("is_top_set_metric"))
    instances = _instances("practice_session_id", newer=False)
    instances.append(
        {
            "id": I7,
            "practice_session_id": S6,
            "activity_definition_id": SCALES,
            "created_at": "2025-03-06 07:00:00",
            "time_start": "2025-03-06 06:00:00",
            "time_stop": "2025-03-06 06:15:00",
            "duration_seconds": 900,
        }
    )
    _insert(conn, "activity_instances", instances)
    _insert(conn, "metric_values", _metric_values())
    _insert(conn, "session_templates", _templates(with_root=False))
    conn.commit()
    conn.close()
    return {"schema": "oldest"}


MAKERS = {"newer": make_newer, "older": make_older, "oldest": make_oldest}
