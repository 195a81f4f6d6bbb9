"""exercises/orbits/screening: every close approach, none missed against dense sampling."""

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from exercises.orbits.elements import ElementsError, circular
from exercises.orbits.manoeuvre import apply_burn
from exercises.orbits.planning import closest_approach, crossing_state, plant_encounter
from exercises.orbits.screening import (
    Encounter,
    brute_force,
    brute_force_many,
    coarse_step_seconds,
    miss_distance_series,
    screen,
    snap_bound_km_s4,
)

EPOCH = datetime(2031, 3, 1, tzinfo=UTC)
ALLIED = circular("ALLIED-SAT 7", EPOCH, 550, 53, ra_of_asc_node=40, norad_cat_id=90007)


def _matches(encounters, key, tca, miss_m, seconds=1.0, metres=1.0):
    return [
        e
        for e in encounters
        if (e.primary, e.secondary) == key
        and abs((e.tca - tca).total_seconds()) < seconds
        and abs(e.miss_distance_m - miss_m) < metres
    ]


def test_planted_approach_found_within_1_s_and_1_m_of_brute_force():
    tca = EPOCH + timedelta(hours=30, minutes=7, seconds=12.345)
    debris = plant_encounter(ALLIED, "DEBRIS 1", tca, (150.0, 0.0, 90.0), inclination=98.0, epoch=EPOCH)
    reference = brute_force(ALLIED, debris, EPOCH, 72.0)
    assert len(reference) == 1
    ref_tca, ref_miss = reference[0]
    assert abs((ref_tca - tca).total_seconds()) < 0.01  # the planted time, found by sampling alone
    found = screen([ALLIED], [debris], EPOCH, 72.0)
    assert len(found) == 1
    encounter = found[0]
    assert abs((encounter.tca - ref_tca).total_seconds()) < 1.0
    assert abs(encounter.miss_distance_m - ref_miss) < 1.0
    # and the planted geometry: the miss projected on the encounter plane, to a metre
    _, _, achieved = crossing_state(ALLIED, tca, (150.0, 0.0, 90.0), inclination=98.0)
    assert encounter.miss_distance_m == pytest.approx(math.hypot(*achieved), abs=1.0)
    assert encounter.radial_m == pytest.approx(achieved[0], abs=1.0)
    assert encounter.cross_track_m == pytest.approx(achieved[2], abs=1.0)
    assert encounter.relative_speed_m_s > 10_000  # a 98 degree orbit against a 53 degree one


def test_planted_by_relative_speed_and_default():
    tca = EPOCH + timedelta(hours=5)
    # a slow crosser's relative velocity is nearly cross-track: a radial miss is the one it keeps
    slow = plant_encounter(ALLIED, "SLOW CROSSER", tca, (400.0, 0.0, 0.0), relative_speed_km_s=1.5)
    default = plant_encounter(ALLIED, "CROSSER", tca + timedelta(hours=2), (300.0, 0.0, 0.0))
    found = screen([ALLIED], [slow, default], EPOCH, 24.0)
    by_name = {e.secondary: e for e in found}
    assert by_name["SLOW CROSSER"].relative_speed_m_s == pytest.approx(1500.0, rel=1e-3)
    assert by_name["SLOW CROSSER"].miss_distance_m == pytest.approx(400.0, abs=1.0)
    assert abs((by_name["SLOW CROSSER"].tca - tca).total_seconds()) < 1e-3
    assert by_name["CROSSER"].radial_m == pytest.approx(300.0, abs=2.0)


def test_plant_refuses_an_unreachable_inclination():
    moment = EPOCH + timedelta(minutes=20)  # the primary is then at some latitude above 20 degrees
    with pytest.raises(ElementsError) as raised:
        plant_encounter(ALLIED, "X", moment, (100.0, 0, 0), inclination=5.0)
    assert raised.value.field == "inclination"


def _cloud(seed=7, count=40):
    rng = np.random.default_rng(seed)
    return [
        circular(
            f"R{i}",
            EPOCH,
            rng.uniform(540, 570),
            rng.uniform(0, 180),
            ra_of_asc_node=rng.uniform(0, 360),
            mean_anomaly=rng.uniform(0, 360),
            eccentricity=rng.uniform(0, 0.002),
        )
        for i in range(count)
    ]


