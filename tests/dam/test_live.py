"""End to end, with real processes: `manage.py serve` (web server + Celery worker + beat) on the embedded
SQLite broker and on a real Redis, the REST flow a README reader runs with curl, a worker SIGKILLed
mid-task whose asset the sweep re-queues, and a real headless Chromium uploading on the web page."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import tempfile
from pathlib import Path

import pytest
import requests

from dam.management.commands.bench_api import child_processes
from tests.support.synth import plate_photo

from .processes import Project, start_redis, wait_until

pytestmark = pytest.mark.slow
PLATE = "AB12CDE"
RECOGNITION_TIMEOUT = 120  # first task loads the models on 2 busy cores


def new_project(tmp_path_factory, name: str, **env: str) -> Project:
    project = Project(tmp_path_factory.mktemp(name), **env)
    project.manage("migrate", "--noinput")
    return project


def wait_done(base: str, token: str, request_uuid: str) -> dict:
    headers = {"Authorization": f"Token {token}"}

    def done():
        body = requests.get(f"{base}/api/assets/{request_uuid}/", headers=headers, timeout=10).json()
        return body if body["status"] in ("done", "failed") else None

    return wait_until(done, RECOGNITION_TIMEOUT, interval=0.5, what=f"asset {request_uuid} to be processed")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """`manage.py serve` on the embedded default (SQLite database and SQLite-backed broker)."""
    # A synchronous API call that loads the models on 2 busy cores may take longer than the default 30 s.
    project = new_project(tmp_path_factory, "embedded", PLATELENS_ENGINE_TIMEOUT_SECONDS="120")
    token = project.manage("issue_token", "alice", "--create", "--password", "alice-password").strip()
    base = project.start_server()
    yield project, base, token
    project.close()


def rest_flow(base: str, token: str) -> None:
    """What the README's curl examples do, in order."""
    headers = {"Authorization": f"Token {token}"}
    data = plate_photo(PLATE, seed=3)
    response = requests.post(
        f"{base}/api/assets/",
        headers=headers,
        files={"file": ("car.jpg", data)},
        data={"camera_id": "gate-1"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "pending" and created["duplicate"] is False
    uuid = created["request_uuid"]

    asset = wait_done(base, token, uuid)
    assert asset["status"] == "done", asset
    assert "AB12 CDE" in asset["plate_numbers"], asset
    reading = next(r for r in asset["readings"] if r["plate"] == PLATE.lower())
    assert asset["model_version"]

    again = requests.post(
        f"{base}/api/assets/", headers=headers, files={"file": ("again.jpg", data)}, timeout=30
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True

    listed = requests.get(f"{base}/api/assets/", headers=headers, params={"plate": PLATE}, timeout=10).json()
    assert [a["request_uuid"] for a in listed["results"]] == [uuid]

    review = requests.patch(
        f"{base}/api/assets/{uuid}/readings/{reading['id']}/",
        headers=headers,
        json={"status": "corrected", "corrected_plate": "AB12CDF"},
        timeout=10,
    )
    assert review.status_code == 200, review.text
    metadata = requests.get(f"{base}/api/assets/{uuid}/metadata/", headers=headers, timeout=10).json()
    assert metadata["status"] == "success" and "AB12 CDF" in metadata["result"]["plate_number"]

    # Reprocess: the worker runs the engine again; the human correction survives.
    assert (
        requests.post(f"{base}/api/assets/{uuid}/reprocess/", headers=headers, timeout=10).status_code == 202
    )
    wait_until(
        lambda: (
            requests.get(f"{base}/api/assets/{uuid}/", headers=headers, timeout=10).json()["status"] == "done"
        ),
        RECOGNITION_TIMEOUT,
        interval=0.5,
        what="reprocessing",
    )
    asset = requests.get(f"{base}/api/assets/{uuid}/", headers=headers, timeout=10).json()
    assert "AB12 CDF" in asset["plate_numbers"] and "AB12 CDE" not in asset["plate_numbers"], asset

    bad = requests.post(
        f"{base}/api/assets/", headers=headers, files={"file": ("x.jpg", b"not an image")}, timeout=10
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "not_an_image"
    assert requests.get(f"{base}/api/assets/", timeout=10).status_code == 401

    assert requests.delete(f"{base}/api/assets/{uuid}/", headers=headers, timeout=10).status_code == 204
    assert requests.get(f"{base}/api/assets/{uuid}/", headers=headers, timeout=10).status_code == 404


def test_rest_flow_on_the_embedded_default(embedded):
    project, base, token = embedded
    rest_flow(base, token)


@pytest.mark.redis
def _loaded(pid: int, library: str) -> bool:
    return library in (Path("/proc") / str(pid) / "maps").read_text()


def test_plate_reader_api_recognizes_in_the_worker_never_in_the_web_process(embedded):
    project, base, _ = embedded
    token = project.manage("issue_token", "bob", "--create").strip()
    response = requests.post(
        f"{base}/v1/plate-reader/",
        headers={"Authorization": f"Token {token}"},
        files={"upload": ("car.jpg", plate_photo(PLATE, seed=4))},
        timeout=RECOGNITION_TIMEOUT,
    )
    assert response.status_code == 201, response.text
    assert [r["plate"] for r in response.json()["results"]] == [PLATE.lower()]
    serve = next(p for p, _ in project.processes if p.name == "serve")
    children = child_processes(serve.pid)
    web = next(pid for pid, cmd in children.items() if "gunicorn" in cmd)
    worker = next(pid for pid, cmd in children.items() if "celery" in cmd)
    assert _loaded(worker, "onnxruntime")  # the check sees the engine where it runs
    web_processes = [web, *child_processes(web)]  # gunicorn's master and its workers
    assert len(web_processes) > 1
    for pid in web_processes:
        assert not _loaded(pid, "onnxruntime") and not _loaded(pid, "paddle"), pid


def test_rest_flow_on_redis(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("redis-server")
    started = start_redis(var_dir)
    if started is None:
        pytest.skip("redis-server is not installed (Debian package redis-server): the Redis run is skipped")
    redis_proc, port = started
    project = new_project(tmp_path_factory, "redis", CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    try:
        token = project.manage("issue_token", "alice", "--create").strip()
        base = project.start_server()
        rest_flow(base, token)
        transport = next(line for line in project.log("serve").splitlines() if "transport:" in line)
        assert "redis://" in transport and f"127.0.0.1:{port}/0" in transport  # the worker really used Redis
    finally:
        project.close()
        redis_proc.terminate()
        redis_proc.wait(10)


def _status(project: Project, request_uuid: str | None = None) -> tuple[str, int] | None:
    query, args = "select status, attempts from dam_asset", ()
    if request_uuid:
        query, args = query + " where request_uuid = ?", (request_uuid.replace("-", ""),)
    with sqlite3.connect(project.var_dir / "db.sqlite3", timeout=30) as db:
        return db.execute(query, args).fetchone()


def test_worker_killed_mid_task_and_the_sweep_requeues(tmp_path_factory):
    project = new_project(
        tmp_path_factory, "sigkill", PLATELENS_STUCK_AFTER_SECONDS="3", PLATELENS_SWEEP_INTERVAL_SECONDS="1"
    )
    project.manage("issue_token", "alice", "--create")
    folder = project.var_dir / "incoming"
    folder.mkdir()
    (folder / "car.jpg").write_bytes(plate_photo(PLATE, seed=5))

    worker = project.start_worker("doomed")
    output = project.manage("ingest", str(folder), "--owner", "alice", "--no-progress")
    assert "1 new, 0 duplicate, 0 failed" in output
    wait_until(lambda: (_status(project) or ("",))[0] == "processing", 60, interval=0.05, what="processing")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)
    assert _status(project) == ("processing", 1)  # orphaned: nobody will finish it

    project.start_worker("rescuer", beat=True)
    wait_until(
        lambda: _status(project)[0] == "done", RECOGNITION_TIMEOUT, interval=0.3, what="the sweep to re-queue"
    )
    assert _status(project) == ("done", 2)
    assert "re-queued 1 stuck" in project.log("rescuer")
    with sqlite3.connect(project.var_dir / "db.sqlite3") as db:
        plates = [row[0] for row in db.execute("select plate from dam_platereading")]
    assert PLATE.lower() in plates
    project.close()


def test_serve_stops_cleanly_on_sigterm_and_fails_when_a_child_dies(tmp_path_factory):
    project = new_project(tmp_path_factory, "stop")
    token = project.manage("issue_token", "alice", "--create").strip()
    base = project.start_server("serve")
    proc = next(p for p, _ in project.processes if p.name == "serve")

    def upload(seed: int) -> str:
        response = requests.post(
            f"{base}/api/assets/",
            headers={"Authorization": f"Token {token}"},
            files={"file": ("car.jpg", plate_photo(PLATE, seed=seed, size=(2560, 1440)))},
            timeout=30,
        )
        assert response.status_code == 201
        return response.json()["request_uuid"]

    wait_done(base, token, upload(8))  # the worker has loaded the engine (and paddle its signal handlers)
    second = upload(9)
    wait_until(lambda: _status(project, second)[0] == "processing", 60, interval=0.02, what="processing")
    # SIGTERM while the engine runs: the worker finishes the task, then everything stops.
    assert project.stop(proc, signal.SIGTERM) == 0
    log = project.log("serve")
    assert "Warm shutdown" in log and "platelens: stopped." in log and "FatalError" not in log
    assert _status(project, second) == ("done", 1)

    project.start_server("serve-2")
    proc = next(p for p, _ in project.processes if p.name == "serve-2")
    web_pid = int(re.search(r"gunicorn pid (\d+)", project.log("serve-2")).group(1))
    os.kill(web_pid, signal.SIGKILL)
    assert proc.wait(30) != 0
    assert "the web process exited" in project.log("serve-2")
    project.close()


@pytest.mark.browser
def test_browser_upload_shows_the_plate(embedded, tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromium-driver (Debian packages) are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    project, base, _ = embedded
    image = tmp_path / "browser-car.jpg"
    image.write_bytes(plate_photo(PLATE, seed=11))
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync"
    ).split():
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-', dir=tmp_path)}")
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        driver.get(f"{base}/accounts/login/?next=/")
        driver.find_element(By.NAME, "username").send_keys("alice")
        driver.find_element(By.NAME, "password").send_keys("alice-password")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait_until(lambda: driver.find_elements(By.ID, "dropzone"), 20, what="the upload page")
        file_input = driver.find_element(By.ID, "file-input")
        driver.execute_script("arguments[0].hidden = false;", file_input)
        file_input.send_keys(str(Path(image)))

        def plate_shown():
            cards = driver.find_elements(By.CSS_SELECTOR, "#uploads .card")
            texts = [p.text for c in cards for p in c.find_elements(By.CSS_SELECTOR, "ul.readings .plate")]
            return "AB12 CDE" in texts  # the plate as printed

        wait_until(plate_shown, RECOGNITION_TIMEOUT, interval=0.5, what="the plate on the page")
        card = driver.find_element(By.CSS_SELECTOR, "#uploads .card")
        assert card.get_attribute("data-status") == "done"
        assert card.find_elements(By.CSS_SELECTOR, "svg.boxes polygon, svg.boxes rect")  # the box is drawn
        driver.get(f"{base}/assets/")
        assert "AB12 CDE" in driver.find_element(By.ID, "asset-grid").text
    finally:
        driver.quit()
