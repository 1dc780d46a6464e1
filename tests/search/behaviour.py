"""The search behaviour every backend must have: one suite, run per backend (test_embedded, test_elasticsearch).

A subclass module provides the `backend` fixture (configured through settings, so get_backend() returns it);
the `world` fixture (conftest.py) fills the database and rebuilds that backend's index from it."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from plates.text import fold, normalize
from search.backends.base import FACET_FIELDS, SearchQuery
from search.documents import all_documents, documents_for_assets
from search.text import PlateQuery, Tier
from tests.search import factories as f


def when(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def search(backend, owner, q="", **kwargs):
    return backend.search(SearchQuery(owner_id=owner.pk, text=PlateQuery.parse(q), **kwargs))


def plates(results) -> list[str]:
    return [hit.document.plate for hit in results.hits]


class BackendBehaviour:
    def test_full_plate_ranks_exact_then_confusion_then_fragment_then_fuzzy(self, backend, world):
        results = search(backend, world.alice, "AB1234")
        assert plates(results) == ["AB-1234", "A81234", "XAB1234Z", "AB1244"]
        assert [hit.tier for hit in results.hits] == [Tier.EXACT, Tier.CONFUSION, Tier.FRAGMENT, Tier.FUZZY]
        assert results.total == 4

    @pytest.mark.parametrize("q", ["ab 12-34", "AB-1234", " ab1234 "])
    def test_spaces_dashes_and_case_do_not_matter(self, backend, world, q):
        results = search(backend, world.alice, q)
        assert results.hits[0].document.plate == "AB-1234"
        assert results.hits[0].tier == Tier.EXACT

    def test_ocr_confusions_are_one_class(self, backend, world):
        results = search(backend, world.alice, "8O123")
        assert plates(results) == ["B0123"]
        assert results.hits[0].tier == Tier.CONFUSION
        assert plates(search(backend, world.alice, "BDI2EE")) == []  # E is not 3: two edits away
        assert plates(search(backend, world.alice, "8QL23")) == ["B0123"]

    def test_fragment_finds_plates_containing_it_confusions_folded(self, backend, world):
        results = search(backend, world.alice, "AB12")
        assert set(plates(results)) == {"AB-1234", "A81234", "XAB1234Z", "AB1244", "XAB12Y"}
        assert {hit.tier for hit in results.hits} == {Tier.FRAGMENT}
        # Within a tier: newest capture first.
        assert plates(results)[0] == "XAB12Y"
        assert plates(search(backend, world.alice, "12Y")) == ["XAB12Y"]

    def test_one_and_two_characters_match_prefixes(self, backend, world):
        assert set(plates(search(backend, world.alice, "AB"))) == {"AB-1234", "A81234", "AB1244"}
        assert set(plates(search(backend, world.alice, "q"))) == {"QQ5555"}

    def test_wildcards_match_the_whole_plate(self, backend, world):
        assert set(plates(search(backend, world.alice, "AB?2*"))) == {"AB-1234", "A81234", "AB1244"}
        assert plates(search(backend, world.alice, "*12Y")) == ["XAB12Y"]
        assert plates(search(backend, world.alice, "X*Z")) == ["XAB1234Z"]
        assert set(plates(search(backend, world.alice, "*234*"))) == {"AB-1234", "A81234", "XAB1234Z"}
        assert plates(search(backend, world.alice, "CD99?")) == []  # anchored: one character too short

    def test_fuzzy_tolerates_one_edit_only(self, backend, world):
        assert plates(search(backend, world.alice, "CD9990")) == ["CD9999"]  # substitution
        assert plates(search(backend, world.alice, "CD99999")) == ["CD9999"]  # insertion
        assert plates(search(backend, world.alice, "D9999")) == ["CD9999"]  # fragment (suffix)
        assert plates(search(backend, world.alice, "CE9998")) == []  # two edits

    def test_rejected_readings_are_not_found(self, backend, world):
        assert plates(search(backend, world.alice, "REJ777")) == []
        assert plates(search(backend, world.alice, "REJ777", include_original=True)) == []

    def test_corrections_are_searched_the_original_only_when_asked(self, backend, world):
        results = search(backend, world.alice, "KT9876")
        assert plates(results) == ["KT9876"]
        assert not results.hits[0].matched_original
        assert plates(search(backend, world.alice, "HH4321")) == []
        results = search(backend, world.alice, "HH4321", include_original=True)
        assert plates(results) == ["KT9876"]
        assert results.hits[0].matched_original
        assert results.hits[0].document.original_plate == "HH4321"

    def test_a_user_never_finds_another_users_assets(self, backend, world):
        results = search(backend, world.bob, "AB1234")
        assert [hit.document.asset_id for hit in results.hits] == [world.assets["bobs"].pk]
        assert world.assets["bobs"].pk not in {
            h.document.asset_id for h in search(backend, world.alice, "AB1234").hits
        }
        assert search(backend, world.bob).total == 1

    def test_hits_point_to_the_asset_and_the_matching_box(self, backend, world):
        hit = search(backend, world.alice, "AB1234").hits[0]
        asset = world.assets["exact"]
        assert hit.document.asset_id == asset.pk
        assert hit.document.request_uuid == str(asset.request_uuid)
        assert hit.document.box == {"xmin": 10, "ymin": 20, "xmax": 110, "ymax": 50}
        assert hit.document.reading_id == world.readings["exact"].pk
        assert hit.document.camera_id == "gate-2"
        assert hit.document.taken_at == when("2024-04-02")

    def test_filters(self, backend, world):
        assert plates(search(backend, world.alice, "AB12", camera_id="gate-2")) == ["AB-1234"]
        assert plates(search(backend, world.alice, "AB12", region="de", color="white")) == [
            "AB1244",
            "XAB1234Z",
        ]
        assert plates(search(backend, world.alice, review_status="corrected")) == ["KT9876"]
        ranged = search(
            backend, world.alice, "AB12", taken_from=when("2024-04-05"), taken_to=when("2024-04-12")
        )
        assert plates(ranged) == ["XAB1234Z", "A81234"]  # from inclusive, to exclusive
        assert set(plates(search(backend, world.alice, camera_id="gate-3"))) == {"CD9999", "QQ5555"}

    def test_facets_count_the_matching_readings(self, backend, world):
        results = search(backend, world.alice, "AB12")
        assert results.facets["camera_id"] == [("gate-1", 4), ("gate-2", 1)]
        assert results.facets["region"] == [("de", 2), ("fr", 2), ("it", 1)]
        assert results.facets["color"] == [("white", 4), ("yellow", 1)]
        assert results.facets["review_status"] == [("unreviewed", 4), ("approved", 1)]
        assert results.facets["month"] == [("2024-04", 4), ("2024-05", 1)]
        everything = search(backend, world.alice)
        assert everything.total == 9  # alice's 10 readings, one rejected
        assert dict(everything.facets["review_status"]) == {"unreviewed": 7, "approved": 1, "corrected": 1}

    def test_pagination(self, backend, world):
        first = search(backend, world.alice, "AB12", limit=2)
        second = search(backend, world.alice, "AB12", limit=2, offset=2)
        third = search(backend, world.alice, "AB12", limit=2, offset=4, facets=False)
        assert first.total == second.total == third.total == 5
        pages = plates(first) + plates(second) + plates(third)
        assert pages == plates(search(backend, world.alice, "AB12"))
        assert len(set(pages)) == 5

    def test_empty_query_lists_newest_first(self, backend, world):
        results = search(backend, world.alice, "", limit=3)
        assert results.hits[0].document.plate == "KT9876"
        assert results.hits[0].tier is None

    def test_replace_assets_follows_the_database(self, backend, world):
        reading = world.readings["other"]
        reading.review_status, reading.corrected_plate = "corrected", "CD9998"
        reading.save()
        world.readings["other_second"].delete()
        ids = [world.assets["other"].pk]
        backend.replace_assets(ids, documents_for_assets(ids))
        backend.refresh()
        assert plates(search(backend, world.alice, "CD9998")) == ["CD9998"]
        assert plates(search(backend, world.alice, "QQ5555")) == []
        world.assets["other"].delete()
        backend.replace_assets(ids, documents_for_assets(ids))
        backend.refresh()
        assert plates(search(backend, world.alice, "CD9998")) == []
        assert backend.count() == 8  # 10 documents less the two of the deleted asset

    def test_rebuild_counts(self, backend, world):
        assert backend.count() == 10  # alice's 9 searchable readings and bob's one
        assert backend.rebuild(all_documents()) == 10
        backend.refresh()
        assert backend.count() == 10
        assert plates(search(backend, world.alice, "AB1234"))[0] == "AB-1234"

    def test_agrees_with_the_reference_semantics_on_random_plates(self, backend, db):
        """Every hit and its rank equal what PlateQuery.tier_of says, on random plates and queries."""
        rng = random.Random(42)
        owner = f.user("randy")
        alphabet = "AB0O8DQ1IL2Z5S6GXYK7"
        readings = []
        for n in range(120):
            item = f.asset(owner, timestamp=when("2024-01-01") + timedelta(hours=n * 7 % 120))
            plate = "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 7)))
            readings.append(f.reading(item, plate))
        backend.rebuild(all_documents())
        backend.refresh()
        texts = []
        for reading in rng.sample(readings, 12):
            p = reading.plate
            texts += [p, p[1:4], p[:2], f"{p[:2]}?{p[3:4]}*", f"*{p[-2:]}", p[:-1] + "K", p + "Y"]
        by_id = {r.pk: r for r in readings}
        for text in texts:
            q = PlateQuery.parse(text)
            got = [(h.document.reading_id, h.tier) for h in search(backend, owner, text, limit=200).hits]
            expected = []
            for r in readings:
                tier = q.tier_of(normalize(r.plate), fold(r.plate))
                if tier is not None:
                    expected.append((tier, -r.asset.timestamp.timestamp(), -r.pk))
            want = [(-neg_id, tier) for tier, _t, neg_id in sorted(expected)]
            assert got == want, f"query {text!r}: {[(by_id[i].plate, t) for i, t in got]}"

    def test_counts_are_exact_up_to_the_limit_then_at_least(self, backend, world):
        full = search(backend, world.alice, "AB12")
        assert (full.total, full.total_relation) == (5, "eq")
        at_limit = search(backend, world.alice, "AB12", count_limit=5)
        assert (at_limit.total, at_limit.total_relation) == (5, "eq")
        capped = search(backend, world.alice, "AB12", count_limit=3)
        assert (capped.total, capped.total_relation) == (3, "gte")
        # The results the limit lets a page reach are ranked as without a limit.
        assert plates(capped) == plates(full)[:3]
        assert plates(search(backend, world.alice, "AB12", count_limit=3, offset=2)) == plates(full)[2:3]
        # Facets count at least the first `count_limit` results and at most every match.
        for name, values in capped.facets.items():
            assert 3 <= sum(count for _value, count in values) <= sum(c for _v, c in full.facets[name])

    @pytest.mark.parametrize("q", ["", "A", "AB", "*4", "*34", "AB*", "1234", "AB?2*"])
    def test_every_query_kind_is_capped(self, backend, world, q):
        full = search(backend, world.alice, q, limit=100)
        assert full.total_relation == "eq" and full.total == len(full.hits) >= 2
        capped = search(backend, world.alice, q, count_limit=1)
        assert (capped.total, capped.total_relation) == (1, "gte")
        assert plates(capped) == plates(full)[:1]
        white = search(backend, world.alice, q, color="white")
        filtered = search(backend, world.alice, q, count_limit=1, color="white")
        assert filtered.total_relation == ("gte" if white.total > 1 else "eq")
        assert plates(filtered) == plates(white)[:1]

    def test_facets_and_counts_follow_create_update_review_and_delete(self, backend, world):
        """Browse totals and facets (kept counts on the embedded engine) equal the database after each write."""
        alice = world.alice

        def reindex(*ids):
            backend.replace_assets(ids, documents_for_assets(ids))
            backend.refresh()

        def expected(prefix="", **filters) -> tuple[int, dict]:
            docs = [
                d
                for d in all_documents()
                if d.owner_id == alice.pk
                and d.folded.startswith(fold(prefix))
                and all(getattr(d, k) == v for k, v in filters.items())
            ]
            facets: dict = {}
            for d in docs:
                month = d.taken_at.astimezone(UTC).strftime("%Y-%m")
                for name, value in zip(
                    FACET_FIELDS, (d.camera_id, d.region, d.color, d.review_status, month), strict=True
                ):
                    if value:
                        facets.setdefault(name, Counter())[value] += 1
            return len(docs), {n: sorted(c.items(), key=lambda i: (-i[1], i[0])) for n, c in facets.items()}

        def check():
            for q in ("", "A", "AB", "N"):
                for filters in ({}, {"camera_id": "gate-1"}, {"review_status": "approved"}):
                    results = search(backend, alice, q, **filters)
                    assert (results.total, results.facets) == expected(q, **filters), (q, filters)

        check()
        created = f.asset(alice, camera_id="gate-9", timestamp=when("2024-07-01"))
        f.reading(created, "NL1234", region="nl", color="orange")
        reindex(created.pk)
        check()
        assert ("gate-9", 1) in search(backend, alice).facets["camera_id"]
        reading = world.readings["fuzzy"]
        reading.review_status = "approved"
        reading.save()
        rejected = world.readings["b0123"]
        rejected.review_status = "rejected"
        rejected.save()
        moved = world.assets["exact"]
        moved.camera_id = "gate-7"
        moved.save()
        reindex(world.assets["fuzzy"].pk, world.assets["b0123"].pk, moved.pk)
        check()
        assert search(backend, alice).total == 9  # one created, one rejected
        created_id = created.pk
        created.delete()
        reindex(created_id)
        check()
        everything = search(backend, alice)
        assert "gate-9" not in dict(everything.facets["camera_id"])
        assert "nl" not in dict(everything.facets["region"])
        assert search(backend, world.bob).total == 1

    @pytest.mark.parametrize("filters", [{}, {"camera_id": "gate-1"}, {"color": "white"}])
    def test_keyset_pages_walk_every_reading_past_the_count_limit(self, backend, world, filters):
        full = search(backend, world.alice, limit=100, **filters)
        walked, after = [], None
        while True:
            page = search(backend, world.alice, limit=2, after=after, count_limit=3, **filters)
            assert page.total == min(full.total, 3)  # the total is the query's, not what is left
            walked += page.hits
            if len(page.hits) < 2:
                break
            last = page.hits[-1].document
            after = (last.taken_at, last.reading_id)
        assert [hit.document.reading_id for hit in walked] == [hit.document.reading_id for hit in full.hits]
        assert len(walked) > 3
