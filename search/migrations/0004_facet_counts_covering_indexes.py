"""Browse and facets without scanning an account: per owner x facet value counts (filled here from the index),
and covering (owner, folded), (owner, reversed folded) and (owner, capture time) indexes."""

from django.db import migrations, models

TABLE = "search_plateindexentry"
COUNTS = "search_facetcount"
FACETS = ("camera_id", "region", "color", "review_status")
MONTH = {"sqlite": "substr(taken_at, 1, 7)", "postgresql": "to_char(taken_at AT TIME ZONE 'UTC', 'YYYY-MM')"}


def count_existing(apps, schema_editor):
    month = MONTH[schema_editor.connection.vendor]
    parts = [f"SELECT owner_id, 'total', '', count(*) FROM {TABLE} GROUP BY owner_id"]
    parts += [
        f"SELECT owner_id, '{c}', {c}, count(*) FROM {TABLE} WHERE {c} <> '' GROUP BY owner_id, {c}"
        for c in FACETS
    ]
    parts.append(f"SELECT owner_id, 'month', {month}, count(*) FROM {TABLE} GROUP BY owner_id, {month}")
    schema_editor.execute(
        f"INSERT INTO {COUNTS} (owner_id, facet, value, count) " + " UNION ALL ".join(parts)
    )


COVERED = ["taken_at", "id", "norm", "camera_id", "region", "color", "review_status"]


class Migration(migrations.Migration):
    dependencies = [("search", "0003_outbox_rebuild_marker")]

    operations = [
        migrations.CreateModel(
            name="FacetCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("owner_id", models.BigIntegerField()),
                ("facet", models.CharField(max_length=16)),
                ("value", models.CharField(max_length=100)),
                ("count", models.BigIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner_id", "facet", "value"), name="search_facetcount_key"
                    )
                ],
            },
        ),
        migrations.RemoveIndex(model_name="plateindexentry", name="search_pie_owner_folded"),
        migrations.RemoveIndex(model_name="plateindexentry", name="search_pie_owner_frev"),
        migrations.RemoveIndex(model_name="plateindexentry", name="search_pie_owner_taken"),
        migrations.AddIndex(
            model_name="plateindexentry",
            index=models.Index(fields=["owner_id", "folded", *COVERED], name="search_pie_owner_folded"),
        ),
        migrations.AddIndex(
            model_name="plateindexentry",
            index=models.Index(
                fields=["owner_id", "folded_rev", "folded", *COVERED], name="search_pie_owner_frev"
            ),
        ),
        migrations.AddIndex(
            model_name="plateindexentry",
            index=models.Index(
                fields=["owner_id", "taken_at", "id", "camera_id", "region", "color", "review_status"],
                name="search_pie_owner_taken",
            ),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
