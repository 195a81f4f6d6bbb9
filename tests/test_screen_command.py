"""`python manage.py screen SCENARIO_OR_EXERCISE [--hours 72] [--json]`: a scenario's or an exercise's
conjunctions, as a table or as JSON, written nowhere."""

import json
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exercises.models import AuditEvent, Conjunction, Exercise, Scenario, Team
from exercises.services.catalogue import screen_catalogue
from exercises.services.exercises import create_exercise
from tests.test_scenario_library import bundled

DEFAULT = bundled("default.json")["name"]
TRAINING = bundled("training.json")["name"]


def screen(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("screen", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def default_scenario(library):
    return Scenario.objects.get(name=DEFAULT)


def test_a_scenario_is_screened_into_a_table_with_one_line_per_conjunction(default_scenario):
    out, _ = screen(DEFAULT)
    lines = out.splitlines()
    assert lines[0].startswith(f"Screened the scenario {DEFAULT!r}: 3 conjunction(s) within 72 h")
    assert lines[1].split() == [
        "Primary",
        "Secondary",
        "TCA",
        "(UTC)",
        "Exercise",
        "time",
        "Miss",
        "(m)",
        "Radial",
        "(m)",
        "In-track",
        "(m)",
        "Cross-track",
        "(m)",
        "Speed",
        "(m/s)",
        "Pc",
    ]
    found = screen_catalogue(default_scenario.catalogue.all(), default_scenario.orbit_epoch)
    rows = lines[3:]
    assert len(rows) == len(found) == 3
    for line, (encounter, primary, secondary, probability) in zip(rows, found, strict=True):
        assert line.startswith(primary.name) and secondary.name in line
        assert f"{encounter.tca:%Y-%m-%d %H:%M:%S}" in line
        exercise_time = encounter.tca - default_scenario.orbit_epoch
        assert f"T+{int(exercise_time.total_seconds()) // 3600:02d}:" in line
        assert f"{encounter.miss_distance_m:.1f}" in line and f"{encounter.relative_speed_m_s:.1f}" in line
        assert line.endswith(f"{probability:.1e}")
    allied_sat = next(line for line in rows if line.startswith("ALLIED-SAT 7"))
    assert "OBJECT 58213" in allied_sat and "T+00:28:00" in allied_sat


def test_json_gives_a_list_of_conjunctions_with_the_documented_keys(default_scenario):
    out, err = screen(TRAINING, "--json")
    rows = json.loads(out)
    assert "Screened the scenario" in err  # what was found goes to standard error, so the JSON stays clean
    assert len(rows) == 1
    row = rows[0]
    assert set(row) >= {
        "primary",
        "secondary",
        "tca",
        "miss_distance_m",
        "relative_speed_m_s",
        "pc",
        "radial_m",
        "in_track_m",
        "cross_track_m",
    }
    training = Scenario.objects.get(name=TRAINING)
    [(encounter, _p, _s, probability)] = screen_catalogue(training.catalogue.all(), training.orbit_epoch)
    assert (row["primary"], row["secondary"]) == ("BOREAL-1", "OBJECT 39115")
    assert datetime.fromisoformat(row["tca"]) == encounter.tca
    assert row["exercise_time"] == "T+00:16:00"
    assert row["miss_distance_m"] == pytest.approx(encounter.miss_distance_m)
    assert (row["radial_m"], row["in_track_m"], row["cross_track_m"]) == pytest.approx(
        (encounter.radial_m, encounter.in_track_m, encounter.cross_track_m)
    )
    assert row["relative_speed_m_s"] == pytest.approx(encounter.relative_speed_m_s)
    assert row["pc"] == pytest.approx(probability)


def test_the_window_follows_hours(default_scenario):
    rows = json.loads(screen(DEFAULT, "--json", "--hours", "0.5")[0])
    assert [(row["primary"], row["secondary"]) for row in rows] == [
        ("PELICAN-4", "OBJECT 27741"),
        ("ALLIED-SAT 7", "OBJECT 58213"),
    ]


def test_an_exercise_is_screened_by_id_or_name_on_its_current_catalogue_and_nothing_is_written(default_scenario):
    exercise = create_exercise(scenario=default_scenario, name="Screen me", teams=Team.objects.all())
    exercise.catalogue.filter(name="OBJECT 58213").update(destroyed_at=exercise.orbit_epoch + timedelta(minutes=1))
    before = (Conjunction.objects.count(), AuditEvent.objects.count())

    by_id, err = screen(str(exercise.pk), "--json")
    by_name, _ = screen("screen me")

    assert f"Screened the exercise 'Screen me' (id {exercise.pk})" in err
    pairs = [(row["primary"], row["secondary"]) for row in json.loads(by_id)]
    assert ("ALLIED-SAT 7", "OBJECT 58213") not in pairs and ("PELICAN-4", "OBJECT 27741") in pairs
    assert by_name.startswith(f"Screened the exercise 'Screen me' (id {exercise.pk}): 2 conjunction(s)")
    assert (Conjunction.objects.count(), AuditEvent.objects.count()) == before


def test_an_unknown_name_is_refused(library):
    with pytest.raises(CommandError, match="No scenario or exercise is named 'Operation Murky Orbit'"):
        screen("Operation Murky Orbit")


def test_a_name_that_is_both_a_scenario_and_an_exercise_is_refused_as_ambiguous(default_scenario):
    exercise = create_exercise(scenario=default_scenario, name=DEFAULT, teams=Team.objects.filter(code="USA"))
    with pytest.raises(CommandError, match="ambiguous") as refused:
        screen(DEFAULT)
    assert f"the scenario {DEFAULT!r}" in str(refused.value) and f"(id {exercise.pk})" in str(refused.value)
    assert screen(str(exercise.pk))[0].startswith("Screened the exercise")


def test_a_scenario_without_a_catalogue_or_a_bad_window_is_refused(library):
    Scenario.objects.create(name="No orbits")
    with pytest.raises(CommandError, match="has no space catalogue"):
        screen("No orbits")
    with pytest.raises(CommandError, match="--hours"):
        screen(DEFAULT, "--hours", "0")
    assert not Exercise.objects.filter(name="No orbits").exists()
