"""`manage.py serve [--host H] [--port P] [--no-worker]`: the web app under gunicorn and a supervised Celery
worker (with beat) as one command; `--no-worker` is the production web entry (workers run elsewhere).

The web part is gunicorn (gthread workers: a few processes, a few threads each, a deep listen backlog), so
a burst of uploads queues instead of being reset. The worker consumes the recognition queue and the
maintenance queue. If the worker dies it is started again (the web keeps answering) and, on start, it
re-queues the assets it had claimed; if the web server dies the command stops the rest and exits non-zero
(so a supervisor restarts the whole service). Each child runs in its own session, so a terminal's Ctrl-C
reaches only this process. On SIGTERM/SIGINT the worker's main process is told first (a warm shutdown: the
running task finishes), then the web server; anything still alive after its grace period is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

RESTART_BACKOFF_MAX_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0  # a worker that ran this long before dying is restarted without delay


def web_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "platelens.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--timeout",
        "120",  # the compatible APIs may recognize inside the request
        "--graceful-timeout",
        "30",
        "--no-control-socket",  # several instances on one machine would share one socket path
        "--max-requests",
        "2000",  # recycle a web process now and then (a slow leak never grows unbounded)
        "--max-requests-jitter",
        "200",
    ]


def worker_command(
    *, hostname: str, loglevel: str = "INFO", queues: tuple[str, ...] = (), beat_schedule: str = ""
) -> list[str]:
    """A solo-pool Celery worker (the engine uses every core) on `queues` (default: recognition and
    maintenance), running beat when `beat_schedule` names its file."""
    queues = queues or (settings.CELERY_TASK_DEFAULT_QUEUE, settings.PLATELENS_MAINTENANCE_QUEUE)
    command = [sys.executable, "-m", "celery", "-A", "platelens", "worker", "--pool=solo",
               f"--loglevel={loglevel}", "--queues", ",".join(queues), "--without-gossip", "--without-mingle",
               "--hostname", hostname]  # fmt: skip
    return command + (["-B", "--schedule", beat_schedule] if beat_schedule else [])


class Command(BaseCommand):
    help = "Run the web app (gunicorn) and a supervised Celery worker with beat in one command."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("PLATELENS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PLATELENS_PORT", "8000")))
        parser.add_argument(
            "--no-worker", action="store_true", help="web server only (workers run elsewhere)"
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("PLATELENS_WEB_WORKERS", "2")),
            help="gunicorn processes",
        )
        parser.add_argument(
            "--web-threads",
            type=int,
            default=int(os.environ.get("PLATELENS_WEB_THREADS", "4")),
            help="threads per gunicorn process",
        )
        parser.add_argument("--loglevel", default="INFO", help="worker log level")
        parser.add_argument(
            "--worker-grace",
            type=float,
            default=120.0,
            help="seconds a running task may take to finish on stop",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        no_worker: bool,
        web_workers: int,
        web_threads: int,
        loglevel: str,
        worker_grace: float,
        **options,
    ):
        env = os.environ.copy()
        env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
        env["PYTHONUNBUFFERED"] = "1"
        base_dir = Path(settings.BASE_DIR)
        # A stable node name across restarts: the restarted worker finds the assets its predecessor claimed.
        worker_name = f"serve-{os.getpid()}@%h"

        def start(name: str) -> subprocess.Popen:
            command = (
                web_command(host, port, web_workers, web_threads)
                if name == "web"
                else worker_command(
                    hostname=worker_name,
                    loglevel=loglevel,
                    beat_schedule=str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
                )
            )
            return subprocess.Popen(command, cwd=base_dir, env=env, start_new_session=True)

        stopping = {"signal": None}
        children: dict[str, subprocess.Popen] = {}

        def on_signal(signum, frame):
            if stopping["signal"] is not None:
                # Second signal: no more waiting.
                for proc in children.values():
                    _kill_group(proc, signal.SIGKILL)
            stopping["signal"] = signum

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        died = None
        try:
            children["web"] = start("web")
            if not no_worker:
                children["worker"] = start("worker")
            started = {name: time.monotonic() for name in children}
            self.stdout.write(
                f"platelens: web on http://{host}:{port}/ (gunicorn pid {children['web'].pid}, "
                f"{web_workers} processes x {web_threads} threads)"
                + (f", worker pid {children['worker'].pid}" if "worker" in children else "")
                + "; Ctrl-C stops all."
            )
            self.stdout.flush()
            backoff = 1.0
            while stopping["signal"] is None and died is None:
                time.sleep(0.3)
                if children["web"].poll() is not None:
                    died = "web"
                    break
                worker = children.get("worker")
                if worker is None or worker.poll() is None or stopping["signal"] is not None:
                    continue
                _kill_group(worker, signal.SIGKILL)  # leftovers (embedded beat) of the dead worker
                ran = time.monotonic() - started["worker"]
                backoff = 1.0 if ran > STABLE_AFTER_SECONDS else min(RESTART_BACKOFF_MAX_SECONDS, backoff * 2)
                delay = 0.0 if ran > STABLE_AFTER_SECONDS else backoff
                self.stderr.write(
                    f"platelens: the worker exited with status {worker.returncode}; restarting it"
                    + (f" in {delay:.0f}s" if delay else "")
                    + " (the web server keeps answering)."
                )
                self.stderr.flush()
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline and stopping["signal"] is None:
                    time.sleep(0.2)
                if stopping["signal"] is None:
                    children["worker"] = start("worker")
                    started["worker"] = time.monotonic()
                    self.stdout.write(f"platelens: worker restarted (pid {children['worker'].pid}).")
                    self.stdout.flush()
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
                _kill_group(proc, signal.SIGTERM)  # gunicorn: graceful stop of its workers
                _wait(proc, 35)
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
