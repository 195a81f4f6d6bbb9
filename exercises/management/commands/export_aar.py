"""`python manage.py export_aar <exercise> --format html|pdf|docx|csv|json --output PATH`"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.models import Exercise
from exercises.reports.exports import FORMATS, export


class Command(BaseCommand):
    help = "Export an exercise's after-action report (or its JSON archive)."

    def add_arguments(self, parser):
        parser.add_argument("exercise", help="Exercise id or exact name.")
        parser.add_argument("--format", choices=list(FORMATS), default="html")
        parser.add_argument("--output", required=True, help="File to write.")

    def handle(self, *args, exercise, format, output, **options):
        found = (
            Exercise.objects.filter(pk=int(exercise)) if exercise.isdigit() else Exercise.objects.filter(name=exercise)
        )
        if found.count() != 1:
            raise CommandError(f"No single exercise matches {exercise!r}.")
        data = export(found.get(), format)
        Path(output).write_bytes(data)
        self.stdout.write(f"Wrote {output} ({len(data)} bytes, {format}).")
