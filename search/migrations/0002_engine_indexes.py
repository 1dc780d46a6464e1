"""Engine-specific indexes of the embedded backend: FTS5 trigram on SQLite, pg_trgm on PostgreSQL."""

from django.db import migrations

TABLE = "search_plateindexentry"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE search_plate_fts USING fts5(
        folded, original_folded, content='{TABLE}', content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER search_plate_fts_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO search_plate_fts(rowid, folded, original_folded)
        VALUES (new.id, new.folded, new.original_folded); END""",
    f"""CREATE TRIGGER search_plate_fts_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO search_plate_fts(search_plate_fts, rowid, folded, original_folded)
        VALUES ('delete', old.id, old.folded, old.original_folded); END""",
    f"""CREATE TRIGGER search_plate_fts_update AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO search_plate_fts(search_plate_fts, rowid, folded, original_folded)
        VALUES ('delete', old.id, old.folded, old.original_folded);
        INSERT INTO search_plate_fts(rowid, folded, original_folded)
        VALUES (new.id, new.folded, new.original_folded); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_plate_fts_update",
    "DROP TRIGGER IF EXISTS search_plate_fts_delete",
    "DROP TRIGGER IF EXISTS search_plate_fts_insert",
    "DROP TABLE IF EXISTS search_plate_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch",
    f"CREATE INDEX search_pie_folded_trgm ON {TABLE} USING gin (folded gin_trgm_ops)",
    f"CREATE INDEX search_pie_ofolded_trgm ON {TABLE} USING gin (original_folded gin_trgm_ops)",
    # LIKE 'PREFIX%' uses a b-tree only with pattern ops under a non-C collation.
    f"CREATE INDEX search_pie_owner_folded_pat ON {TABLE} (owner_id, folded varchar_pattern_ops)",
    f"CREATE INDEX search_pie_owner_frev_pat ON {TABLE} (owner_id, folded_rev varchar_pattern_ops)",
    f"CREATE INDEX search_pie_owner_ofolded_pat ON {TABLE} (owner_id, original_folded varchar_pattern_ops)",
    f"CREATE INDEX search_pie_owner_ofrev_pat ON {TABLE} (owner_id, original_folded_rev varchar_pattern_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_pie_owner_ofrev_pat",
    "DROP INDEX IF EXISTS search_pie_owner_ofolded_pat",
    "DROP INDEX IF EXISTS search_pie_owner_frev_pat",
    "DROP INDEX IF EXISTS search_pie_owner_folded_pat",
    "DROP INDEX IF EXISTS search_pie_ofolded_trgm",
    "DROP INDEX IF EXISTS search_pie_folded_trgm",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
