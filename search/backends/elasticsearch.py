"""Elasticsearch backend: the official `elasticsearch` client, `helpers.bulk`, an alias over dated indices.

Mapping: keyword fields for exact (`norm`) and confusion-folded (`folded`) plates, a trigram subfield of the
folded plate for fragments; wildcard and fuzzy queries run on the folded keyword. Match tiers become
constant scores under a dis_max, so ranking is tier first, then capture time, then reading id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.utils.module_loading import import_string
from elastic_transport import TransportError
from elasticsearch import Elasticsearch, helpers
from elasticsearch import exceptions as es_exceptions

from search.backends.base import (
    PlateDocument,
    SearchBackend,
    SearchBackendError,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from search.text import PlateQuery, Tier

# A tier's score: higher ranks first (dis_max keeps the best tier a document reaches).
TIER_SCORE = {Tier.EXACT: 4.0, Tier.CONFUSION: 3.0, Tier.FRAGMENT: 2.0, Tier.FUZZY: 1.0}
FUZZY_MAX_EXPANSIONS = 1000
FACET_SIZE = 50

INDEX_SETTINGS = {
    "analysis": {
        "tokenizer": {"plate_trigram": {"type": "ngram", "min_gram": 3, "max_gram": 3}},
        "analyzer": {
            "plate_trigram": {"type": "custom", "tokenizer": "plate_trigram", "filter": ["uppercase"]}
        },
    }
}
_PLATE_KEYWORD = {"type": "keyword", "fields": {"trigram": {"type": "text", "analyzer": "plate_trigram"}}}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "reading_id": {"type": "long"},
        "asset_id": {"type": "long"},
        "owner_id": {"type": "long"},
        "request_uuid": {"type": "keyword"},
        "file": {"type": "keyword", "index": False},
        "camera_id": {"type": "keyword"},
        "taken_at": {"type": "date"},
        "created_on": {"type": "date"},
        "region": {"type": "keyword"},
        "color": {"type": "keyword"},
        "review_status": {"type": "keyword"},
        "box": {"type": "object", "enabled": False},
        "plate": {"type": "keyword", "index": False},
        "norm": {"type": "keyword"},
        "folded": _PLATE_KEYWORD,
        "original_plate": {"type": "keyword", "index": False},
        "original_norm": {"type": "keyword"},
        "original_folded": _PLATE_KEYWORD,
    },
}
ERRORS = (TransportError, es_exceptions.ApiError, helpers.BulkIndexError)


def _source(doc: PlateDocument) -> dict:
    source = {field: getattr(doc, field) for field in MAPPINGS["properties"]}
    source["taken_at"] = doc.taken_at.isoformat()
    source["created_on"] = doc.created_on.isoformat()
    return source


def _document(source: dict) -> PlateDocument:
    values = dict(source)
    for field in ("taken_at", "created_on"):
        values[field] = datetime.fromisoformat(values[field])
    return PlateDocument(**values)


def _constant(query: dict, tier: Tier) -> dict:
    return {"constant_score": {"filter": query, "boost": TIER_SCORE[tier]}}


def text_queries(q: PlateQuery, norm: str, folded: str) -> list[dict]:
    """The tier queries for one searchable text (effective or original plate)."""
    if q.is_wildcard:
        return [_constant({"wildcard": {folded: {"value": q.folded}}}, Tier.FRAGMENT)]
    queries = [
        _constant({"term": {norm: q.norm}}, Tier.EXACT),
        _constant({"term": {folded: q.folded}}, Tier.CONFUSION),
    ]
    if q.is_short:
        queries.append(_constant({"prefix": {folded: q.folded}}, Tier.FRAGMENT))
    else:
        # Trigrams narrow the candidates from the index; the wildcard keeps only true substrings.
        contains = {
            "bool": {
                "filter": [
                    {"match": {f"{folded}.trigram": {"query": q.folded, "operator": "and"}}},
                    {"wildcard": {folded: {"value": f"*{q.folded}*"}}},
                ]
            }
        }
        queries.append(_constant(contains, Tier.FRAGMENT))
    if q.allows_fuzzy:
        fuzzy = {
            "fuzzy": {
                folded: {
                    "value": q.folded,
                    "fuzziness": 1,
                    "transpositions": False,
                    "prefix_length": 0,
                    "max_expansions": FUZZY_MAX_EXPANSIONS,
                }
            }
        }
        queries.append(_constant(fuzzy, Tier.FUZZY))
    return queries


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self) -> None:
        options: dict = {
            "verify_certs": settings.ELASTICSEARCH_VERIFY_CERTS,
            "request_timeout": 10,
            "max_retries": 1,
            "retry_on_timeout": True,
        }
        if settings.ELASTICSEARCH_API_KEY:
            options["api_key"] = settings.ELASTICSEARCH_API_KEY
        if settings.ELASTICSEARCH_NODE_CLASS:
            options["node_class"] = import_string(settings.ELASTICSEARCH_NODE_CLASS)
        self.client = Elasticsearch(settings.ELASTICSEARCH_URL, **options)
        self.alias = settings.ELASTICSEARCH_INDEX

    # --- index lifecycle ----------------------------------------------------------------------------
    def _new_index(self) -> str:
        name = f"{self.alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        self.client.indices.create(index=name, settings=INDEX_SETTINGS, mappings=MAPPINGS)
        return name

    def ensure_index(self) -> None:
        """Create the first dated index behind the alias if there is none (checked before every write, so
        a write never auto-creates an index with a guessed mapping)."""
        if not self.client.indices.exists_alias(name=self.alias):
            name = self._new_index()
            self.client.indices.update_aliases(actions=[{"add": {"index": name, "alias": self.alias}}])

    def _actions(self, index: str, documents: Iterable[PlateDocument]) -> Iterator[dict]:
        for doc in documents:
            yield {"_op_type": "index", "_index": index, "_id": str(doc.reading_id), "_source": _source(doc)}

    # --- writes -------------------------------------------------------------------------------------
    def replace_assets(self, asset_ids, documents):
        asset_ids = list(asset_ids)
        documents = list(documents)
        try:
            self.ensure_index()
            if documents:
                # wait_for: once written, a document is visible to the delete_by_query of any later change.
                helpers.bulk(self.client, self._actions(self.alias, documents), refresh="wait_for")
            # Index first, then drop what the assets no longer have: searches never see a gap.
            self.client.delete_by_query(
                index=self.alias,
                query={
                    "bool": {
                        "filter": [{"terms": {"asset_id": asset_ids}}],
                        "must_not": [{"terms": {"reading_id": [d.reading_id for d in documents]}}],
                    }
                },
                conflicts="proceed",
            )
        except ERRORS as exc:
            raise SearchBackendError(str(exc)) from exc

    def rebuild(self, documents):
        try:
            new = self._new_index()
            try:
                count, _errors = helpers.bulk(self.client, self._actions(new, documents), chunk_size=2000)
            except ERRORS:
                self.client.indices.delete(index=new, ignore_unavailable=True)  # no half-built orphan
                raise
            self.client.indices.refresh(index=new)
            old = (
                list(self.client.indices.get_alias(name=self.alias))
                if self.client.indices.exists_alias(name=self.alias)
                else []
            )
            actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(actions=actions)
            for name in old:
                self.client.indices.delete(index=name)
            return count
        except ERRORS as exc:
            raise SearchBackendError(str(exc)) from exc

    def count(self):
        try:
            if not self.client.indices.exists_alias(name=self.alias):
                return 0
            return self.client.count(index=self.alias)["count"]
        except ERRORS as exc:
            raise SearchBackendError(str(exc)) from exc

    def refresh(self):
        try:
            if self.client.indices.exists_alias(name=self.alias):
                self.client.indices.refresh(index=self.alias)
        except ERRORS as exc:
            raise SearchBackendError(str(exc)) from exc

    # --- search -------------------------------------------------------------------------------------
    def build_body(self, query: SearchQuery) -> dict:
        filters: list[dict] = [{"term": {"owner_id": query.owner_id}}]
        for field in ("camera_id", "region", "color", "review_status"):
            if value := getattr(query, field):
                filters.append({"term": {field: value}})
        taken: dict = {}
        if query.taken_from:
            taken["gte"] = query.taken_from.isoformat()
        if query.taken_to:
            taken["lt"] = query.taken_to.isoformat()
        if taken:
            filters.append({"range": {"taken_at": taken}})
        q = query.text
        if q.empty:
            es_query: dict = {"bool": {"filter": filters}}
        else:
            tiers = text_queries(q, "norm", "folded")
            if query.include_original:
                tiers += text_queries(q, "original_norm", "original_folded")
            es_query = {
                "bool": {"filter": filters, "must": [{"dis_max": {"queries": tiers, "tie_breaker": 0}}]}
            }
        body: dict = {
            "query": es_query,
            "sort": [{"_score": "desc"}, {"taken_at": "desc"}, {"reading_id": "desc"}],
            "from": query.offset,
            "size": max(0, min(query.limit, query.count_limit - query.offset)),
            # Exact up to the limit, "gte" beyond; aggregations still count every match.
            "track_total_hits": query.count_limit,
        }
        if query.after and q.empty:
            # Every hit of a query without text scores the same: the keyset is (score, time, id).
            taken, reading_id = query.after
            body["search_after"] = [0.0, int(taken.timestamp() * 1000), reading_id]
            body["size"] = query.limit
        if query.facets:
            aggs = {
                f: {"terms": {"field": f, "size": FACET_SIZE}}
                for f in ("camera_id", "region", "color", "review_status")
            }
            aggs["month"] = {
                "date_histogram": {
                    "field": "taken_at",
                    "calendar_interval": "month",
                    "format": "yyyy-MM",
                    "min_doc_count": 1,
                }
            }
            body["aggs"] = aggs
        return body

    def search(self, query):
        try:
            if not self.client.indices.exists_alias(name=self.alias):
                return SearchResults(total=0, hits=[], facets={})
            response = self.client.search(index=self.alias, **self.build_body(query))
        except ERRORS as exc:
            raise SearchBackendError(str(exc)) from exc
        hits = []
        for hit in response["hits"]["hits"]:
            doc = _document(hit["_source"])
            tier, original = _tier(query, doc)
            hits.append(SearchHit(document=doc, tier=tier, matched_original=original))
        facets: dict[str, list[tuple[str, int]]] = {}
        for name, agg in (response.get("aggregations") or {}).items():
            values = [
                (b.get("key_as_string", b["key"]), b["doc_count"]) for b in agg["buckets"] if b["doc_count"]
            ]
            values = [(str(v), c) for v, c in values if v != ""]
            if values:
                facets[name] = sorted(values, key=lambda item: (-item[1], item[0]))
        total = response["hits"]["total"]
        relation = "gte" if total["relation"] == "gte" or total["value"] > query.count_limit else "eq"
        return SearchResults(
            total=min(total["value"], query.count_limit), hits=hits, facets=facets, total_relation=relation
        )


def _tier(query: SearchQuery, doc: PlateDocument) -> tuple[Tier | None, bool]:
    """Which tier the hit reached, and whether through the original reading (Elasticsearch only scores)."""
    if query.text.empty:
        return None, False
    effective = query.text.tier_of(doc.norm, doc.folded)
    original = query.text.tier_of(doc.original_norm, doc.original_folded) if query.include_original else None
    if original is not None and (effective is None or original < effective):
        return original, True
    return effective, False
