"""`python manage.py screen SCENARIO_OR_EXERCISE [--hours 72] [--json]`: the conjunctions a screening finds.

A scenario is screened on its catalogue, an exercise on its current one (after burns and break-ups);
the window runs --hours from the orbit epoch (STARTEX). Nothing is written: the exercise's stored
screening stays as it is.
"""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from exercises.models import Exercise, Scenario, format_exercise_time
from exercises.services.catalogue import SCREENING_HOURS, screen_catalogue

MAX_HOURS = 24 * 30
COLUMNS = [
    ("Primary", "primary", "<"),
    ("Secondary", "secondary", "<"),
    ("TCA (UTC)", "tca_utc", "<"),
    ("Exercise time", "exercise_time", "<"),
    ("Miss (m)", "miss", ">"),
    ("Radial (m)", "radial", ">"),
    ("In-track (m)", "in_track", ">"),
    ("Cross-track (m)", "cross_track", ">"),
    ("Speed (m/s)", "speed", ">"),
    ("Pc", "pc", ">"),
]


class Command(BaseCommand):
    help = "Screen a scenario's or an exercise's catalogue for conjunctions and print them (writes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("target", help="A scenario's name, or an exercise's id or name.")
        parser.add_argument(
            "--hours",
            type=float,
            default=SCREENING_HOURS,
            help=f"The window after the orbit epoch (default {SCREENING_HOURS:g}).",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print a JSON list instead of a table.")

    def handle(self, *args, target, hours=SCREENING_HOURS, as_json=False, **options):
        if not 0 < hours <= MAX_HOURS:
            raise CommandError(f"--hours must be more than 0 and at most {MAX_HOURS} ({hours:g} given).")
        kind, found = find_target(target)
        objects = found.catalogue.select_related("owner")
        if found.orbit_epoch is None or not objects.exists():
            raise CommandError(f"The {kind} {found.name!r} has no space catalogue to screen.")
        epoch = found.orbit_epoch
        rows = [
            conjunction_values(encounter, probability, epoch)
            for encounter, _primary, _secondary, probability in screen_catalogue(objects, epoch, hours=hours)
        ]
        found_line = (
            f"Screened the {kind} {found.name!r}{f' (id {found.pk})' if kind == 'exercise' else ''}: "
            f"{len(rows)} conjunction(s) within {hours:g} h of the orbit epoch {epoch:%Y-%m-%d %H:%M:%S} UTC."
        )
        if as_json:
            self.stderr.write(found_line)
            self.stdout.write(to_json(rows))
            return
        self.stdout.write(found_line)
        if rows:
            self.stdout.write(table(rows))


def find_target(target: str):
    """The scenario or exercise the argument names: ("scenario" | "exercise", instance)."""
    matches = [("scenario", scenario) for scenario in Scenario.objects.filter(name__iexact=target.strip())]
    exercises = Exercise.objects.filter(name__iexact=target.strip())
    if target.strip().isdigit():
        exercises = exercises | Exercise.objects.filter(pk=int(target))
    matches += [("exercise", exercise) for exercise in exercises.distinct().order_by("pk")]
    if not matches:
        raise CommandError(f"No scenario or exercise is named {target!r} (an exercise may also be given by its id).")
    if len(matches) > 1:
        named = "; ".join(
            f"the {kind} {item.name!r}" + (f" (id {item.pk})" if kind == "exercise" else "") for kind, item in matches
        )
        raise CommandError(f"{target!r} is ambiguous: it names {named}. Give an exercise by its id.")
    return matches[0]


def conjunction_values(encounter, probability: float, epoch) -> dict:
    return {
        "primary": encounter.primary,
        "secondary": encounter.secondary,
        "tca": encounter.tca.isoformat(),
        "exercise_time": format_exercise_time(encounter.tca - epoch),
        "miss_distance_m": encounter.miss_distance_m,
        "radial_m": encounter.radial_m,
        "in_track_m": encounter.in_track_m,
        "cross_track_m": encounter.cross_track_m,
        "relative_speed_m_s": encounter.relative_speed_m_s,
        "pc": probability,
    }


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2)


def table(rows: list[dict]) -> str:
    cells = [
        {
            "primary": row["primary"],
            "secondary": row["secondary"],
            "tca_utc": f"{datetime.fromisoformat(row['tca']):%Y-%m-%d %H:%M:%S}",
            "exercise_time": row["exercise_time"],
            "miss": f"{row['miss_distance_m']:.1f}",
            "radial": f"{row['radial_m']:.1f}",
            "in_track": f"{row['in_track_m']:.1f}",
            "cross_track": f"{row['cross_track_m']:.1f}",
            "speed": f"{row['relative_speed_m_s']:.1f}",
            "pc": f"{row['pc']:.1e}",
        }
        for row in rows
    ]
    widths = {key: max(len(header), *(len(c[key]) for c in cells)) for header, key, _align in COLUMNS}
    lines = ["  ".join(f"{header:{align}{widths[key]}}" for header, key, align in COLUMNS)]
    lines.append("  ".join("-" * widths[key] for _header, key, _align in COLUMNS))
    lines += ["  ".join(f"{c[key]:{align}{widths[key]}}" for _header, key, align in COLUMNS) for c in cells]
    return "\n".join(lines)
