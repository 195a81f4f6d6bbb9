"""exercises/orbits/manoeuvre: an impulsive burn changes the orbit as vis-viva says, and the outcome of an encounter."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from exercises.orbits.elements import MU_KM3_S2, circular, osculating, state_at
from exercises.orbits.manoeuvre import BurnError, apply_burn, check_burn, delta_v_cost_m_s
from exercises.orbits.planning import closest_approach, plant_encounter
from exercises.orbits.propagation import propagate

EPOCH = datetime(2031, 3, 1, tzinfo=UTC)
SAT = circular("ALLIED-SAT 7", EPOCH, 550, 53, ra_of_asc_node=40, norad_cat_id=90007, object_id="2029-001A", bstar=2e-5)


def test_zero_burn_reproduces_the_orbit():
    at = EPOCH + timedelta(hours=6)
    after = apply_burn(SAT, at, (0.0, 0.0, 0.0))
    assert after.epoch == at
    assert (after.object_name, after.norad_cat_id, after.object_id, after.bstar) == (
        SAT.object_name,
        SAT.norad_cat_id,
        SAT.object_id,
        SAT.bstar,
    )
    times = [at + timedelta(hours=h) for h in (0, 1, 6, 24, 72)]
    r0, _, _ = propagate([SAT], times)
    r1, _, _ = propagate([after], times)
    drift = np.linalg.norm(r1[0] - r0[0], axis=1)
    assert drift[0] < 0.001  # a metre at the burn (the fit: about a centimetre)
    assert drift.max() < 0.1  # and under 100 m three days on


def test_in_track_burn_raises_the_semi_major_axis_by_vis_viva():
    at = EPOCH + timedelta(hours=2)
    dv = 5.0  # m/s
    after = apply_burn(SAT, at, (0.0, dv, 0.0))
    r, v = state_at(SAT, at)
    r2, v2 = state_at(after, at)
    assert np.linalg.norm(r2 - r) < 0.001
    assert np.linalg.norm(v2 - v) * 1000 == pytest.approx(dv, abs=1e-3)
    # vis-viva: a = 1 / (2/r - v^2/mu); the osculating change, and the mean elements' change with it
    speed = np.linalg.norm(v)
    a_before = 1 / (2 / np.linalg.norm(r) - speed**2 / MU_KM3_S2)
    a_after = 1 / (2 / np.linalg.norm(r) - (speed + dv / 1000 * _in_track_share(r, v)) ** 2 / MU_KM3_S2)
    expected = a_after - a_before  # about 2 a^2 v dv / mu: 9.5 km for 5 m/s at 550 km
    assert osculating(r2, v2)["a"] - osculating(r, v)["a"] == pytest.approx(expected, rel=1e-3)
    assert after.semi_major_axis_km - SAT.semi_major_axis_km == pytest.approx(expected, rel=0.02)
    assert expected == pytest.approx(2 * a_before**2 * speed * dv / 1000 / MU_KM3_S2, rel=0.01)


def _in_track_share(r, v):
    """The in-track direction's component along the velocity (1 on a circular orbit)."""
    h = np.cross(r, v)
    t = np.cross(h, r)
    return float(np.dot(t / np.linalg.norm(t), v / np.linalg.norm(v)))


def test_cross_track_burn_turns_the_plane():
    at = EPOCH + timedelta(hours=1)
    after = apply_burn(SAT, at, (0.0, 0.0, 20.0))
    r, v = state_at(SAT, at)
    turn = math.degrees(20.0 / 1000 / np.linalg.norm(v))
    r2, v2 = state_at(after, at)
    h1, h2 = np.cross(r, v), np.cross(r2, v2)
    angle = math.degrees(math.acos(min(1.0, np.dot(h1, h2) / np.linalg.norm(h1) / np.linalg.norm(h2))))
    assert angle == pytest.approx(turn, rel=0.01)


def test_a_radial_burn_changes_the_outcome_of_a_planted_encounter():
    tca = EPOCH + timedelta(hours=20)
    debris = plant_encounter(SAT, "DEBRIS 7", tca, (60.0, 0.0, 20.0), inclination=97.0, epoch=EPOCH)
    before = closest_approach(SAT, debris, tca)
    assert before.miss_distance_m < 100
    burned = apply_burn(SAT, tca - timedelta(hours=2), (0.5, 0.0, 0.0))
    after = closest_approach(burned, debris, tca)
    # half a metre per second radially swings the orbit by about dv / n = 430 m a quarter-orbit on
    assert after.miss_distance_m > before.miss_distance_m + 300
    same = closest_approach(apply_burn(SAT, tca - timedelta(hours=2), (0.0, 0.0, 0.0)), debris, tca)
    assert same.miss_distance_m == pytest.approx(before.miss_distance_m, abs=2.0)


def test_delta_v_cost():
    assert delta_v_cost_m_s((3.0, 4.0, 0.0)) == pytest.approx(5.0)
    assert delta_v_cost_m_s((0.0, -2.0, 0.0)) == pytest.approx(2.0)


def test_check_burn():
    tca = EPOCH + timedelta(hours=5)
    check_burn(tca - timedelta(minutes=30), tca, (0.0, 1.0, 0.0), budget_m_s=2.0)
    with pytest.raises(BurnError) as raised:
        check_burn(tca + timedelta(seconds=1), tca, (0.0, 1.0, 0.0), budget_m_s=2.0)
    assert raised.value.field == "time" and "after the time of closest approach" in str(raised.value)
    with pytest.raises(BurnError) as raised:
        check_burn(tca, tca, (0.0, 1.0, 0.0), budget_m_s=2.0)
    assert raised.value.field == "time"
    with pytest.raises(BurnError) as raised:
        check_burn(tca - timedelta(hours=1), tca, (3.0, 0.0, 0.0), budget_m_s=2.0)
    assert raised.value.field == "delta_v" and "over the remaining budget of 2.00 m/s" in str(raised.value)
    with pytest.raises(BurnError) as raised:
        check_burn(tca - timedelta(hours=1), tca, (float("nan"), 0.0, 0.0), budget_m_s=2.0)
    assert raised.value.field == "delta_v"
    assert isinstance(raised.value, ValueError)
