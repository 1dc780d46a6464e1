"""Load against a live `manage.py serve` (issue 11, findings 4, 5 and 11): 100 concurrent uploads all
answered 2xx and all recognized while the web keeps answering; a SIGKILLed worker is restarted by serve and
re-queues at once the asset it had claimed (the sweep is set far away, so it cannot be what saves it)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from plates.text import normalize as normalize_plate
from tests.support.synth import plate_photo

from .processes import Project, wait_until

pytestmark = [pytest.mark.load, pytest.mark.slow]
PLATE = "AB12CDE"
UPLOADS = 100
IMAGE_SIZE = (640, 360)


class Prober(threading.Thread):
    """Asks the web server for a cheap page every 0.25 s and records every answer that was not 200."""

    def __init__(self, url: str, token: str):
        super().__init__(daemon=True)
        self.url, self.headers = url, {"Authorization": f"Token {token}"}
        self.answers = 0
        self.failures: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            try:
                status = requests.get(self.url, headers=self.headers, timeout=10).status_code
                if status != 200:
                    self.failures.append(f"HTTP {status}")
            except requests.RequestException as exc:
                self.failures.append(type(exc).__name__)
            self.answers += 1


def _statuses(project: Project) -> dict[str, int]:
    with sqlite3.connect(project.var_dir / "db.sqlite3", timeout=30) as db:
        return dict(db.execute("select status, count(*) from dam_asset group by status").fetchall())


def _worker_pid(project: Project) -> int:
    pids = re.findall(r"worker (?:restarted \()?pid (\d+)", project.log("serve"))
    return int(pids[-1])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("load"), PLATELENS_STUCK_AFTER_SECONDS="3600")
    project.manage("migrate", "--noinput")
    token = project.manage("issue_token", "alice", "--create").strip()
    base = project.start_server()
    yield project, base, token
    project.close()


def test_100_concurrent_uploads_are_all_accepted_and_recognized(served):
    project, base, token = served
    images = [plate_photo(PLATE, seed=1000 + i, size=IMAGE_SIZE) for i in range(UPLOADS)]
    prober = Prober(f"{base}/api/assets/?page_size=1", token)
    prober.start()

    def upload(data: bytes) -> int:
        response = requests.post(
            f"{base}/api/assets/",
            headers={"Authorization": f"Token {token}"},
            files={"file": ("car.jpg", data)},
            timeout=120,
        )
        return response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(UPLOADS) as pool:
        codes = list(pool.map(upload, images))
    accepted_in = time.monotonic() - started
    assert codes == [201] * UPLOADS  # no connection resets, nothing lost

    def searchable() -> dict | None:
        hits = requests.get(
            f"{base}/api/search/",
            headers={"Authorization": f"Token {token}"},
            params={"q": PLATE},
            timeout=10,
        ).json()["results"]
        return _statuses(project) if hits else None

    # Indexing has its own queue: the first recognized plates are searchable while the backlog is still there.
    during = wait_until(searchable, UPLOADS * 2, interval=0.5, what="the first plates to be searchable")
    assert during.get("pending", 0) > 0, during
    wait_until(
        lambda: _statuses(project).get("done", 0) == UPLOADS,
        UPLOADS * 4,
        interval=1,
        what=f"{UPLOADS} assets to be done",
    )
    prober.stop.set()
    prober.join(15)
    recognized_in = time.monotonic() - started
    with sqlite3.connect(project.var_dir / "db.sqlite3") as db:
        without_reading = db.execute(
            "select count(*) from dam_asset a where not exists "
            "(select 1 from dam_platereading r where r.asset_id = a.id)"
        ).fetchone()[0]
    assert without_reading == 0
    assert prober.answers > 0 and prober.failures == [], prober.failures
    print(
        f"\n{UPLOADS} concurrent uploads accepted in {accepted_in:.1f}s, all recognized in "
        f"{recognized_in:.1f}s; web answered {prober.answers} probes meanwhile, 0 failed"
    )


def test_a_killed_worker_is_restarted_and_its_asset_done_within_60s(served):
    project, base, token = served
    headers = {"Authorization": f"Token {token}"}
    before = _statuses(project).get("done", 0)
    uuids = []
    for seed in (2001, 2002, 2003):
        response = requests.post(
            f"{base}/api/assets/",
            headers=headers,
            files={"file": ("car.jpg", plate_photo(PLATE, seed=seed, size=IMAGE_SIZE))},
            timeout=30,
        )
        assert response.status_code == 201
        uuids.append(response.json()["request_uuid"])
    wait_until(
        lambda: _statuses(project).get("processing", 0) == 1, 60, interval=0.02, what="a task in progress"
    )
    prober = Prober(f"{base}/api/assets/?page_size=1", token)
    prober.start()
    doomed = _worker_pid(project)
    os.killpg(doomed, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: _worker_pid(project) != doomed, 30, what="serve to restart the worker")
    wait_until(
        lambda: _statuses(project).get("done", 0) == before + 3,
        60,
        interval=0.5,
        what="every asset done after the kill",
    )
    prober.stop.set()
    prober.join(15)
    assert prober.failures == [], prober.failures
    assert "re-queued 1 assets it had claimed" in project.log("serve")
    for uuid in uuids:
        asset = requests.get(f"{base}/api/assets/{uuid}/", headers=headers, timeout=10).json()
        assert asset["status"] == "done" and PLATE in map(normalize_plate, asset["plate_numbers"]), asset
    print(
        f"\nworker SIGKILLed mid-task: restarted, all 3 assets done {time.monotonic() - killed_at:.1f}s later"
    )
