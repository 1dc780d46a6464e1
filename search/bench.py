"""Benchmark of the embedded backend: `python -m search.bench --readings 1000000`.

Creates a throw-away database (unless --var-dir is given), generates synthetic assets and readings with
realistic plate formats, indexes them from the database exactly as `search_reindex` does, then times
searches as the API runs them (one page of 25, total count and facets) for several query kinds."""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from plates.color import COLORS
from plates.text import lookalikes

LETTERS = string.ascii_uppercase
DIGITS = string.digits
FORMATS = ("LL999LL", "LL9999", "9LLL999", "LLL9999", "L999LLL", "LL99LLL")
CAMERAS = [f"cam-{n:02d}" for n in range(20)]
REGIONS = ["de", "fr", "it", "es", "nl", "pl", "be", "at"]


def random_plate(rng: random.Random) -> str:
    fmt = rng.choice(FORMATS)
    return "".join(rng.choice(LETTERS) if c == "L" else rng.choice(DIGITS) if c == "9" else c for c in fmt)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def generate(readings: int, per_asset: int, rng: random.Random, progress) -> tuple[int, list[str]]:
    """Bulk-create users, assets and readings; returns the main owner's id and a sample of plates."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from dam.models import Asset, PlateReading

    user_model = get_user_model()
    main = user_model.objects.create_user("bench-main", password="x")
    other = user_model.objects.create_user("bench-other", password="x")
    start = datetime(2023, 1, 1, tzinfo=UTC)
    sample: list[str] = []
    assets_total = (readings + per_asset - 1) // per_asset
    batch = 5000
    made = 0
    with progress(total=readings, unit="reading", desc="generate") as bar:
        for first in range(0, assets_total, batch):
            count = min(batch, assets_total - first)
            assets = []
            for n in range(first, first + count):
                owner = other if n % 10 == 9 else main  # 10% belong to someone else
                stamp = start + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
                assets.append(
                    Asset(
                        owner=owner,
                        request_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                        sha1=f"{n:040x}",
                        content_type="image/jpeg",
                        camera_id=rng.choice(CAMERAS),
                        timestamp=stamp,
                        created_on=stamp,
                        status=Asset.Status.DONE,
                    )
                )
            with transaction.atomic():
                Asset.objects.bulk_create(assets, batch_size=1000)
                rows = []
                for asset in assets:
                    for index in range(per_asset):
                        if made >= readings:
                            break
                        plate = random_plate(rng)
                        if asset.owner_id == main.pk and rng.random() < 0.01:
                            sample.append(plate)
                        rows.append(
                            PlateReading(
                                asset=asset,
                                index=index,
                                plate=plate,
                                score=0.9,
                                dscore=0.9,
                                box={"xmin": 10, "ymin": 10, "xmax": 120, "ymax": 40},
                                region_code=rng.choice(REGIONS),
                                color=rng.choice(COLORS),
                                review_status="approved" if rng.random() < 0.2 else "unreviewed",
                            )
                        )
                        made += 1
                PlateReading.objects.bulk_create(rows, batch_size=1000)
            bar.update(len(rows))
    return main.pk, sample


def queries(kind: str, plates: list[str], rng: random.Random, n: int) -> list[str]:
    out = []
    while len(out) < n:
        plate = rng.choice(plates)
        if kind == "exact":
            q = plate if rng.random() < 0.5 else f"{plate[:2].lower()}-{plate[2:]}"
        elif kind == "fragment":
            i = rng.randrange(0, len(plate) - 3)
            q = plate[i : i + 4]
        elif kind == "wildcard":
            q = f"{plate[:2]}?{plate[3]}*"
        elif kind == "browse":
            q = ""  # no text: the owner's newest readings, total and facets over all of them
        elif kind == "leading wildcard":
            q = f"*{plate[-3:]}"
        elif kind == "2-char prefix":
            q = plate[:2]
        elif kind == "confusion":
            spots = [i for i, ch in enumerate(plate) if lookalikes(ch)]
            if not spots:
                continue
            chars = list(plate)
            for i in rng.sample(spots, min(2, len(spots))):
                chars[i] = rng.choice(lookalikes(chars[i]))
            q = "".join(chars)
        else:  # fuzzy: one substitution by a character outside the confusion classes
            i = rng.randrange(len(plate))
            q = plate[:i] + rng.choice("AHKMNPRTUVWXY") + plate[i + 1 :]
        out.append(q)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--per-asset", type=int, default=2, help="readings per asset")
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--var-dir", help="keep the database here (default: a temporary folder)")
    args = parser.parse_args(argv)

    scratch = None if args.var_dir else tempfile.mkdtemp(prefix="platelens-bench-")
    os.environ["PLATELENS_VAR_DIR"] = args.var_dir or scratch
    try:
        return run(args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platelens.settings")
    os.environ["SEARCH_BACKEND"] = "embedded"
    os.environ.setdefault("PLATELENS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from tqdm import tqdm

    from dam.models import PlateReading
    from search.backends import get_backend
    from search.backends.base import SearchQuery
    from search.documents import all_documents
    from search.text import PlateQuery

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    backend = get_backend()
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor})")

    existing = get_user_model().objects.filter(username="bench-main").first()
    if existing:
        # --var-dir holding the database of an earlier run: time the queries only.
        owner_id = existing.pk
        sample = (
            PlateReading.objects.filter(asset__owner=existing).order_by("?").values_list("plate", flat=True)
        )
        plates = list(sample[:5000])
        indexed = backend.count()
        print(f"reusing {indexed} indexed documents")
    else:
        started = time.perf_counter()
        owner_id, plates = generate(args.readings, args.per_asset, rng, tqdm)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        indexed = backend.rebuild(tqdm(all_documents(), total=args.readings, unit="doc", desc="index"))
        indexing = time.perf_counter() - started
        print(f"generated {args.readings} readings in {generated:.1f} s")
        print(
            f"indexed {indexed} documents in {indexing:.1f} s: {indexed / indexing:,.0f} docs/s (DB -> index)"
        )

    rows = []
    kinds = (
        "exact",
        "fragment",
        "wildcard",
        "confusion",
        "fuzzy",
        "leading wildcard",
        "2-char prefix",
        "browse",
    )
    for kind in kinds:
        texts = queries(kind, plates, rng, args.queries if kind != "browse" else 10)
        for text in texts[: 1 if kind == "browse" else 10]:  # warm the page cache
            backend.search(SearchQuery(owner_id=owner_id, text=PlateQuery.parse(text)))
        times, totals = [], []
        for text in texts:
            began = time.perf_counter()
            result = backend.search(SearchQuery(owner_id=owner_id, text=PlateQuery.parse(text)))
            times.append((time.perf_counter() - began) * 1000)
            totals.append(result.total)
        stats = (statistics.median(times), percentile(times, 95), max(times), statistics.mean(totals))
        rows.append((kind, texts[0], len(texts), *stats))

    print(
        f"\n{indexed:,} documents; the owner searched holds 90 % of them; page of 25 + count + facets per query"
    )
    print("| query kind | example | queries | p50 ms | p95 ms | max ms | mean hits |")
    print("|---|---|---|---|---|---|---|")
    for kind, example, count, p50, p95, worst, hits in rows:
        print(f"| {kind} | `{example}` | {count} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {hits:,.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
