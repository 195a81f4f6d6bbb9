"""`python manage.py import_exercise PATH`: load a JSON exercise archive (e.g. into a fresh database)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.reports.archive import InvalidArchive, import_archive


class Command(BaseCommand):
    help = "Import an exercise from its JSON archive (made by export_aar --format json)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            exercise = import_archive(data)
        except InvalidArchive as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Imported exercise {exercise.pk}: {exercise.name}.")