def test_random_cloud_none_missed_against_brute_force():
    """Random crossing orbits, a formation flyer (slow relative motion) and a decaying object; 100 km threshold."""
    primaries = [ALLIED, circular("P2", EPOCH, 560, 97.6, ra_of_asc_node=200, mean_anomaly=50)]
    secondaries = _cloud()
    rng = np.random.default_rng(3)
    for i in range(8):  # approaches at random times and misses, some just under the threshold, some just over
        primary = primaries[i % 2]
        tca = EPOCH + timedelta(seconds=float(rng.uniform(600, 11 * 3600)))
        miss = (float(rng.uniform(-99_500, 99_500)), 0.0, float(rng.uniform(-10_000, 10_000)))
        if i == 7:
            miss = (100_200.0, 0.0, 0.0)
        speed = float(rng.uniform(2, 14))
        secondaries.append(plant_encounter(primary, f"PLANTED {i}", tca, miss, relative_speed_km_s=speed, epoch=EPOCH))
    secondaries.append(apply_burn(ALLIED, EPOCH + timedelta(hours=1), (0.0, 0.3, 0.2)).with_name("FORMATION"))
    secondaries.append(circular("DECAYING", EPOCH, 160, 53.0, ra_of_asc_node=40, bstar=0.02))
    hours, threshold = 12.0, 100.0
    found = screen(primaries, secondaries, EPOCH, hours, threshold)
    reference = brute_force_many(primaries, secondaries, EPOCH, hours, 1.0, threshold)
    expected = [(key, t, m) for key, items in reference.items() for t, m in items]
    assert len(expected) >= 10  # the case is not vacuous
    for key, t, m in expected:
        assert _matches(found, key, t, m), (key, t, m)
    assert len(found) == len(expected)  # and nothing brute force does not also find
    assert any(e.secondary == "FORMATION" for e in found)
    assert [e.tca for e in found] == sorted(e.tca for e in found)
    assert all(e.miss_distance_m < threshold * 1000 for e in found)


def test_self_pair_skipped_and_both_ways_reported_once():
    tca = EPOCH + timedelta(hours=3)
    other = plant_encounter(ALLIED, "ALBION-3", tca, (200.0, 0.0, 0.0), inclination=97.0)
    found = screen([ALLIED, other], [ALLIED, other], EPOCH, 6.0)
    assert len(found) == 1
    assert (found[0].primary, found[0].secondary) == ("ALLIED-SAT 7", "ALBION-3")
    assert screen([ALLIED], [ALLIED], EPOCH, 6.0) == []


def test_several_approaches_of_one_pair_sorted():
    first = EPOCH + timedelta(hours=2)
    debris = plant_encounter(ALLIED, "DEBRIS", first, (100.0, 0.0, 0.0), inclination=53.0, epoch=EPOCH)
    # a 53 degree orbit through the same point, other node: it meets ALLIED-SAT 7 there again about every orbit
    found = screen([ALLIED], [debris], EPOCH, 24.0, threshold_km=50.0)
    assert len(found) >= 2
    assert [e.tca for e in found] == sorted(e.tca for e in found)
    assert any(abs((e.tca - first).total_seconds()) < 1e-3 for e in found)


def test_encounter_fields():
    tca = EPOCH + timedelta(hours=1)
    debris = plant_encounter(ALLIED, "DEBRIS", tca, (120.0, 0.0, 60.0), inclination=80.0)
    (encounter,) = screen([ALLIED], [debris], EPOCH, 2.0)
    assert isinstance(encounter, Encounter)
    assert math.hypot(encounter.radial_m, encounter.in_track_m, encounter.cross_track_m) == pytest.approx(
        encounter.miss_distance_m
    )
    d = np.subtract(encounter.secondary_position_km, encounter.primary_position_km) * 1000
    assert np.linalg.norm(d) == pytest.approx(encounter.miss_distance_m)
    w = np.subtract(encounter.secondary_velocity_km_s, encounter.primary_velocity_km_s)
    assert abs(np.dot(d / 1000, w)) < 1e-6 * np.linalg.norm(w) ** 2  # range rate zero at TCA (< 1 us)
    values = json.loads(json.dumps(encounter.as_dict()))
    assert values["primary"] == "ALLIED-SAT 7" and values["tca"].startswith("2031-03-01T01:00:00")
    assert len(values["secondary_velocity_km_s"]) == 3
    hash(encounter)


def test_miss_distance_series_around_tca():
    tca = EPOCH + timedelta(hours=1)
    debris = plant_encounter(ALLIED, "DEBRIS", tca, (250.0, 0.0, 0.0), relative_speed_km_s=2.0)
    times, distances = miss_distance_series(ALLIED, debris, tca)
    assert len(times) == distances.size == 301
    assert times[150] == tca
    assert distances[150] == pytest.approx(250.0, abs=1.0)
    assert distances.argmin() == 150
    assert distances[0] > 500_000  # five minutes away at 2 km/s


def test_closest_approach_helper():
    tca = EPOCH + timedelta(hours=4)
    debris = plant_encounter(ALLIED, "DEBRIS", tca, (80.0, 0.0, 0.0), inclination=60.0, epoch=EPOCH)
    encounter = closest_approach(ALLIED, debris, tca + timedelta(seconds=30))
    assert abs((encounter.tca - tca).total_seconds()) < 1e-3


def test_coarse_step_bounds_the_interpolation_error():
    snap = snap_bound_km_s4([ALLIED, circular("E", EPOCH, 2000, 10, eccentricity=0.2)])
    n = 2 * math.pi / ALLIED.period_minutes / 60
    assert snap[0] == pytest.approx(1.25 * n**4 * ALLIED.semi_major_axis_km, rel=0.01)  # n^4 a on a circle
    assert snap[1] > 2 * snap[0]
    h = coarse_step_seconds(2 * snap[0], 72.0)
    assert (2 * snap[0]) * h**4 / 384 <= 0.5 + 1e-9
    assert (72 * 3600 / h) == pytest.approx(round(72 * 3600 / h))
