"""Embedded backend: the plate index lives in the project database (SQLite FTS5 trigram or PostgreSQL pg_trgm).

A text query is a few index lookups, each returning at most `count_limit + 1` matching readings, newest first,
with the filters applied: b-tree ranges on (owner, folded plate) for exact, confusion, prefix and fuzzy
matches, on the reversed folded plate for suffixes and fuzzy matches, the trigram index for fragments and
wildcards with only a middle literal. One statement ranks their union, pages it, counts it (exactly up to the
limit) and facets it.
A query without text pages by walking the (owner, capture time) index (from an offset or a keyset). Without
filters, the total and facets of a query without text or of a 1-2 character prefix are the counts kept per
owner, plate prefix and facet value (FacetCount), so neither scans an account."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import NamedTuple

from django.db import DatabaseError, connection, transaction

from search.backends.base import (
    FACET_FIELDS,
    PlateDocument,
    SearchBackend,
    SearchBackendError,
    SearchHit,
    SearchIndexCorrupt,
    SearchQuery,
    SearchResults,
)
from search.models import FacetCount, PlateIndexEntry
from search.text import PlateQuery, Tier, reverse

log = logging.getLogger(__name__)

TABLE = PlateIndexEntry._meta.db_table
COUNTS = FacetCount._meta.db_table
FTS_TABLE = "search_plate_fts"
TIME_INDEX = "search_pie_owner_taken"
PREFIX = f"substr(folded, 1, {FacetCount.PREFIX_LENGTH})"  # the plate prefix FacetCount rows are kept for
# Above this many matches, a short prefix's page is found by walking the (owner, time) index (dense matches
# are found within a few thousand entries); below it, by sorting its range of the (owner, folded) index.
WALK_ABOVE = 5000
NO_MATCH = 9
CHUNK = 500
FACET_COLUMNS = ("camera_id", "region", "color", "review_status")  # FACET_FIELDS less the computed month
# The FTS5 trigram table over the folded plates (external content: the rows live in TABLE) and the triggers
# that keep it in step. A rebuild drops and recreates it, which also repairs a damaged one.
SQLITE_FTS_CREATE = [
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        folded, original_folded, content='{TABLE}', content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, folded, original_folded)
        VALUES (new.id, new.folded, new.original_folded); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded, original_folded)
        VALUES ('delete', old.id, old.folded, old.original_folded); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded, original_folded)
        VALUES ('delete', old.id, old.folded, old.original_folded);
        INSERT INTO {FTS_TABLE}(rowid, folded, original_folded)
        VALUES (new.id, new.folded, new.original_folded); END""",
]
SQLITE_FTS_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


class Fieldset(NamedTuple):
    """One searchable text: its columns and the b-tree indexes over them."""

    folded: str
    rev: str
    norm: str
    folded_index: str
    rev_index: str


EFFECTIVE = Fieldset("folded", "folded_rev", "norm", "search_pie_owner_folded", "search_pie_owner_frev")
ORIGINAL = Fieldset(
    "original_folded",
    "original_folded_rev",
    "original_norm",
    "search_pie_owner_ofolded",
    "search_pie_owner_ofrev",
)


@dataclass(frozen=True)
class Lookup:
    """A condition on the owner's index rows that selects only matching readings; `index` is the b-tree it
    walks (None: the planner's choice), `fts` marks a trigram lookup (the owner test must not drive it)."""

    cond: str
    params: list
    index: str | None = None
    fts: bool = False


