"""`python manage.py export_cdm EXERCISE INJECT_SEQUENCE --format kvn|xml --output PATH`"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises import cdm
from exercises.models import Exercise


class Command(BaseCommand):
    help = "Write a conjunction inject's CCSDS Conjunction Data Message (CCSDS 508.0-B-1)."

    def add_arguments(self, parser):
        parser.add_argument("exercise", help="Exercise id or exact name.")
        parser.add_argument("inject_sequence", type=int, help="The inject's number in the exercise's MSEL.")
        parser.add_argument("--format", choices=list(cdm.FORMATS), default="kvn")
        parser.add_argument("--output", required=True, help="File to write.")

    def handle(self, *args, exercise, inject_sequence, format, output, **options):
        found = (
            Exercise.objects.filter(pk=int(exercise)) if exercise.isdigit() else Exercise.objects.filter(name=exercise)
        )
        if found.count() != 1:
            raise CommandError(f"No single exercise matches {exercise!r}.")
        exercise = found.get()
        inject = exercise.injects.filter(sequence=inject_sequence).first()
        if inject is None:
            raise CommandError(f"Exercise {exercise.name!r} has no inject {inject_sequence}.")
        inject.exercise = exercise
        try:
            text = cdm.inject_cdm(inject, format)
        except cdm.NoConjunction as error:
            raise CommandError(str(error)) from None
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--output: cannot write {output}: {error.strerror}") from None
        self.stdout.write(f"Wrote {output} ({len(text.encode())} bytes, CDM in {format.upper()}).")
