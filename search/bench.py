"""Benchmark of the embedded backend: `python -m search.bench --readings 1000000`.

Creates a throw-away database (unless --var-dir is given), generates synthetic assets and readings with
realistic plate formats, indexes them from the database exactly as `search_reindex` does, then times
searches as the API runs them (one page of 25, total count and facets) for several query kinds; then, against
`manage.py serve` on that database, `GET /api/search/` end to end over HTTP and the search page's first
paint in headless Chromium (skipped when chromium and chromedriver are not installed)."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plates.color import COLORS
from plates.text import lookalikes

LETTERS = string.ascii_uppercase
DIGITS = string.digits
FORMATS = ("LL999LL", "LL9999", "9LLL999", "LLL9999", "L999LLL", "LL99LLL")
CAMERAS = [f"cam-{n:02d}" for n in range(20)]
REGIONS = ["de", "fr", "it", "es", "nl", "pl", "be", "at"]
ROOT = Path(__file__).resolve().parents[1]
KINDS = (
    "exact",
    "fragment",
    "wildcard",
    "confusion",
    "fuzzy",
    "leading wildcard",
    "2-char prefix",
    "browse",
    "browse one camera",
)
# Through the app server: the query kinds of the issue that were slow, and a cheap one for comparison.
API_KINDS = ("browse", "browse one camera", "2-char prefix", "leading wildcard", "exact")
CHROMIUM_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)


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


def queries(kind: str, plates: list[str], rng: random.Random, n: int) -> list[dict[str, str]]:
    """`n` requests of one kind, as API parameters."""
    out = []
    while len(out) < n:
        plate = rng.choice(plates)
        if kind == "browse one camera":  # a camera facet clicked on the first view: 5 % of the account
            out.append({"q": "", "camera_id": rng.choice(CAMERAS)})
            continue
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
        out.append({"q": q})
    return out


def describe(params: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if k != "q") or f"`{params['q']}`"


def search_query(owner_id: int, params: dict[str, str]):
    from search.backends.base import SearchQuery
    from search.text import PlateQuery

    return SearchQuery(
        owner_id=owner_id, text=PlateQuery.parse(params["q"]), camera_id=params.get("camera_id", "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--per-asset", type=int, default=2, help="readings per asset")
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--var-dir", help="keep the database here (default: a temporary folder)")
    parser.add_argument("--reindex", action="store_true", help="with --var-dir: rebuild the kept index first")
    parser.add_argument("--api-queries", type=int, default=100, help="HTTP requests per kind (0: skip)")
    parser.add_argument("--page-loads", type=int, default=10, help="search page loads in Chromium (0: skip)")
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
    from search.documents import all_documents

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    backend = get_backend()
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor})")

    existing = get_user_model().objects.filter(username="bench-main").first()
    if existing:
        # --var-dir holding the database of an earlier run: no generation.
        owner_id = existing.pk
        sample = (
            PlateReading.objects.filter(asset__owner=existing).order_by("?").values_list("plate", flat=True)
        )
        plates = list(sample[:5000])
    else:
        started = time.perf_counter()
        owner_id, plates = generate(args.readings, args.per_asset, rng, tqdm)
        print(f"generated {args.readings} readings in {time.perf_counter() - started:.1f} s")
    if existing and not args.reindex:
        indexed = backend.count()
        print(f"reusing {indexed} indexed documents")
    else:
        total = PlateReading.objects.count()
        started = time.perf_counter()
        indexed = backend.rebuild(tqdm(all_documents(), total=total, unit="doc", desc="index"))
        indexing = time.perf_counter() - started
        print(
            f"indexed {indexed} documents in {indexing:.1f} s: {indexed / indexing:,.0f} docs/s (DB -> index)"
        )

    rows = []
    load_before = os.getloadavg()[0]
    for kind in KINDS:
        requests = queries(kind, plates, rng, 20 if kind.startswith("browse") else args.queries)
        for params in requests[:2]:  # warm the page cache
            backend.search(search_query(owner_id, params))
        times, totals = [], []
        for params in requests:
            began = time.perf_counter()
            result = backend.search(search_query(owner_id, params))
            times.append((time.perf_counter() - began) * 1000)
            totals.append(result.total)
        stats = (statistics.median(times), percentile(times, 95), max(times), statistics.mean(totals))
        rows.append((kind, describe(requests[0]), len(requests), *stats))

    print(
        f"\n{indexed:,} documents; the owner searched holds 90 % of them; page of 25 + count + facets per query"
        f" (counts exact up to 10,000); {os.cpu_count()} CPUs, load average {load_before:.1f} before and"
        f" {os.getloadavg()[0]:.1f} after the queries"
    )
    print("| query kind | example | queries | p50 ms | p95 ms | max ms | mean hits |")
    print("|---|---|---|---|---|---|---|")
    for kind, example, count, p50, p95, worst, hits in rows:
        print(f"| {kind} | {example} | {count} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {hits:,.1f} |")

    if args.api_queries or args.page_loads:
        from rest_framework.authtoken.models import Token

        token = Token.objects.get_or_create(user_id=owner_id)[0].key
        with live_server(os.environ["PLATELENS_VAR_DIR"]) as url:
            if args.api_queries:
                time_api(url, token, plates, rng, args.api_queries)
            if args.page_loads:
                time_first_paint(url, args.page_loads)
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(var_dir: str) -> Iterator[str]:
    """`manage.py serve --no-worker` on a free loopback port, on the benchmark's database."""
    port = _free_port()
    env = {**os.environ, "PLATELENS_VAR_DIR": var_dir, "SEARCH_BACKEND": "embedded"}
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--no-worker", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("manage.py serve did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def time_api(url: str, token: str, plates: list[str], rng: random.Random, count: int) -> None:
    """GET /api/search/ over HTTP, as a client sees it: authentication, parsing, search, JSON of 25 hits."""
    print(f"\nGET /api/search/ through `manage.py serve`, one client, {count} requests per kind")
    print("| query kind | p50 ms | p95 ms | max ms | count of the last |")
    print("|---|---|---|---|---|")
    for kind in API_KINDS:
        requests = queries(kind, plates, rng, count)
        times, last = [], {}
        for n, params in enumerate([requests[0]] * 3 + requests):  # three warm-up requests
            request = urllib.request.Request(
                f"{url}/api/search/?{urllib.parse.urlencode(params)}",
                headers={"Authorization": f"Token {token}"},
            )
            began = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as response:
                last = json.loads(response.read())
            if n >= 3:
                times.append((time.perf_counter() - began) * 1000)
        counted = f"{last['count']:,}{'+' if last.get('count_relation') == 'gte' else ''}"
        print(
            f"| {kind} | {statistics.median(times):.1f} | {percentile(times, 95):.1f} | {max(times):.1f}"
            f" | {counted} |"
        )


