"""exercises/orbits/propagation: Vallado's SGP4 verification vectors through our propagate(), frames for plots."""

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sgp4

from exercises.orbits.elements import ElementsError, circular, parse_tle, state_at
from exercises.orbits.propagation import (
    EARTH_ROTATION_RAD_S,
    geodetic,
    gmst_radians,
    ground_track,
    julian_arrays,
    propagate,
    propagate_records,
    records,
    teme_to_ecef,
    teme_to_itrf,
    time_grid,
)

SGP4_DIR = Path(sgp4.__file__).parent
# python-sgp4's own test of tcppver.out allows this much on each position (km) and velocity (km/s) component
VERIFICATION_TOLERANCE = 2e-7
# Vallado's error cases in SGP4-VER.TLE that parse_tle refuses: 28872 decays below 80 km within the hour;
# 33333-33335 are hand-made error cases with deliberately wrong checksums
REFUSED = {28872, 33333, 33334, 33335}
EPOCH = datetime(2031, 3, 1, tzinfo=UTC)


def _verification_cases():
    lines = [line for line in (SGP4_DIR / "SGP4-VER.TLE").read_text().splitlines() if line and line[0] in "12"]
    expected: dict[int, list[list[float]]] = {}
    current = None
    for line in (SGP4_DIR / "tcppver.out").read_text().replace("\r", "").splitlines():
        if "xx" in line:  # 20413 is listed twice, with two time spans: the rows of both are checked
            current = int(line.split()[0])
            expected.setdefault(current, [])
        elif line.strip():
            expected[current].append([float(x) for x in line.split()[:7]])
    return [(lines[i][:69], lines[i + 1][:69]) for i in range(0, len(lines), 2)], expected


def test_verification_vectors_through_propagate():
    """Every TLE of SGP4-VER.TLE that we accept reproduces tcppver.out within python-sgp4's own tolerance."""
    tles, expected = _verification_cases()
    checked, refused = 0, set()
    for line1, line2 in tles:
        try:
            elements = parse_tle(line1, line2)
        except ElementsError:
            refused.add(int(line1[2:7]))
            continue
        rows = np.array(expected[elements.norad_cat_id])
        times = [elements.epoch + timedelta(minutes=float(t)) for t in rows[:, 0]]
        r, v, errors = propagate([elements], times)
        assert r.shape == (1, len(times), 3) and v.shape == r.shape and errors.shape == (1, len(times))
        assert not errors.any(), elements.norad_cat_id
        assert np.abs(r[0] - rows[:, 1:4]).max() < VERIFICATION_TOLERANCE, elements.norad_cat_id
        assert np.abs(v[0] - rows[:, 4:7]).max() < VERIFICATION_TOLERANCE, elements.norad_cat_id
        checked += 1
    assert refused == REFUSED
    assert checked >= 28


def test_propagate_many_objects_matches_state_at():
    objects = [circular(f"SAT {i}", EPOCH, 400 + 100 * i, 10 * i, mean_anomaly=30 * i) for i in range(5)]
    times = [EPOCH + timedelta(minutes=m) for m in (0, 17, 90, 1440)]
    r, v, errors = propagate(objects, times)
    assert r.shape == (5, 4, 3) and not errors.any()
    for i, obj in enumerate(objects):
        for k, moment in enumerate(times):
            r1, v1 = state_at(obj, moment)
            assert np.allclose(r[i, k], r1, atol=1e-9) and np.allclose(v[i, k], v1, atol=1e-12)


def test_propagate_records_reuses_the_array_and_flags_decay():
    low = circular("DECAYING", EPOCH, 150, 51.6, bstar=0.05)
    high = circular("FINE", EPOCH, 700, 98)
    array = records([low, high])
    times, jd, fr = time_grid(EPOCH, EPOCH + timedelta(days=3), 3600)
    r, _, errors = propagate_records(array, jd, fr)
    assert errors[0].any() and not errors[1].any()
    assert np.isnan(r[0][errors[0] != 0]).all()


def test_time_grid():
    times, jd, fr = time_grid(EPOCH, EPOCH + timedelta(hours=1), 60)
    assert len(times) == 61 == jd.size == fr.size
    assert times[0] == EPOCH and times[-1] == EPOCH + timedelta(hours=1)
    jd2, fr2 = julian_arrays(times)
    assert np.allclose((jd - jd2) + (fr - fr2), 0, atol=1e-11)


def test_gmst_vallado_example_3_5():
    """Vallado, Fundamentals of Astrodynamics and Applications, example 3-5: 1992 Aug 20 12:14 UT1, 152.578788 deg."""
    jd, fr = julian_arrays([datetime(1992, 8, 20, 12, 14, tzinfo=UTC)])
    assert math.degrees(gmst_radians(jd, fr)[0]) == pytest.approx(152.578787886, abs=1e-6)


def test_geodetic_known_points():
    lat, lon, alt = geodetic(np.array([[6378.137, 0.0, 0.0], [0.0, 6378.137 + 500, 0.0], [0.0, 0.0, 6356.7523 + 10]]))
    assert lat[0] == pytest.approx(0, abs=1e-9) and lon[0] == pytest.approx(0) and alt[0] == pytest.approx(0, abs=1e-6)
    assert lon[1] == pytest.approx(90) and alt[1] == pytest.approx(500, abs=1e-6)
    assert lat[2] == pytest.approx(90, abs=1e-6) and alt[2] == pytest.approx(10, abs=1e-3)