def _prefix_upper_bound(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _like_pattern(query: PlateQuery) -> str:
    return query.folded.replace("?", "_").replace("*", "%")


def _literal_suffix(query: PlateQuery) -> str:
    """Folded characters after the last wildcard."""
    return re.split(r"[?*]", query.folded)[-1]


class _Dialect:
    """The SQL that differs between SQLite and PostgreSQL."""

    def prefix(self, column: str, prefix: str) -> tuple[str, list]:
        raise NotImplementedError

    def fragment(self, columns: Sequence[str], fragment: str) -> Lookup:
        raise NotImplementedError

    def wildcard(self, fields: Fieldset, query: PlateQuery) -> Lookup:
        raise NotImplementedError

    def wildcard_test(self, column: str, query: PlateQuery) -> tuple[str, list]:
        raise NotImplementedError

    def contains(self, column: str, fragment: str) -> tuple[str, list]:
        raise NotImplementedError

    def within_one_edit(self, column: str, text: str) -> tuple[str, list]:
        raise NotImplementedError

    def month(self, column: str) -> str:
        raise NotImplementedError

    def indexed_by(self, index: str | None) -> str:
        return ""


class _SqliteDialect(_Dialect):
    def prefix(self, column, prefix):
        return f"({column} >= %s AND {column} < %s)", [prefix, _prefix_upper_bound(prefix)]

    def fragment(self, columns, fragment):
        # Trigram phrase query: rows whose folded text contains the fragment.
        match = "{" + " ".join(columns) + '} : "' + fragment + '"'
        return Lookup(
            f"e.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)", [match], fts=True
        )

    def wildcard(self, fields, query):
        # A literal end of the pattern is a range of the (owner, folded) or (owner, reversed folded) index, and
        # the GLOB test runs on the index entries: only true matches reach the ranking.
        prefix, suffix, longest = query.literal_prefix, _literal_suffix(query), query.longest_literal
        if len(suffix) > len(prefix) and (len(suffix) >= 2 or len(longest) < 3):
            cond, params = self.prefix(f"e.{fields.rev}", reverse(suffix))
            return Lookup(
                f"{cond} AND e.{fields.rev} GLOB %s", [*params, reverse(query.folded)], fields.rev_index
            )
        if len(prefix) >= 2 or (prefix and len(longest) < 3):
            cond, params = self.prefix(f"e.{fields.folded}", prefix)
            return Lookup(
                f"{cond} AND e.{fields.folded} GLOB %s", [*params, query.folded], fields.folded_index
            )
        if len(longest) >= 3:
            # FTS5 trigram answers LIKE from its index when the pattern has a 3-character literal run.
            return Lookup(
                f"e.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {fields.folded} LIKE %s)"
                f" AND e.{fields.folded} GLOB %s",
                [_like_pattern(query), query.folded],
                fts=True,
            )
        return Lookup(f"e.{fields.folded} GLOB %s", [query.folded])

    def wildcard_test(self, column, query):
        return f"{column} GLOB %s", [query.folded]

    def contains(self, column, fragment):
        return f"instr({column}, %s) > 0", [fragment]

    def within_one_edit(self, column, text):
        return f"plate_within_one_edit({column}, %s)", [text]

    def month(self, column):
        return f"substr({column}, 1, 7)"

    def indexed_by(self, index):
        return f" INDEXED BY {index}" if index else ""


class _PostgresDialect(_Dialect):
    def prefix(self, column, prefix):
        return f"{column} LIKE %s", [prefix + "%"]

    def fragment(self, columns, fragment):
        conds = " OR ".join(f"e.{c} LIKE %s" for c in columns)
        return Lookup(f"({conds})", ["%" + fragment + "%"] * len(columns))

    def wildcard(self, fields, query):
        return Lookup(f"e.{fields.folded} LIKE %s", [_like_pattern(query)])

    def wildcard_test(self, column, query):
        return f"{column} LIKE %s", [_like_pattern(query)]

    def contains(self, column, fragment):
        return f"strpos({column}, %s) > 0", [fragment]

    def within_one_edit(self, column, text):
        return f"levenshtein_less_equal({column}, %s, 1) <= 1", [text]

    def month(self, column):
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


def _month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _facet_keys(owner_id: int, prefix: str, *values: str) -> list[tuple[int, str, str, str]]:
    """The FacetCount rows one reading adds to: its owner's total and each non-empty facet value, over the
    account (prefix "") and over its plate prefix."""
    pairs = [(FacetCount.TOTAL, ""), *((n, v) for n, v in zip(FACET_FIELDS, values, strict=True) if v)]
    return [(owner_id, p, name, value) for p in ("", prefix) for name, value in pairs]


# SQLite's words for a damaged index (an FTS5 table whose records are garbage cannot even be opened).
DAMAGE = ("malformed", "corrupt", "vtable constructor failed")


def _damaged(detail: str) -> SearchIndexCorrupt:
    log.error("search: the embedded index is damaged, run `manage.py search_reindex`: %s", detail)
    return SearchIndexCorrupt(f"the search index is damaged and must be rebuilt: {detail}")


def _backend_error(exc: DatabaseError) -> SearchBackendError:
    text = str(exc)
    return _damaged(text) if any(word in text for word in DAMAGE) else SearchBackendError(text)


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

    def _adjust_counts(self, deltas: Counter) -> None:
        """Add `deltas` to the FacetCount rows (one upsert per chunk, in key order so that concurrent
        writers lock rows in the same order), then drop the rows that reached zero."""
        rows = sorted((key, n) for key, n in deltas.items() if n)
        with connection.cursor() as cursor:
            for first in range(0, len(rows), CHUNK):
                chunk = rows[first : first + CHUNK]
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {COUNTS} (owner_id, prefix, facet, value, count) VALUES {values}"
                    " ON CONFLICT (owner_id, prefix, facet, value)"
                    f" DO UPDATE SET count = {COUNTS}.count + excluded.count",
                    [p for key, n in chunk for p in (*key, n)],
                )
            owners = sorted({key[0] for key, _n in rows})
            if owners:
                marks = ", ".join(["%s"] * len(owners))
                cursor.execute(f"DELETE FROM {COUNTS} WHERE count <= 0 AND owner_id IN ({marks})", owners)

    def replace_assets(self, asset_ids, documents):
        ids = sorted({int(i) for i in asset_ids})
        month = self.dialect.month("taken_at")
        try:
            with transaction.atomic():
                deltas: Counter = Counter()
                with connection.cursor() as cursor:
                    for first in range(0, len(ids), CHUNK):
                        chunk = ids[first : first + CHUNK]
                        # RETURNING: the rows this transaction really removed are the ones uncounted.
                        cursor.execute(
                            f"DELETE FROM {TABLE} WHERE asset_id IN ({', '.join(['%s'] * len(chunk))})"
                            f" RETURNING owner_id, {PREFIX}, {', '.join(FACET_COLUMNS)}, {month}",
                            chunk,
                        )
                        for row in cursor.fetchall():
                            deltas.update({key: -1 for key in _facet_keys(*row)})
                documents = list(documents)
                self._insert(documents)
                for d in documents:
                    values = (d.camera_id, d.region, d.color, d.review_status, _month_of(d.taken_at))
                    deltas.update(_facet_keys(d.owner_id, d.folded[: FacetCount.PREFIX_LENGTH], *values))
                self._adjust_counts(deltas)
        except MemoryError as exc:
            raise self._damage_or(exc) from exc
        except DatabaseError as exc:
            raise _backend_error(exc) from exc

    def rebuild(self, documents):
        # One transaction: readers see the old index until the new one is complete. The trigram table is
        # dropped and built again in one pass (faster than row by row, and it repairs a damaged one).
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    if self.engine == "sqlite":
                        self._drop_fts(cursor)
                    cursor.execute(f"DELETE FROM {TABLE}")
                    cursor.execute(f"DELETE FROM {COUNTS}")
                count = self._insert(documents)
                with connection.cursor() as cursor:
                    if self.engine == "sqlite":
                        for statement in SQLITE_FTS_CREATE:
                            cursor.execute(statement)
                        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
                    cursor.execute(self._counts_from_entries())
                return count
        except MemoryError as exc:
            raise self._damage_or(exc) from exc
        except DatabaseError as exc:
            raise _backend_error(exc) from exc

    def _damage_or(self, exc: MemoryError) -> Exception:
        """SQLite reports some damage as out of memory (it believes sizes read from garbage, and FTS5's own
        integrity check can pass on such a table): on SQLite the index is taken as damaged (a search answers
        503 and one rebuild is queued, also when memory really ran short), elsewhere `exc` stands."""
        return _damaged("SQLite ran out of memory reading it") if self.engine == "sqlite" else exc

    def _drop_fts(self, cursor) -> None:
        try:
            with transaction.atomic():  # a savepoint: a failed DROP leaves the rebuild's transaction usable
                for statement in SQLITE_FTS_DROP:
                    cursor.execute(statement)
        except (DatabaseError, MemoryError):
            # FTS5 cannot open, so cannot drop, a table whose structure record is garbage: give it the records
            # of a new, empty one first.
            blank = f"{FTS_TABLE}_blank"
            cursor.execute(SQLITE_FTS_CREATE[0].replace(f" {FTS_TABLE} USING", f" {blank} USING"))
            cursor.execute(f"DELETE FROM {FTS_TABLE}_data")
            cursor.execute(f"INSERT INTO {FTS_TABLE}_data SELECT * FROM {blank}_data")
            cursor.execute(f"DELETE FROM {FTS_TABLE}_idx")
            cursor.execute(f"DROP TABLE {blank}")
            for statement in SQLITE_FTS_DROP:
                cursor.execute(statement)

    def _counts_from_entries(self) -> str:
        facets = [*((c, c) for c in FACET_COLUMNS), ("month", self.dialect.month("taken_at"))]
        parts = []
        for prefix, grouped in (("''", ""), (PREFIX, f", {PREFIX}")):
            parts.append(
                f"SELECT owner_id, {prefix}, '{FacetCount.TOTAL}', '', count(*) FROM {TABLE}"
                f" GROUP BY owner_id{grouped}"
            )
            parts += [
                f"SELECT owner_id, {prefix}, '{facet}', {value}, count(*) FROM {TABLE} WHERE {value} <> ''"
                f" GROUP BY owner_id{grouped}, {value}"
                for facet, value in facets
            ]
        return f"INSERT INTO {COUNTS} (owner_id, prefix, facet, value, count) " + " UNION ALL ".join(parts)

    def count(self):
        try:
            return PlateIndexEntry.objects.count()
        except MemoryError as exc:
            raise self._damage_or(exc) from exc
        except DatabaseError as exc:
            raise _backend_error(exc) from exc

    # --- search -------------------------------------------------------------------------------------
    def _lookups(self, query: SearchQuery, fieldsets: list[Fieldset]) -> list[Lookup]:
        """Index lookups whose union is exactly the matching readings. A lookup returns only readings of its
        own tier or a better one, so keeping the newest `count_limit + 1` rows of each keeps every reading the
        first `count_limit` ranks hold."""
        q, d = query.text, self.dialect
        if q.empty:
            return [Lookup("1 = 1", [], TIME_INDEX)]
        if q.is_wildcard:
            return [d.wildcard(fields, q) for fields in fieldsets]
        lookups = []
        for fields in fieldsets:
            # Exact, then confusion-equal plates: lookups of their own (one range of the folded index), so
            # that a crowded fragment or prefix lookup cannot push them out.
            equal = f"e.{fields.folded} = %s"
            lookups.append(
                Lookup(f"{equal} AND e.{fields.norm} = %s", [q.folded, q.norm], fields.folded_index)
            )
            lookups.append(Lookup(equal, [q.folded], fields.folded_index))
            if q.is_short:
                cond, params = d.prefix(f"e.{fields.folded}", q.folded)
                lookups.append(Lookup(cond, params, fields.folded_index))
            elif q.allows_fuzzy:
                # One edit away: the left half survives as a prefix or the right half as a suffix. Each lookup
                # reads only its (owner, column) index: the edit distance of two reversed texts is theirs, and
                # the cheap length test spares most edit-distance calls.
                left, right = q.fuzzy_halves()
                for column, index, part, target in (
                    (fields.folded, fields.folded_index, left, q.folded),
                    (fields.rev, fields.rev_index, reverse(right), reverse(q.folded)),
                ):
                    cond, params = d.prefix(f"e.{column}", part)
                    edit, edit_params = d.within_one_edit(f"e.{column}", target)
                    length = f"length(e.{column}) BETWEEN {len(target) - 1} AND {len(target) + 1}"
                    lookups.append(Lookup(f"{cond} AND {length} AND {edit}", [*params, *edit_params], index))
        if not q.is_short:
            lookups.append(d.fragment([fields.folded for fields in fieldsets], q.folded))
        return lookups

    def _tier(self, q: PlateQuery, folded: str, norm: str) -> tuple[str, list]:
        """SQL for the tier a row reaches through one searchable text (NO_MATCH when none)."""
        d = self.dialect
        if q.is_wildcard:
            test, params = d.wildcard_test(folded, q)
            return f"CASE WHEN {test} THEN {int(Tier.FRAGMENT)} ELSE {NO_MATCH} END", params
        if q.is_short:
            fragment = (f"substr({folded}, 1, {len(q.folded)}) = %s", [q.folded])
        else:
            fragment = d.contains(folded, q.folded)
        whens = [
            (f"{norm} = %s", [q.norm], Tier.EXACT),
            (f"{folded} = %s", [q.folded], Tier.CONFUSION),
            (*fragment, Tier.FRAGMENT),
        ]
        if q.allows_fuzzy:
            whens.append((*d.within_one_edit(folded, q.folded), Tier.FUZZY))
        sql = " ".join(f"WHEN {cond} THEN {int(tier)}" for cond, _params, tier in whens)
        return f"CASE {sql} ELSE {NO_MATCH} END", [p for _cond, params, _tier in whens for p in params]

    def _rank_sql(self, query: SearchQuery) -> tuple[tuple[str, list], tuple[str, list]]:
        """The tier expression and the 'matched the original reading' expression, over lookup rows."""
        if query.text.empty:
            return ("0", []), ("0", [])
        effective = self._tier(query.text, EFFECTIVE.folded, EFFECTIVE.norm)
        if not query.include_original:
            return effective, ("0", [])
        original = self._tier(query.text, ORIGINAL.folded, ORIGINAL.norm)
        smallest = "min" if self.engine == "sqlite" else "least"
        return (
            (f"{smallest}({effective[0]}, {original[0]})", effective[1] + original[1]),
            (f"CASE WHEN {original[0]} < {effective[0]} THEN 1 ELSE 0 END", original[1] + effective[1]),
        )

    def _filters(self, query: SearchQuery) -> tuple[list[str], list]:
        where, params = [], []
        for column in FACET_COLUMNS:
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

    def _ranked(self, query: SearchQuery, where: list[str], params: list) -> tuple[list, int, bool, dict]:
        """One statement: the lookups (each capped), their union ranked, one page, the total and facets."""
        fieldsets = [EFFECTIVE, ORIGINAL] if query.include_original else [EFFECTIVE]
        texts = [] if query.text.empty else [c for f in fieldsets for c in (f.norm, f.folded)]
        columns = ["id", *texts, "taken_at", *FACET_COLUMNS]
        selected = ", ".join(f"e.{c}" for c in columns)
        cap = query.count_limit
        parts, lookup_params = [], []
        for k, lookup in enumerate(self._lookups(query, fieldsets)):
            # `+` keeps SQLite from walking the owner's rows when the trigram index should drive the lookup.
            owner = "+e.owner_id" if lookup.fts and self.engine == "sqlite" else "e.owner_id"
            condition = " AND ".join([f"{owner} = %s", lookup.cond, *where])
            parts.append(
                f"SELECT * FROM (SELECT {k} AS k, {selected} FROM {TABLE} e{self.dialect.indexed_by(lookup.index)}"
                f" WHERE {condition} ORDER BY e.taken_at DESC, e.id DESC LIMIT {cap + 1}) AS l{k}"
            )
            lookup_params += [query.owner_id, *lookup.params, *params]
        (tier_sql, tier_params), (orig_sql, orig_params) = self._rank_sql(query)
        kept = ", ".join(["id", "taken_at", *FACET_COLUMNS])
        materialized = "MATERIALIZED " if self.engine == "sqlite" or connection.pg_version >= 120000 else ""
        sql = (
            f"WITH c AS {materialized}({' UNION ALL '.join(parts)}),"
            f" m AS {materialized}(SELECT * FROM (SELECT DISTINCT {kept}, {tier_sql} AS tier, {orig_sql} AS original"
            f" FROM c) d WHERE tier < {NO_MATCH}) "
        )
        rank = "tier, taken_at DESC, id DESC"
        selects = [
            # Only the page is ranked (a bounded sort); its row number keeps the order through the union.
            "SELECT 'hit' AS kind, id, tier, original, CAST(NULL AS varchar(100)) AS value,"
            f" row_number() OVER (ORDER BY {rank}) AS n FROM (SELECT * FROM m ORDER BY {rank} LIMIT %s OFFSET %s) p",
            "SELECT 'total', NULL, NULL, NULL, NULL, count(*) FROM m",
            "SELECT 'lookup', NULL, NULL, NULL, NULL, count(*) FROM c GROUP BY k",
        ]
        if query.facets:
            # When more than `cap` match, facets count the union of the capped lookups: at least the first `cap`
            # results, at most every match.
            month = self.dialect.month("taken_at")
            for name, column in [*((c, c) for c in FACET_COLUMNS), ("month", month)]:
                selects.append(
                    f"SELECT '{name}', NULL, NULL, NULL, {column}, count(*) FROM m GROUP BY {column}"
                )
        page, total, capped, facets = [], 0, False, {}
        with connection.cursor() as cursor:
            cursor.execute(
                sql + " UNION ALL ".join(selects),
                [
                    *lookup_params,
                    *tier_params,
                    *orig_params,
                    max(0, min(query.limit, cap - query.offset)),
                    query.offset,
                ],
            )
            for kind, reading_id, tier, original, value, number in cursor.fetchall():
                if kind == "hit":
                    page.append((number, reading_id, tier, original))
                elif kind == "total":
                    total = number
                elif kind == "lookup":
                    capped = capped or number > cap
                elif value:
                    facets.setdefault(kind, Counter())[value] += number
        capped = capped or total > cap
        return [row[1:] for row in sorted(page)], min(total, cap) if capped else total, capped, facets

    def _newest(self, query: SearchQuery, where: list[str], params: list) -> list:
        """A page of a query without text: a walk of the (owner, time) index, from a keyset or an offset."""
        conditions, values = ["e.owner_id = %s", *where], [query.owner_id, *params]
        limit = max(0, min(query.limit, query.count_limit - query.offset))
        if query.after:
            taken, reading_id = query.after
            conditions.append("(e.taken_at < %s OR (e.taken_at = %s AND e.id < %s))")
            taken = connection.ops.adapt_datetimefield_value(taken)
            values += [taken, taken, reading_id]
            limit = query.limit
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.id, NULL, 0 FROM {TABLE} e{self.dialect.indexed_by(TIME_INDEX)}"
                f" WHERE {' AND '.join(conditions)} ORDER BY e.taken_at DESC, e.id DESC LIMIT %s OFFSET %s",
                [*values, limit, query.offset],
            )
            return cursor.fetchall()

    def _kept_counts(self, query: SearchQuery) -> tuple[int, bool, dict]:
        """Total and facets from the counts every index write keeps: of the whole account (no text), or of the
        readings whose folded plate starts with a short query (one or two characters)."""
        q = query.text
        if len(q.folded) == FacetCount.PREFIX_LENGTH or q.empty:
            prefix, params = "prefix = %s", [q.folded]
        else:
            prefix, params = self.dialect.prefix("prefix", q.folded)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT facet, value, sum(count) FROM {COUNTS} WHERE owner_id = %s AND {prefix}"
                " GROUP BY facet, value",
                [query.owner_id, *params],
            )
            total, facets = 0, {}
            for facet, value, number in cursor.fetchall():
                if facet == FacetCount.TOTAL:
                    total = number
                elif query.facets:
                    facets.setdefault(facet, Counter())[value] = number
        return min(total, query.count_limit), total > query.count_limit, facets

    def _prefix_page(self, query: SearchQuery, total: int) -> list:
        """The page of an unfiltered short prefix: each tier newest first until the page is full. The fragment
        tier sorts its range of the (owner, folded) index when it is small, and walks the (owner, time) index
        when it is large (dense matches fill a page within a few thousand entries)."""
        q, d = query.text, self.dialect
        need = min(query.offset + query.limit, query.count_limit)
        prefix, prefix_params = d.prefix("e.folded", q.folded)
        tiers = (
            (Tier.EXACT, "e.folded = %s AND e.norm = %s", [q.folded, q.norm], EFFECTIVE.folded_index),
            (Tier.CONFUSION, "e.folded = %s AND e.norm <> %s", [q.folded, q.norm], EFFECTIVE.folded_index),
            (
                Tier.FRAGMENT,
                f"{prefix} AND e.folded <> %s",
                [*prefix_params, q.folded],
                TIME_INDEX if total > WALK_ABOVE else EFFECTIVE.folded_index,
            ),
        )
        rows: list = []
        with connection.cursor() as cursor:
            for tier, condition, params, index in tiers:
                if len(rows) >= need:
                    break
                cursor.execute(
                    f"SELECT e.id, {int(tier)}, 0 FROM {TABLE} e{d.indexed_by(index)}"
                    f" WHERE e.owner_id = %s AND {condition} ORDER BY e.taken_at DESC, e.id DESC LIMIT %s",
                    [query.owner_id, *params, need - len(rows)],
                )
                rows += cursor.fetchall()
        return rows[query.offset : need]

    def search(self, query):
        where, params = self._filters(query)
        try:
            if query.text.empty:
                page = self._newest(query, where, params)
                if where:
                    _, total, capped, counters = self._ranked(
                        replace(query, offset=0, limit=0), where, params
                    )
                else:
                    total, capped, counters = self._kept_counts(query)
            elif query.text.is_short and not (query.text.is_wildcard or query.include_original or where):
                total, capped, counters = self._kept_counts(query)
                page = self._prefix_page(query, total)
            else:
                page, total, capped, counters = self._ranked(query, where, params)
            entries = PlateIndexEntry.objects.in_bulk([row[0] for row in page])
        except MemoryError as exc:
            raise self._damage_or(exc) from exc
        except DatabaseError as exc:
            raise _backend_error(exc) from exc
        facets = {
            name: sorted(counter.items(), key=lambda item: (-item[1], item[0]))
            for name, counter in counters.items()
        }
        hits = [
            SearchHit(
                document=_document_from(entries[reading_id]),
                tier=None if query.text.empty else Tier(tier),
                matched_original=bool(original),
            )
            for reading_id, tier, original in page
            if reading_id in entries
        ]
        return SearchResults(total=total, hits=hits, facets=facets, total_relation="gte" if capped else "eq")


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: the edit-distance test the fuzzy tier needs inside SQLite."""
    if connection.vendor == "sqlite":
        from search.text import within_one_edit

        connection.connection.create_function(
            "plate_within_one_edit", 2, lambda a, b: within_one_edit(a or "", b or ""), deterministic=True
        )
