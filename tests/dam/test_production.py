"""The README's production layout, run for real (issue 11, findings 9-12): a throw-away PostgreSQL, a
redis-server broker, the web under gunicorn (`serve --no-worker`), one recognition worker and one maintenance
worker with beat, sharing the database, the broker and the media folder. A few uploads are recognized and
found by search, and the web's PostgreSQL connections stay bounded by its pool under 16 parallel clients.
And the README's nginx block in front of gunicorn, sending photos only after the app checked ownership."""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests

from dam.management.commands.serve import worker_command
from tests.search.test_postgres import postgres_url  # noqa: F401 - the throw-away cluster fixture
from tests.support.synth import plate_photo

from .processes import ROOT, Project, free_port, start_redis, wait_until

pytestmark = pytest.mark.slow
PLATE = "AB12CDE"
WEB_PROCESSES, WEB_THREADS, POOL_SIZE = 2, 4, 4


def _client_connections(admin_url: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as db:
        return db.execute(
            "select count(*) from pg_stat_activity where datname = 'platelens' and backend_type = 'client backend'"
        ).fetchone()[0]


@pytest.mark.redis
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


def test_nginx_from_the_readme_sends_owner_checked_photos(tmp_path_factory):
    """The README's nginx block, as written (TLS and names swapped for a loopback port and this run's
    folders), in front of `serve --no-worker` with PLATELENS_MEDIA_ACCEL=x-accel-redirect."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (Debian package nginx-light)")
    readme = (ROOT / "README.md").read_text()
    server = re.search(r"```nginx\n(.*?)```", readme, re.S).group(1)
    var_dir = tmp_path_factory.mktemp("nginx")
    project = Project(var_dir, PLATELENS_MEDIA_ACCEL="x-accel-redirect")
    project.manage("migrate", "--noinput")
    project.manage("collectstatic", "--noinput")
    token = project.manage("issue_token", "alice", "--create").strip()
    app_port, proxy_port = free_port(), free_port()
    server = (
        server.replace("listen 443 ssl;", f"listen 127.0.0.1:{proxy_port};")
        .replace("/srv/platelens/static/", f"{var_dir}/static/")
        .replace("/srv/platelens/media/", f"{var_dir}/media/")
        .replace("http://127.0.0.1:8000", f"http://127.0.0.1:{app_port}")
    )
    temp = " ".join(f"{kind}_temp_path {var_dir}/nginx-{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    (var_dir / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\npid {var_dir}/nginx.pid;\nerror_log {var_dir}/nginx-error.log;\nevents {{}}\n"
        + f"http {{\naccess_log off;\n{temp}\n{server}}}\n"
    )
    try:
        project.start("web", [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(app_port)])
        project.start("nginx", [nginx, "-c", str(var_dir / "nginx.conf")])
        base = f"http://127.0.0.1:{proxy_port}"

        def up() -> bool:
            try:
                return requests.get(f"{base}/api/schema/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, 60, what="nginx and gunicorn")
        assert requests.get(f"{base}/static/admin/css/base.css", timeout=10).status_code == 200
        photo = plate_photo(PLATE, seed=400, size=(640, 360))
        headers = {"Authorization": f"Token {token}"}
        created = requests.post(
            f"{base}/api/assets/", headers=headers, files={"file": ("car.jpg", photo)}, timeout=30
        )
        assert created.status_code == 201, created.text
        file_url = created.json()["file_url"]
        owner = requests.get(base + file_url, headers=headers, timeout=10)
        assert owner.status_code == 200 and owner.content == photo  # sent by nginx from the internal location
        assert "X-Accel-Redirect" not in owner.headers
        assert requests.get(base + file_url, timeout=10).status_code == 401
        stored = next((var_dir / "media").rglob("*.jpg")).relative_to(var_dir / "media")
        assert requests.get(f"{base}/protected-media/{stored}", timeout=10).status_code == 404
        assert requests.get(f"{base}/media/{stored}", timeout=10).status_code == 404
    finally:
        project.close()