def test_teme_to_ecef_keeps_length_and_z():
    r = np.array([[[7000.0, 100.0, 300.0], [-2000.0, 6500.0, -100.0]]])
    times = [EPOCH, EPOCH + timedelta(hours=5)]
    ecef = teme_to_ecef(r, times)
    assert ecef.shape == r.shape
    assert np.allclose(np.linalg.norm(ecef, axis=-1), np.linalg.norm(r, axis=-1))
    assert np.allclose(ecef[..., 2], r[..., 2])


@pytest.mark.parametrize("inclination", [28.5, 51.6, 98.0, 135.0])
def test_ground_track_latitude_bounded_by_inclination(inclination):
    sat = circular("SAT", EPOCH, 550, inclination, ra_of_asc_node=40)
    times, lat, lon, alt = ground_track(sat, EPOCH, EPOCH + timedelta(hours=6), 30)
    assert len(times) == lat.size == lon.size == alt.size == 721
    limit = inclination if inclination <= 90 else 180 - inclination
    # geodetic latitude exceeds geocentric by at most 0.19 degrees
    assert np.abs(lat).max() <= limit + 0.2
    assert np.abs(lat).max() >= limit - 1.0  # and gets there within a few orbits
    assert np.all((lon >= -180) & (lon <= 180))
    assert 500 < alt.min() and alt.max() < 600


def test_geostationary_longitude_nearly_constant():
    geo = circular("GEO", EPOCH, 35786.0, 0.0, ra_of_asc_node=0.0, mean_anomaly=75.0, eccentricity=0.0)
    _, lat, lon, alt = ground_track(geo, EPOCH, EPOCH + timedelta(days=1), 600)
    assert np.ptp(lon) < 0.5
    assert np.abs(lat).max() < 0.1
    assert np.ptp(alt) < 50


def test_ground_track_many_objects():
    objects = [circular("A", EPOCH, 500, 50), circular("B", EPOCH, 800, 98)]
    times, lat, lon, alt = ground_track(objects, EPOCH, EPOCH + timedelta(hours=1), 60)
    assert lat.shape == lon.shape == alt.shape == (2, 61)


# Vallado, Crawford, Hujsak & Kelso 2006 (AIAA 2006-6753) and Vallado's Fundamentals, example 3-15:
# 2004-04-06 07:51:28.386009 UTC, UT1 - UTC = -0.4399619 s, xp = -0.140682", yp = 0.333309"
VALLADO_MOMENT = datetime(2004, 4, 6, 7, 51, 28, 386009, tzinfo=UTC)
VALLADO_TEME = ((5094.18016210, 6127.64465950, 6380.34453270), (-4.746131487, 0.785818041, 5.531931288))
VALLADO_ITRF = ((-1033.4793830, 7901.2952754, 6380.3565958), (-3.225636520, -2.872451450, 5.531924446))


def test_teme_to_itrf_reproduces_vallados_worked_example():
    r, v = teme_to_itrf(*VALLADO_TEME, VALLADO_MOMENT, dut1_s=-0.4399619, xp_arcsec=-0.140682, yp_arcsec=0.333309)
    assert np.allclose(r, VALLADO_ITRF[0], atol=1e-4)  # 10 cm: the example is published to 0.1 mm
    assert np.allclose(v, VALLADO_ITRF[1], atol=1e-7)  # 0.1 mm/s


def test_teme_to_itrf_without_earth_orientation_data_is_off_by_what_ut1_and_polar_motion_account_for():
    r, _ = teme_to_itrf(*VALLADO_TEME, VALLADO_MOMENT)
    error_km = float(np.linalg.norm(r - np.array(VALLADO_ITRF[0])))
    rotation_km = EARTH_ROTATION_RAD_S * float(np.hypot(*VALLADO_ITRF[0][:2])) * 0.4399619  # the UT1 - UTC left out
    assert abs(error_km - rotation_km) < 0.02  # the rest is polar motion: about 13 m here


def test_teme_to_itrf_velocity_is_the_rate_of_the_earth_fixed_position():
    elements = circular("LEO", EPOCH, 550, 53.0)
    moment = EPOCH + timedelta(minutes=37)
    r, v = state_at(elements, moment)
    _, v_itrf = teme_to_itrf(r, v, moment)
    step = timedelta(milliseconds=500)
    (r_before, _), (r_after, _) = state_at(elements, moment - step), state_at(elements, moment + step)
    before = teme_to_ecef(r_before[None, :], [moment - step])[0]
    after = teme_to_ecef(r_after[None, :], [moment + step])[0]
    assert np.allclose(v_itrf, (after - before) / 1.0, atol=1e-5)  # 1 cm/s against a central difference
    r_itrf, _ = teme_to_itrf(r, v, moment)
    assert np.allclose(r_itrf, teme_to_ecef(r[None, :], [moment])[0], atol=1e-9)
