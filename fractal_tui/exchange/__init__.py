"""Moving data in and out: JSON and CSV export, and imports from JSON exports, Fractal Goals
databases and the Watson and Timewarrior time trackers.

Every module here reads files and builds rows; only ``fractal_tui.store.exchange`` touches the
database. Importers translate their source into rows of our tables (keyed by table name, ids
kept or derived stably) and hand them to ``Store.import_rows``, which writes them in one
transaction with the built-in rules; they report what they read, skipped and fixed through
``report.ImportReport``.
"""

FORMATS = ("json", "fractal-goals", "watson", "timewarrior")
EXPORT_FORMATS = ("json", "csv")
