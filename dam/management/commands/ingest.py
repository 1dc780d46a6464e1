"""`manage.py ingest FOLDER [--owner USER] [--camera-id ID]`: bulk import of images as assets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from dam.services import asset_create, asset_recognize
from platelens import edge
from platelens.errors import ServiceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
# --now: two files in flight. The engine runs one image at a time (its lock); the other thread reads, decodes,
# hashes and stores the next file meanwhile, so both cores stay busy.
NOW_THREADS = 2


class Command(BaseCommand):
    help = "Import every image under FOLDER as an asset (duplicates skipped) and queue recognition."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--owner", help="username owning the assets (default: the first superuser)")
        parser.add_argument("--camera-id", default="", help="camera id stored on every asset")
        parser.add_argument("--no-recursive", action="store_true", help="only the folder itself")
        parser.add_argument(
            "--now", action="store_true", help="recognize in this process instead of queueing for the worker"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def owner(self, username: str | None):
        users = get_user_model()
        if username:
            user = users.objects.filter(username=username).first()
            if user is None:
                raise CommandError(
                    f"No user {username!r} (create one with `manage.py issue_token NAME --create`)."
                )
            return user
        user = users.objects.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("No superuser to own the assets: pass --owner USER.")
        return user

    def handle(self, *args, folder: str, owner, camera_id: str, no_recursive: bool, now: bool, **options):
        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        user = self.owner(owner)
        pattern = root.glob("*") if no_recursive else root.rglob("*")
        files = sorted(p for p in pattern if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        counts = {"new": 0, "duplicate": 0, "failed": 0}
        failures: list[str] = []

        def ingest_one(path: Path) -> tuple[str, str]:
            try:
                edge.check_upload_size(path.stat().st_size)
                asset, created = asset_create(
                    owner=user,
                    data=path.read_bytes(),
                    filename=path.name,
                    camera_id=camera_id,
                    enqueue=not now,
                )
                if created and now:
                    asset_recognize(asset=asset)
            except ServiceError as exc:
                return "failed", f"{path}: {exc.code}: {exc.message}"
            except OSError as exc:
                return "failed", f"{path}: unreadable ({exc.strerror or type(exc).__name__})"
            finally:
                if now:
                    connections.close_all()  # this pool thread's own connections
            return ("new" if created else "duplicate"), ""

        bar = tqdm(total=len(files), unit="file", disable=options["no_progress"], file=self.stderr._out)
        if now:
            from plates.pipeline import get_pipeline

            get_pipeline()  # load the models in the main thread: Paddle's signal handling needs it
            with ThreadPoolExecutor(NOW_THREADS, thread_name_prefix="ingest") as pool:
                outcomes = pool.map(ingest_one, files)
                self._count(outcomes, counts, failures, bar)
        else:
            self._count(map(ingest_one, files), counts, failures, bar)
        bar.close()
        for line in failures:
            self.stderr.write(f"failed: {line}")
        self.stdout.write(
            f"{len(files)} files: {counts['new']} new, {counts['duplicate']} duplicate, {counts['failed']} failed"
        )
        if counts["failed"]:
            # Scripts and cron jobs see the failure in the exit status, not only in the text.
            raise CommandError(f"{counts['failed']} of {len(files)} files failed (listed above).")

    @staticmethod
    def _count(outcomes, counts: dict[str, int], failures: list[str], bar) -> None:
        for outcome, failure in outcomes:
            counts[outcome] += 1
            if failure:
                failures.append(failure)
            bar.set_postfix(counts, refresh=False)
            bar.update()