def chromium_driver(profile_dir: str):
    """Headless Chromium driven through chromedriver (the Debian packages chromium and chromium-driver)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS.split():
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def time_first_paint(url: str, loads: int) -> None:
    """The search page's first view (browse: newest readings and the account's facets) in headless Chromium:
    server time to the first byte and the first contentful paint, from the browser's own timings."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        print("\nsearch page in Chromium: skipped (install the Debian packages chromium and chromium-driver)")
        return
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="platelens-bench-chromium-")
    driver = chromium_driver(profile)
    try:
        driver.get(f"{url}/accounts/login/?next=/search/")
        driver.find_element(By.NAME, "username").send_keys("bench-main")
        driver.find_element(By.NAME, "password").send_keys("x")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        first_bytes, paints = [], []
        script = (
            "const n = performance.getEntriesByType('navigation')[0];"
            "const p = performance.getEntriesByName('first-contentful-paint')[0];"
            "return p ? [n.responseStart - n.requestStart, p.startTime,"
            " document.querySelectorAll('#results .hit').length,"
            " document.getElementById('result-count').textContent] : null;"
        )
        for _ in range(loads):
            driver.get(f"{url}/search/")
            deadline = time.monotonic() + 10
            while (timing := driver.execute_script(script)) is None and time.monotonic() < deadline:
                time.sleep(0.05)  # the paint entry can follow the load event
            if timing is None:
                raise RuntimeError("Chromium reported no first contentful paint")
            first_bytes.append(timing[0])
            paints.append(timing[1])
        shown = f"{timing[2]} hits, '{timing[3]}'"
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"\n/search/ (first view) in headless Chromium, {loads} loads: {shown}")
    print("| measure | p50 ms | max ms |")
    print("|---|---|---|")
    print(
        f"| server, request to first byte | {statistics.median(first_bytes):.1f} | {max(first_bytes):.1f} |"
    )
    print(f"| first contentful paint | {statistics.median(paints):.1f} | {max(paints):.1f} |")


if __name__ == "__main__":
    sys.exit(main())
