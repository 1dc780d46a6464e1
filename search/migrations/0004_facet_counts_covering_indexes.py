"""Browse, short prefixes and facets without scanning an account: counts per owner x plate prefix x facet value
(filled here from the index), and covering (owner, folded), (owner, reversed folded) and (owner, time) indexes."""

from django.db import migrations, models

TABLE = "search_plateindexentry"
COUNTS = "search_facetcount"
FACETS = ("camera_id", "region", "color", "review_status")
MONTH = {"sqlite": "substr(taken_at, 1, 7)", "postgresql": "to_char(taken_at AT TIME ZONE 'UTC', 'YYYY-MM')"}


def count_existing(apps, schema_editor):
    facets = [*((c, c) for c in FACETS), ("month", MONTH[schema_editor.connection.vendor])]
    parts = []
    for prefix, grouped in (("''", ""), ("substr(folded, 1, 2)", ", substr(folded, 1, 2)")):
        parts.append(
            f"SELECT owner_id, {prefix}, 'total', '', count(*) FROM {TABLE} GROUP BY owner_id{grouped}"
        )
        parts += [
            f"SELECT owner_id, {prefix}, '{facet}', {value}, count(*) FROM {TABLE} WHERE {value} <> ''"
            f" GROUP BY owner_id{grouped}, {value}"
            for facet, value in facets
        ]
    schema_editor.execute(
        f"INSERT INTO {COUNTS} (owner_id, prefix, facet, value, count) " + " UNION ALL ".join(parts)
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
                ("prefix", models.CharField(blank=True, max_length=2)),
                ("facet", models.CharField(max_length=16)),
                ("value", models.CharField(max_length=100)),
                ("count", models.BigIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner_id", "prefix", "facet", "value"), name="search_facetcount_key"
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
                fields=[
                    "owner_id",
                    "taken_at",
                    "id",
                    "folded",
                    "camera_id",
                    "region",
                    "color",
                    "review_status",
                ],
                name="search_pie_owner_taken",
            ),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
