"""`manage.py serve [--host H] [--port P]`: the web server and a Celery worker (with beat) as one command.

Each child runs in its own session, so a terminal's Ctrl-C reaches only this process. On SIGTERM/SIGINT the
worker's main process is told first (a warm shutdown: the running task finishes), then the web server;
anything still alive after its grace period is killed. If a child dies on its own, the others are stopped
and the command exits non-zero (so a supervisor restarts the whole service)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the web server and a Celery worker with beat (periodic sweep) in one command."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("PLATELENS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PLATELENS_PORT", "8000")))
        parser.add_argument(
            "--no-worker", action="store_true", help="web server only (workers run elsewhere)"
        )
        parser.add_argument("--loglevel", default="INFO", help="worker log level")
        parser.add_argument(
            "--worker-grace",
            type=float,
            default=120.0,
            help="seconds a running task may take to finish on stop",
        )

    def handle(
        self, *args, host: str, port: int, no_worker: bool, loglevel: str, worker_grace: float, **options
    ):
        env = os.environ.copy()
        env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
        env["PYTHONUNBUFFERED"] = "1"
        base_dir = Path(settings.BASE_DIR)
        commands: dict[str, list[str]] = {}
        if not no_worker:
            commands["worker"] = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "platelens",
                "worker",
                "-B",
                "--pool=solo",
                f"--loglevel={loglevel}",
                "--schedule",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"serve-{os.getpid()}@%h",
            ]
        # --insecure: serve static files (admin, pages) even with DEBUG off; this is the embedded default.
        commands["web"] = [
            sys.executable,
            str(base_dir / "manage.py"),
            "runserver",
            "--noreload",
            "--insecure",
            f"{host}:{port}",
        ]

        stopping = {"signal": None}

        def on_signal(signum, frame):
            if stopping["signal"] is not None:
                # Second signal: no more waiting.
                for proc in children.values():
                    _kill_group(proc, signal.SIGKILL)
            stopping["signal"] = signum

        children: dict[str, subprocess.Popen] = {}
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, cwd=base_dir, env=env, start_new_session=True)
            self.stdout.write(
                f"platelens: web on http://{host}:{port}/ (pid {children['web'].pid})"
                + (f", worker pid {children['worker'].pid}" if "worker" in children else "")
                + "; Ctrl-C stops both."
            )
            self.stdout.flush()
            died = None
            while stopping["signal"] is None and died is None:
                for name, proc in children.items():
                    if proc.poll() is not None:
                        died = name
                        break
                else:
                    time.sleep(0.3)
            self._stop(children, worker_grace)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if died is not None:
            raise CommandError(
                f"the {died} process exited with status {children[died].returncode}; stopped the rest."
            )
        self.stdout.write("platelens: stopped.")

    def _stop(self, children: dict[str, subprocess.Popen], worker_grace: float) -> None:
        worker = children.get("worker")
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # warm shutdown of the main process: the running task finishes
            _wait(worker, worker_grace)
        if worker is not None:
            _kill_group(worker, signal.SIGKILL)  # leftovers of the worker (embedded beat) once it is gone
        for name, proc in children.items():
            if name == "worker":
                continue
            if proc.poll() is None:
                _kill_group(proc, signal.SIGTERM)
                _wait(proc, 10)
            _kill_group(proc, signal.SIGKILL)


def _wait(proc: subprocess.Popen, timeout: float) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, signal.SIGKILL)
        proc.wait()


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
