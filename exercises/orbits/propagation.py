"""Positions and velocities of many objects at many times, and the Earth-fixed view of them for plots.

Frames and units: SGP4 gives TEME (True Equator, Mean Equinox of date) positions in km and velocities
in km/s. Times are timezone-aware UTC datetimes, or sgp4's two-part Julian dates (jd, fr) in UTC.

Earth-fixed positions here rotate TEME by the Greenwich mean sidereal time (IAU-82, Vallado,
Fundamentals of Astrodynamics and Applications, 4th ed., eq. 3-47), taking UT1 = UTC and ignoring
polar motion (tens of metres) and the equation of the equinoxes' difference: good for ground tracks
and altitude plots, not for pointing a telescope.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from sgp4.api import SatrecArray

from .elements import MeanElements, julian, to_satrec

# WGS-84 ellipsoid for geodetic latitude and altitude (what maps use)
WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563


def records(elements: Sequence[MeanElements]) -> SatrecArray:
    """One SatrecArray of the objects' SGP4 records, in order; build once, propagate many times."""
    return SatrecArray([to_satrec(e) for e in elements])


def propagate_records(satrec_array: SatrecArray, jd, fr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Propagate a SatrecArray to the two-part Julian dates (jd, fr) (UTC, arrays of n_t).

    Returns r (n_obj, n_t, 3) km and v (n_obj, n_t, 3) km/s in TEME, and sgp4's error codes
    (n_obj, n_t; 0 is success, 6 is decayed, see sgp4.api.SGP4_ERRORS). Where the code is not 0 the
    position and velocity are NaN.
    """
    jd = np.ascontiguousarray(np.atleast_1d(np.asarray(jd, dtype=float)))
    fr = np.ascontiguousarray(np.atleast_1d(np.asarray(fr, dtype=float)))
    errors, r, v = satrec_array.sgp4(jd, fr)
    return r, v, errors


def propagate(elements: Sequence[MeanElements], times: Sequence[datetime]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions r (n_obj, n_t, 3) km and velocities v (n_obj, n_t, 3) km/s in TEME, and error codes (n_obj, n_t).

    `times` are UTC datetimes. Vectorised over objects and times with sgp4's SatrecArray.
    """
    jd, fr = julian_arrays(times)
    return propagate_records(records(elements), jd, fr)


def julian_arrays(times: Sequence[datetime]) -> tuple[np.ndarray, np.ndarray]:
    """UTC datetimes as arrays of sgp4's two-part Julian dates (jd, fr)."""
    pairs = [julian(t) for t in times]
    if not pairs:
        return np.zeros(0), np.zeros(0)
    jd, fr = zip(*pairs, strict=True)
    return np.array(jd, dtype=float), np.array(fr, dtype=float)


def time_grid(start: datetime, stop: datetime, step_seconds: float) -> tuple[list[datetime], np.ndarray, np.ndarray]:
    """Times from `start` to `stop` (inclusive when it falls on the grid) every `step_seconds`.

    Returns (times, jd, fr): the UTC datetimes as a list, and sgp4's two-part Julian dates as arrays
    (jd is constant, the day of `start`; fr is start's day fraction plus the offsets, so it may exceed 1,
    which sgp4 accepts and which keeps the sub-microsecond resolution of an offset from `start`).
    """
    if step_seconds <= 0:
        raise ValueError("step_seconds must be positive")
    total = (stop - start).total_seconds()
    count = int(math.floor(total / step_seconds + 1e-9)) + 1 if total >= 0 else 0
    offsets = np.arange(count) * float(step_seconds)
    jd0, fr0 = julian(start)
    times = [start + timedelta(seconds=float(s)) for s in offsets]
    return times, np.full(count, jd0), fr0 + offsets / 86400.0


def gmst_radians(jd, fr) -> np.ndarray:
    """Greenwich mean sidereal time (IAU-82, Vallado eq. 3-47) in radians, with UT1 taken as UTC."""
    jd = np.asarray(jd, dtype=float)
    fr = np.asarray(fr, dtype=float)
    t = ((jd - 2451545.0) + fr) / 36525.0
    seconds = 67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t**2 - 6.2e-6 * t**3
    return np.mod(seconds % 86400.0 / 240.0 * math.pi / 180.0, 2 * math.pi)


def teme_to_ecef(r, times) -> np.ndarray:
    """TEME positions (..., n_t, 3) km to Earth-fixed (..., n_t, 3) km by the GMST rotation (no polar motion).

    `times` is a sequence of n_t UTC datetimes or a pair (jd, fr) of arrays.
    """
    if isinstance(times, tuple) and len(times) == 2 and not isinstance(times[0], datetime):
        jd, fr = times
    else:
        jd, fr = julian_arrays(times)
    theta = gmst_radians(jd, fr)
    r = np.asarray(r, dtype=float)
    c, s = np.cos(theta), np.sin(theta)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    return np.stack([c * x + s * y, -s * x + c * y, z], axis=-1)


def geodetic(r_ecef) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed positions (..., 3) km to WGS-84 geodetic latitude (deg), longitude (deg, -180..180), altitude km."""
    r = np.asarray(r_ecef, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    e2 = WGS84_F * (2 - WGS84_F)
    rho = np.hypot(x, y)
    lon = np.arctan2(y, x)
    lat = np.arctan2(z, rho * (1 - e2))
    for _ in range(6):  # fixed-point on latitude: converges to micro-degrees in a few steps
        sin_lat = np.sin(lat)
        n = WGS84_A_KM / np.sqrt(1 - e2 * sin_lat**2)
        lat = np.arctan2(z + n * e2 * sin_lat, rho)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1 - e2 * sin_lat**2)
    # altitude from whichever of the two forms is well conditioned at this latitude
    polar = np.abs(cos_lat) <= 0.1
    alt = np.where(polar, z / np.where(polar, sin_lat, 1.0) - n * (1 - e2), rho / np.where(polar, 1.0, cos_lat) - n)
    return np.degrees(lat), np.degrees(lon), alt


def ground_track(elements, start: datetime, stop: datetime, step_seconds: float):
    """(times, lat deg, lon deg, alt km) of one object (1-D arrays) or of a sequence of objects ((n_obj, n_t) arrays).

    Times where SGP4 fails (a decayed object) are NaN.
    """
    single = isinstance(elements, MeanElements)
    objects = [elements] if single else list(elements)
    times, jd, fr = time_grid(start, stop, step_seconds)
    r, _, _ = propagate_records(records(objects), jd, fr)
    lat, lon, alt = geodetic(teme_to_ecef(r, (jd, fr)))
    if single:
        return times, lat[0], lon[0], alt[0]
    return times, lat, lon, alt


EARTH_ROTATION_RAD_S = 7.292115146706979e-5  # IERS mean angular velocity of the Earth (Vallado eq. 3-78)


def teme_to_itrf(
    r_km, v_km_s, moment: datetime, *, dut1_s: float = 0.0, xp_arcsec: float = 0.0, yp_arcsec: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """One TEME state (r km, v km/s) at the UTC `moment` in ITRF (Earth-fixed, rotating), as a CDM may carry it.

    Vallado, Crawford, Hujsak & Kelso 2006 ("Revisiting Spacetrack Report #3", AIAA 2006-6753) and
    Vallado's teme2ecef: TEME turns into the pseudo-Earth-fixed frame by the Greenwich mean sidereal time
    of UT1 (IAU-82), the velocity loses the Earth's rotation (v_pef = R v_teme - omega x r_pef), and polar
    motion (xp, yp) takes PEF to ITRF. The exercise has no Earth-orientation data: with the defaults
    (UT1 = UTC, no polar motion) a position is off by up to about 0.4 km along the equator for the
    0.9 s that UT1 - UTC may reach, and tens of metres for polar motion; both objects of a conjunction
    move together, so their miss and relative speed are kept. Give dut1_s, xp_arcsec and yp_arcsec (IERS
    Bulletin A) to be exact.
    """
    jd, fr = julian(moment + timedelta(seconds=dut1_s))
    theta = float(gmst_radians(jd, fr))
    c, s = math.cos(theta), math.sin(theta)
    to_pef = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    r_pef = to_pef @ np.asarray(r_km, dtype=float)
    v_pef = to_pef @ np.asarray(v_km_s, dtype=float) - np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], r_pef)
    xp, yp = math.radians(xp_arcsec / 3600.0), math.radians(yp_arcsec / 3600.0)
    # Vallado's polarm (IAU-76/FK5): r_pef = W r_itrf, so r_itrf = W^T r_pef
    w = np.array(
        [
            [math.cos(xp), 0.0, -math.sin(xp)],
            [math.sin(xp) * math.sin(yp), math.cos(yp), math.cos(xp) * math.sin(yp)],
            [math.sin(xp) * math.cos(yp), -math.sin(yp), math.cos(xp) * math.cos(yp)],
        ]
    )
    return w.T @ r_pef, w.T @ v_pef
