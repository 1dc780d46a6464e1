"""Embedded backend: the plate index lives in the project database (SQLite FTS5 trigram or PostgreSQL pg_trgm).

Every query is answered from indexes: b-tree on (owner, folded) for exact, confusion and prefix lookups,
b-tree on the reversed folded text for fuzzy suffixes, the trigram index for fragments and wildcards. The
candidate ids are a UNION of those lookups; one outer query filters, ranks and pages them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import islice

from django.db import connection, transaction

from search.backends.base import (
    FACET_FIELDS,
    PlateDocument,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from search.models import PlateIndexEntry
from search.text import PlateQuery, Tier, reverse

TABLE = PlateIndexEntry._meta.db_table
FTS_TABLE = "search_plate_fts"
NO_MATCH = 9
# Columns of the two searchable texts: (folded, reversed folded, normalised).
EFFECTIVE = ("folded", "folded_rev", "norm")
ORIGINAL = ("original_folded", "original_folded_rev", "original_norm")


def _prefix_upper_bound(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class _Dialect:
    """The SQL that differs between SQLite and PostgreSQL."""

    def prefix(self, column: str, prefix: str) -> tuple[str, list]:
        raise NotImplementedError

    def fragment_ids(self, columns: Sequence[str], owner_id: int, fragment: str) -> tuple[str, list]:
        raise NotImplementedError

    def wildcard_ids(self, column: str, owner_id: int, query: PlateQuery) -> tuple[str, list]:
        raise NotImplementedError

    def wildcard_test(self, column: str, query: PlateQuery) -> tuple[str, list]:
        raise NotImplementedError

    def contains(self, column: str, fragment: str) -> tuple[str, list]:
        raise NotImplementedError

    def within_one_edit(self, column: str, text: str) -> tuple[str, list]:
        raise NotImplementedError

    def month(self, column: str) -> str:
        raise NotImplementedError


def _like_pattern(query: PlateQuery) -> str:
    return query.folded.replace("?", "_").replace("*", "%")


class _SqliteDialect(_Dialect):
    def prefix(self, column, prefix):
        return f"({column} >= %s AND {column} < %s)", [prefix, _prefix_upper_bound(prefix)]

    def fragment_ids(self, columns, owner_id, fragment):
        # Trigram phrase query: rows whose folded text contains the fragment.
        return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [
            "{" + " ".join(columns) + '} : "' + fragment + '"'
        ]

    def wildcard_ids(self, column, owner_id, query):
        # The GLOB test runs on the (owner, folded) index entries: only true matches reach the table.
        prefix = query.literal_prefix
        if len(prefix) >= 2 or (prefix and len(query.longest_literal) < 3):
            cond, params = self.prefix(column, prefix)
            sql = f"SELECT id FROM {TABLE} WHERE owner_id = %s AND {cond} AND {column} GLOB %s"
            return sql, [owner_id, *params, query.folded]
        if len(query.longest_literal) >= 3:
            # FTS5 trigram answers LIKE from its index when the pattern has a 3-character literal run.
            return f"SELECT rowid FROM {FTS_TABLE} WHERE {column} LIKE %s", [_like_pattern(query)]
        return f"SELECT id FROM {TABLE} WHERE owner_id = %s AND {column} GLOB %s", [owner_id, query.folded]

    def wildcard_test(self, column, query):
        return f"{column} GLOB %s", [query.folded]

    def contains(self, column, fragment):
        return f"instr({column}, %s) > 0", [fragment]

    def within_one_edit(self, column, text):
        return f"plate_within_one_edit({column}, %s)", [text]

    def month(self, column):
        return f"substr({column}, 1, 7)"


class _PostgresDialect(_Dialect):
    def prefix(self, column, prefix):
        return f"{column} LIKE %s", [prefix + "%"]

    def fragment_ids(self, columns, owner_id, fragment):
        conds = " OR ".join(f"{c} LIKE %s" for c in columns)
        return f"SELECT id FROM {TABLE} WHERE owner_id = %s AND ({conds})", [
            owner_id,
            *["%" + fragment + "%"] * len(columns),
        ]

    def wildcard_ids(self, column, owner_id, query):
        return f"SELECT id FROM {TABLE} WHERE owner_id = %s AND {column} LIKE %s", [
            owner_id,
            _like_pattern(query),
        ]

    def wildcard_test(self, column, query):
        return f"{column} LIKE %s", [_like_pattern(query)]

    def contains(self, column, fragment):
        return f"strpos({column}, %s) > 0", [fragment]

    def within_one_edit(self, column, text):
        return f"levenshtein_less_equal({column}, %s, 1) <= 1", [text]

    def month(self, column):
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


def _entry_from(doc: PlateDocument) -> PlateIndexEntry:
    return PlateIndexEntry(
        id=doc.reading_id,
        asset_id=doc.asset_id,
        owner_id=doc.owner_id,
        request_uuid=doc.request_uuid,
        file=doc.file,
        camera_id=doc.camera_id,
        taken_at=doc.taken_at,
        created_on=doc.created_on,
        region=doc.region,
        color=doc.color,
        review_status=doc.review_status,
        box=doc.box,
        plate=doc.plate,
        norm=doc.norm,
        folded=doc.folded,
        folded_rev=reverse(doc.folded),
        original_plate=doc.original_plate,
        original_norm=doc.original_norm,
        original_folded=doc.original_folded,
        original_folded_rev=reverse(doc.original_folded),
    )


def _document_from(entry: PlateIndexEntry) -> PlateDocument:
    return PlateDocument(
        reading_id=entry.id,
        asset_id=entry.asset_id,
        owner_id=entry.owner_id,
        request_uuid=entry.request_uuid,
        file=entry.file,
        camera_id=entry.camera_id,
        taken_at=entry.taken_at,
        created_on=entry.created_on,
        region=entry.region,
        color=entry.color,
        review_status=entry.review_status,
        box=entry.box,
        plate=entry.plate,
        norm=entry.norm,
        folded=entry.folded,
        original_plate=entry.original_plate,
        original_norm=entry.original_norm,
        original_folded=entry.original_folded,
    )


class EmbeddedBackend(SearchBackend):
    name = "embedded"
    atomic_rebuild = True
    batch_size = 2000

    def __init__(self) -> None:
        vendor = connection.vendor
        if vendor == "sqlite":
            self.dialect: _Dialect = _SqliteDialect()
        elif vendor == "postgresql":
            self.dialect = _PostgresDialect()
        else:
            raise NotImplementedError(
                f"the embedded search backend supports SQLite and PostgreSQL, not {vendor}"
            )
        self.engine = vendor

    # --- writes -------------------------------------------------------------------------------------
    def _insert(self, documents: Iterable[PlateDocument]) -> int:
        count = 0
        iterator = iter(documents)
        while batch := [_entry_from(d) for d in islice(iterator, self.batch_size)]:
            PlateIndexEntry.objects.bulk_create(batch)
            count += len(batch)
        return count

    def replace_assets(self, asset_ids, documents):
        with transaction.atomic():
            PlateIndexEntry.objects.filter(asset_id__in=list(asset_ids)).delete()
            self._insert(documents)

    def rebuild(self, documents):
        # One transaction: readers see the old index until the new one is complete.
        with transaction.atomic():
            PlateIndexEntry.objects.all().delete()
            return self._insert(documents)

    def count(self):
        return PlateIndexEntry.objects.count()

    # --- search -------------------------------------------------------------------------------------
    def _candidates(
        self, query: SearchQuery, fieldsets: list[tuple[str, str, str]]
    ) -> list[tuple[str, list]]:
        """Index lookups whose UNION holds every matching reading id (and little else)."""
        q, d, owner = query.text, self.dialect, query.owner_id
        if q.is_wildcard:
            return [d.wildcard_ids(folded, owner, q) for folded, _rev, _norm in fieldsets]
        if q.is_short:
            lookups = [d.prefix(folded, q.folded) for folded, _rev, _norm in fieldsets]
            return [(f"SELECT id FROM {TABLE} WHERE owner_id = %s AND {c}", [owner, *p]) for c, p in lookups]
        # Exact and confusion-equal plates contain the query too: the trigram lookup finds them.
        candidates = [d.fragment_ids([folded for folded, _rev, _norm in fieldsets], owner, q.folded)]
        if q.allows_fuzzy:
            # One edit away: the left half survives as a prefix or the right half as a suffix.
            left, right = q.fuzzy_halves()
            for folded, rev, _norm in fieldsets:
                # Each lookup reads only its (owner, column) index: the edit distance of two reversed texts
                # is theirs, and the cheap length test spares most edit-distance calls.
                for column, part, target in (
                    (folded, left, q.folded),
                    (rev, reverse(right), reverse(q.folded)),
                ):
                    cond, params = d.prefix(column, part)
                    edit, edit_params = d.within_one_edit(column, target)
                    length = f"length({column}) BETWEEN {len(target) - 1} AND {len(target) + 1}"
                    sql = f"SELECT id FROM {TABLE} WHERE owner_id = %s AND {cond} AND {length} AND {edit}"
                    candidates.append((sql, [owner, *params, *edit_params]))
        return candidates

    def _tier(self, q: PlateQuery, folded: str, norm: str) -> tuple[str, list]:
        """SQL for the tier a row reaches through one searchable text (NO_MATCH when none)."""
        d = self.dialect
        if q.is_wildcard:
            test, params = d.wildcard_test(f"e.{folded}", q)
            return f"CASE WHEN {test} THEN {int(Tier.FRAGMENT)} ELSE {NO_MATCH} END", params
        if q.is_short:
            fragment = (f"substr(e.{folded}, 1, {len(q.folded)}) = %s", [q.folded])
        else:
            fragment = d.contains(f"e.{folded}", q.folded)
        whens = [
            (f"e.{norm} = %s", [q.norm], Tier.EXACT),
            (f"e.{folded} = %s", [q.folded], Tier.CONFUSION),
            (*fragment, Tier.FRAGMENT),
        ]
        if q.allows_fuzzy:
            whens.append((*d.within_one_edit(f"e.{folded}", q.folded), Tier.FUZZY))
        sql = " ".join(f"WHEN {cond} THEN {int(tier)}" for cond, _params, tier in whens)
        return f"CASE {sql} ELSE {NO_MATCH} END", [p for _cond, params, _tier in whens for p in params]

    def _text_sql(
        self, query: SearchQuery
    ) -> tuple[list[tuple[str, list]], tuple[str, list], tuple[str, list]]:
        """Candidate-id subqueries, the tier expression, and the 'matched the original reading' expression."""
        fieldsets = [EFFECTIVE, ORIGINAL] if query.include_original else [EFFECTIVE]
        candidates = self._candidates(query, fieldsets)
        effective = self._tier(query.text, "folded", "norm")
        if not query.include_original:
            return candidates, effective, ("0", [])
        original = self._tier(query.text, "original_folded", "original_norm")
        smallest = "min" if self.engine == "sqlite" else "least"
        return (
            candidates,
            (f"{smallest}({effective[0]}, {original[0]})", effective[1] + original[1]),
            (f"CASE WHEN {original[0]} < {effective[0]} THEN 1 ELSE 0 END", original[1] + effective[1]),
        )

    def _filters(self, query: SearchQuery) -> tuple[list[str], list]:
        # With a text query the candidate ids drive the plan; `+` keeps SQLite from scanning the owner's rows.
        owner = "+e.owner_id" if self.engine == "sqlite" and not query.text.empty else "e.owner_id"
        where, params = [f"{owner} = %s"], [query.owner_id]
        for column in ("camera_id", "region", "color", "review_status"):
            if value := getattr(query, column):
                where.append(f"e.{column} = %s")
                params.append(value)
        adapt = connection.ops.adapt_datetimefield_value
        if query.taken_from:
            where.append("e.taken_at >= %s")
            params.append(adapt(query.taken_from))
        if query.taken_to:
            where.append("e.taken_at < %s")
            params.append(adapt(query.taken_to))
        return where, params

    def _matches(
        self, query: SearchQuery, where: list[str], params: list
    ) -> tuple[list, list[tuple], int, dict]:
        """A text query in one statement: the matches are computed once, then paged, counted and faceted."""
        candidates, (tier_sql, tier_params), (orig_sql, orig_params) = self._text_sql(query)
        union = " UNION ".join(sql for sql, _p in candidates)
        union_params = [p for _sql, ps in candidates for p in ps]
        select = (
            f"SELECT id, tier, original, camera_id, region, color, review_status, taken_at FROM ("
            f"SELECT e.id AS id, {tier_sql} AS tier, {orig_sql} AS original, e.camera_id, e.region, e.color,"
            f" e.review_status, e.taken_at FROM {TABLE} e"
            f" WHERE e.id IN ({union}) AND {' AND '.join(where)}) m WHERE tier < {NO_MATCH}"
        )
        parts = [
            "SELECT 'hit' AS kind, id, tier, original, CAST(NULL AS varchar(100)) AS value, rn AS n FROM"
            " (SELECT id, tier, original, row_number() OVER (ORDER BY tier, taken_at DESC, id DESC) AS rn FROM m)"
            " ranked WHERE rn > %s AND rn <= %s",
            "SELECT 'total', NULL, NULL, NULL, NULL, count(*) FROM m",
        ]
        if query.facets:
            for column in ("camera_id", "region", "color", "review_status"):
                parts.append(
                    f"SELECT '{column}', NULL, NULL, NULL, {column}, count(*) FROM m GROUP BY {column}"
                )
            month = self.dialect.month("taken_at")
            parts.append(f"SELECT 'month', NULL, NULL, NULL, {month}, count(*) FROM m GROUP BY {month}")
        materialized = "MATERIALIZED " if self.engine == "sqlite" or connection.pg_version >= 120000 else ""
        sql = f"WITH m AS {materialized}({select}) " + " UNION ALL ".join(parts)
        page, total, facets = [], 0, {}
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    *tier_params,
                    *orig_params,
                    *union_params,
                    *params,
                    query.offset,
                    query.offset + query.limit,
                ],
            )
            for kind, reading_id, tier, original, value, number in cursor.fetchall():
                if kind == "hit":
                    page.append((number, reading_id, tier, original))
                elif kind == "total":
                    total = number
                elif value:
                    facets.setdefault(kind, Counter())[value] += number
        return [row[1:] for row in sorted(page)], total, facets

    def _browse(self, query: SearchQuery, where: list[str], params: list) -> tuple[list, int, dict]:
        """No text: newest first from the (owner, taken_at) index; counts and facets in one grouped scan."""
        condition = " AND ".join(where)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.id, NULL, 0 FROM {TABLE} e WHERE {condition}"
                " ORDER BY e.taken_at DESC, e.id DESC LIMIT %s OFFSET %s",
                [*params, query.limit, query.offset],
            )
            page = cursor.fetchall()
            if not query.facets:
                cursor.execute(f"SELECT count(*) FROM {TABLE} e WHERE {condition}", params)
                return page, cursor.fetchone()[0], {}
            month = self.dialect.month("e.taken_at")
            cursor.execute(
                f"SELECT e.camera_id, e.region, e.color, e.review_status, {month}, count(*) FROM {TABLE} e"
                f" WHERE {condition} GROUP BY e.camera_id, e.region, e.color, e.review_status, {month}",
                params,
            )
            total, facets = 0, {}
            for *values, number in cursor.fetchall():
                total += number
                for name, value in zip(FACET_FIELDS, values, strict=True):
                    if value:
                        facets.setdefault(name, Counter())[value] += number
        return page, total, facets

    def search(self, query):
        where, params = self._filters(query)
        if query.text.empty:
            page, total, counters = self._browse(query, where, params)
        else:
            page, total, counters = self._matches(query, where, params)
        facets = {
            name: sorted(counter.items(), key=lambda item: (-item[1], item[0]))
            for name, counter in counters.items()
        }
        entries = PlateIndexEntry.objects.in_bulk([row[0] for row in page])
        hits = [
            SearchHit(
                document=_document_from(entries[reading_id]),
                tier=None if tier is None else Tier(tier),
                matched_original=bool(original),
            )
            for reading_id, tier, original in page
            if reading_id in entries
        ]
        return SearchResults(total=total, hits=hits, facets=facets)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: the edit-distance test the fuzzy tier needs inside SQLite."""
    if connection.vendor == "sqlite":
        from search.text import within_one_edit

        connection.connection.create_function(
            "plate_within_one_edit", 2, lambda a, b: within_one_edit(a or "", b or ""), deterministic=True
        )
