"""Real processes for the end-to-end tests: an isolated project folder (database, media, broker file),
management commands, `manage.py serve`, Celery workers and redis-server, started and stopped by pid."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from dam.management.commands.serve import worker_command

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], object], timeout: float, interval: float = 0.2, what: str = "condition"
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Project:
    """One isolated installation: its own PLATELENS_VAR_DIR (SQLite database, media, broker, beat file)."""

    def __init__(self, var_dir: Path, **env: str):
        self.var_dir = var_dir
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "platelens.test_settings",
            "PLATELENS_VAR_DIR": str(var_dir),
            "PLATELENS_MEDIA_ROOT": str(var_dir / "media"),
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "CELERY_BROKER_URL": f"sqla+sqlite:///{var_dir / 'celery-broker.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.processes: list[tuple[subprocess.Popen, object]] = []

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.name = name
        self.processes.append((proc, log))
        return proc

    def log(self, name: str) -> str:
        path = self.var_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_worker(self, name: str = "worker", *, beat: bool = False, **env: str) -> subprocess.Popen:
        command = worker_command(
            hostname=f"{name}-{os.getpid()}@%h",
            beat_schedule=str(self.var_dir / f"{name}-beat-schedule") if beat else "",
        )
        proc = self.start(name, command, **env)
        wait_until(lambda: "ready." in self.log(name) or proc.poll() is not None, 60, what=f"{name} to start")
        assert proc.poll() is None, self.log(name)
        return proc

    def start_server(self, name: str = "serve", **env: str) -> str:
        port = free_port()
        proc = self.start(name, [sys.executable, "manage.py", "serve", "--port", str(port)], **env)
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.poll() is None, self.log(name)
            try:
                return requests.get(base + "/api/schema/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, 60, what="the web server")
        wait_until(lambda: "ready." in self.log(name), 60, what="the worker inside serve")
        return base

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the process left in its session
        except (ProcessLookupError, PermissionError):
            pass
        return proc.returncode

    def close(self) -> None:
        for proc, log in reversed(self.processes):
            self.stop(proc)
            log.close()


def start_redis(var_dir: Path) -> tuple[subprocess.Popen, int] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(var_dir),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    wait_until(ready, 15, interval=0.05, what="redis-server")
    return proc, port
