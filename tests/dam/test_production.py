"""The README's production layout, run for real (issue 11, findings 9-12): a throw-away PostgreSQL, a
redis-server broker, the web under gunicorn (`serve --no-worker`), one recognition worker and one maintenance
worker with beat, sharing the database, the broker and the media folder. A few uploads are recognized and
found by search, and the web's PostgreSQL connections stay bounded by its pool under 16 parallel clients."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from dam.management.commands.serve import worker_command
from tests.search.test_postgres import postgres_url  # noqa: F401 - the throw-away cluster fixture
from tests.support.synth import plate_photo

from .processes import Project, free_port, start_redis, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.redis]
PLATE = "AB12CDE"
WEB_PROCESSES, WEB_THREADS, POOL_SIZE = 2, 4, 4


def _client_connections(admin_url: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as db:
        return db.execute(
            "select count(*) from pg_stat_activity where datname = 'platelens' and backend_type = 'client backend'"
        ).fetchone()[0]


def test_postgres_redis_gunicorn_and_two_workers(tmp_path_factory, postgres_url):  # noqa: F811
    admin_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute("drop database if exists platelens")
        db.execute("create database platelens")
    var_dir = tmp_path_factory.mktemp("production")
    started = start_redis(var_dir)
    if started is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    redis_proc, redis_port = started
    project = Project(
        var_dir,
        DATABASE_URL=postgres_url,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        PLATELENS_DB_POOL_SIZE=str(POOL_SIZE),
    )
    try:
        project.manage("migrate", "--noinput")
        token = project.manage("issue_token", "alice", "--create").strip()
        headers = {"Authorization": f"Token {token}"}
        port = free_port()
        web = project.start(
            "web",
            [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(port),
             "--web-workers", str(WEB_PROCESSES), "--web-threads", str(WEB_THREADS)],
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        recognition = project.start(
            "recognition", worker_command(hostname="recognition@%h", queues=("celery",))
        )
        maintenance = project.start(
            "maintenance",
            worker_command(
                hostname="maintenance@%h", queues=("maintenance",), beat_schedule=str(var_dir / "beat")
            ),
        )

        def up() -> bool:
            for proc in (web, recognition, maintenance):
                assert proc.poll() is None, project.log(proc.name)
            try:
                return requests.get(f"{base}/api/schema/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, 60, what="gunicorn")
        for name in ("recognition", "maintenance"):
            wait_until(lambda name=name: "ready." in project.log(name), 90, what=f"the {name} worker")
        assert "Starting gunicorn" in project.log("web")

        def upload(seed: int) -> str:
            response = requests.post(
                f"{base}/api/assets/",
                headers=headers,
                files={"file": ("car.jpg", plate_photo(PLATE, seed=seed, size=(640, 360)))},
                timeout=60,
            )
            assert response.status_code == 201, response.text
            return response.json()["request_uuid"]

        with ThreadPoolExecutor(4) as pool:
            uuids = list(pool.map(upload, range(300, 304)))

        def all_done() -> bool:
            statuses = [
                requests.get(f"{base}/api/assets/{u}/", headers=headers, timeout=10).json()["status"]
                for u in uuids
            ]
            return all(s == "done" for s in statuses)

        wait_until(all_done, 180, interval=1, what="the uploads to be recognized")
        # Recognition ran in the recognition worker, indexing in the maintenance worker (its own queue).
        assert "recognize_asset[" in project.log("recognition")
        assert "recognize_asset[" not in project.log("maintenance")
        assert "index_pending[" in project.log("maintenance")

        def found() -> bool:
            hits = requests.get(
                f"{base}/api/search/", headers=headers, params={"q": PLATE}, timeout=10
            ).json()
            return {h["asset"]["request_uuid"] for h in hits["results"]} >= set(uuids)

        wait_until(found, 60, interval=1, what="search to find the uploads")

        # 16 parallel clients: the web's connections are bounded by its pool (processes x pool size).
        peak, stop = [0], threading.Event()

        def sample() -> None:
            while not stop.wait(0.05):
                peak[0] = max(peak[0], _client_connections(admin_url))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def browse(_: int) -> int:
            codes = set()
            for _ in range(10):
                codes.add(requests.get(f"{base}/api/assets/", headers=headers, timeout=30).status_code)
            return max(codes)

        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(browse, range(16))) == {200}
        stop.set()
        sampler.join(5)
        time.sleep(0.5)
        workers_bound = 2 * POOL_SIZE  # the two Celery workers' pools
        assert peak[0] <= WEB_PROCESSES * POOL_SIZE + workers_bound, peak[0]
        print(f"\npeak PostgreSQL client connections with 16 parallel clients: {peak[0]}")
    finally:
        project.close()
        redis_proc.terminate()
        redis_proc.wait(10)
