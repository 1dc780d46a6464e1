"""`manage.py bench_api --url URL --token T [--calls 20] [--serve-pid PID]`: concurrent Plate Recognizer
calls against a running server; prints latency (p50, p90, max), answers by status, and the resident memory
(now and peak) of the server's processes (`manage.py serve`'s web tree and worker)."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_IMAGE = Path(settings.BASE_DIR) / "fixtures" / "cars" / "ab12cde.jpg"


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, MB."""
    fields = dict(
        line.split(":", 1) for line in (Path("/proc") / str(pid) / "status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def child_processes(pid: int) -> dict[int, str]:
    """Direct children of a process: pid -> command line."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children[int(stat.parent.name)] = (
                    (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
        except (OSError, IndexError, ValueError):
            continue
    return children


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (gunicorn's master and its workers)."""
    pids = [pid]
    for child in child_processes(pid):
        pids += process_tree(child)
    return pids


class Command(BaseCommand):
    help = "Concurrent /v1/plate-reader/ calls against a running server: latency and server memory."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
        parser.add_argument("--token", required=True)
        parser.add_argument("--image", default=str(DEFAULT_IMAGE))
        parser.add_argument("--calls", type=int, default=20, help="calls, all sent at once")
        parser.add_argument(
            "--serve-pid", type=int, help="pid of `manage.py serve`: report its children's RSS"
        )

    def handle(self, *args, url: str, token: str, image: str, calls: int, serve_pid: int | None, **options):
        data = Path(image).read_bytes()

        def call(index: int) -> tuple[float, int]:
            started = time.perf_counter()
            response = requests.post(
                f"{url.rstrip('/')}/v1/plate-reader/",
                headers={"Authorization": f"Token {token}"},
                files={"upload": (f"car-{index}.jpg", data)},
                data={"store_image": "false"},
                timeout=120,
            )
            return time.perf_counter() - started, response.status_code

        try:
            with ThreadPoolExecutor(calls) as pool:
                answers = list(pool.map(call, range(calls)))
        except requests.RequestException as exc:
            raise CommandError(f"{url}: {exc}") from exc
        seconds = sorted(s for s, _ in answers)
        statuses: dict[int, int] = {}
        for _, status in answers:
            statuses[status] = statuses.get(status, 0) + 1
        self.stdout.write(f"{calls} concurrent calls: answers {statuses}")
        self.stdout.write(
            f"latency s: p50 {statistics.median(seconds):.2f}  "
            f"p90 {seconds[min(calls - 1, round(0.9 * (calls - 1)))]:.2f}  max {seconds[-1]:.2f}"
        )
        if serve_pid:
            for pid, command in sorted(child_processes(serve_pid).items()):
                role = "web" if "gunicorn" in command or "runserver" in command else "worker"
                tree = process_tree(pid)
                sizes = [memory_mb(p) for p in tree]
                self.stdout.write(
                    f"{role}: {len(tree)} process(es), RSS {sum(now for now, _ in sizes):.0f} MB in all, "
                    f"largest {max(now for now, _ in sizes):.0f} MB (peak {max(peak for _, peak in sizes):.0f})"
                )
