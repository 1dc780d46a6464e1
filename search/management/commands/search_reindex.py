"""Rebuild the whole search index from the database, with a progress bar, and compare the counts."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.backends import SearchBackendError, get_backend
from search.indexing import pending_count, rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the plate search index from the database (atomically swapped in; this also repairs a damaged"
        " embedded index) and print DB vs index counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        self.stdout.write(f"Rebuilding the {get_backend().name} index from the database...")
        bars = []

        def progress(documents, total):
            bars.append(
                tqdm(
                    documents,
                    total=total,
                    unit="doc",
                    disable=no_progress,
                    file=self.stderr._out,
                    mininterval=0.5,
                )
            )
            return bars[-1]

        try:
            run = rebuild_index(progress)
        except SearchBackendError as exc:
            raise CommandError(f"the search backend failed: {exc}") from exc
        finally:
            for bar in bars:
                bar.close()
        self.stdout.write(
            f"database: {run.expected} searchable readings | indexed now: {run.indexed} | index holds:"
            f" {run.in_index} | changed meanwhile and replayed: {run.replayed} assets | outbox pending:"
            f" {pending_count()}"
        )
        if run.in_index != run.expected:
            raise CommandError(f"index count {run.in_index} differs from the database count {run.expected}")
        self.stdout.write(self.style.SUCCESS("search index rebuilt"))
