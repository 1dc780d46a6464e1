"""Rebuild the whole search index from the database, with a progress bar, and compare the counts."""

from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.backends import SearchBackendError, get_backend
from search.documents import all_documents, indexable_readings_count
from search.indexing import pending_count, process_outbox, rebuild_guard


class Command(BaseCommand):
    help = "Rebuild the plate search index from the database (atomically swapped in) and print DB vs index counts."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        backend = get_backend()
        expected = indexable_readings_count()
        self.stdout.write(f"Rebuilding the {backend.name} index from {expected} searchable readings...")
        documents = tqdm(
            all_documents(),
            total=expected,
            unit="doc",
            disable=no_progress,
            file=self.stderr._out,
            mininterval=0.5,
        )
        guard = nullcontext() if backend.atomic_rebuild else rebuild_guard()
        try:
            with guard:
                indexed = backend.rebuild(documents)
            replayed = process_outbox().indexed_assets  # changes made while it ran
            backend.refresh()
            in_index = backend.count()
            expected = indexable_readings_count()  # again: readings may have changed while it ran
        except SearchBackendError as exc:
            raise CommandError(f"the search backend failed: {exc}") from exc
        finally:
            documents.close()
        self.stdout.write(
            f"database: {expected} searchable readings | indexed now: {indexed} | index holds: {in_index}"
            f" | changed meanwhile and replayed: {replayed} assets | outbox pending: {pending_count()}"
        )
        if in_index != expected:
            raise CommandError(f"index count {in_index} differs from the database count {expected}")
        self.stdout.write(self.style.SUCCESS("search index rebuilt"))
