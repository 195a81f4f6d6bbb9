"""`python manage.py verify_archive PATH`: does an exported archive agree with this database's journal?"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.reports.archive import verify_archive


class Command(BaseCommand):
    help = "Verify an exercise archive against its digest and against the audit journal in this database."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        problems = verify_archive(data)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s): the archive does not verify against the journal.")
        events = len(data["records"]["exercises.auditevent"])
        self.stdout.write(f"Verified: {events} journal events match this database and the archive's digest.")
