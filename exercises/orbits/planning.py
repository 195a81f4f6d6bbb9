"""Scenario authoring: an object whose orbit makes a conjunction happen where the script says.

Frames and units: TEME (km, km/s) from SGP4; the miss vector in metres in the primary's RTN frame at
TCA (R along its position, N along r x v, T = N x R); times timezone-aware UTC.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from .collision import rtn_basis
from .elements import MU_KM3_S2, ElementsError, MeanElements, from_state, gettext_noop, julian, state_at, to_satrec
from .screening import Encounter, make_encounter, minima_in_window

DEFAULT_HEADING_OFFSET_DEG = 60.0  # crossing angle in the local horizontal when neither inclination nor speed is given


def crossing_state(
    primary: MeanElements,
    tca: datetime,
    miss_rtn_m: tuple[float, float, float],
    *,
    inclination: float | None = None,
    relative_speed_km_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """The planted object's TEME state (r km, v km/s) at TCA, and the miss it achieves (m, primary RTN).

    The object is on a circular orbit through its position at TCA (speed sqrt(mu / r), horizontal),
    heading so that its orbit has the given inclination (of the two such headings, the one with the
    larger relative speed), or so that its speed relative to the primary is the given one, or else
    crossing the primary's horizontal direction at 60 degrees. The closest approach happens at TCA only
    if the miss vector is perpendicular to the relative velocity, so the requested miss is projected
    onto the plane perpendicular to it (the encounter plane): the third value returned is that
    projection, the miss the object actually achieves (a purely radial miss is kept almost unchanged,
    since both velocities are nearly horizontal; an in-track miss is mostly removed on a crossing orbit).
    """
    if inclination is not None and relative_speed_km_s is not None:
        raise ElementsError("inclination", gettext_noop("give the inclination or the relative speed, not both"))
    rp, vp = state_at(primary, tca)
    basis = rtn_basis(rp, vp)
    miss = basis.T @ (np.asarray(miss_rtn_m, dtype=float) / 1000.0)
    rs = rp + miss
    for _ in range(3):  # the velocity depends (weakly) on the position, the projection on the velocity
        vs = _velocity(rs, vp, inclination, relative_speed_km_s)
        w_hat = (vs - vp) / np.linalg.norm(vs - vp)
        miss_perp = miss - (miss @ w_hat) * w_hat
        rs = rp + miss_perp
    achieved = basis @ miss_perp * 1000.0
    return rs, vs, (float(achieved[0]), float(achieved[1]), float(achieved[2]))


def _velocity(rs, vp, inclination, relative_speed_km_s):
    up = rs / np.linalg.norm(rs)
    east = np.cross([0.0, 0.0, 1.0], up)
    if np.linalg.norm(east) < 1e-9:
        raise ElementsError("tca", gettext_noop("the primary is over a pole at TCA: choose another time"))
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    speed = math.sqrt(MU_KM3_S2 / np.linalg.norm(rs))
    a, b = float(vp @ north), float(vp @ east)
    primary_heading = math.atan2(b, a)

    def velocity(heading):
        return speed * (math.cos(heading) * north + math.sin(heading) * east)

    if inclination is not None:
        cos_lat = math.sqrt(max(0.0, 1 - up[2] ** 2))
        ratio = math.cos(math.radians(inclination)) / cos_lat
        if abs(ratio) > 1:
            raise ElementsError(
                "inclination",
                gettext_noop(
                    "an orbit inclined %(inclination)s° never reaches the latitude %(latitude).1f° where the primary "
                    "is at TCA"
                ),
                inclination=inclination,
                latitude=math.degrees(math.acos(cos_lat)),
            )
        options = [math.asin(ratio), math.pi - math.asin(ratio)]
        return max((velocity(h) for h in options), key=lambda v: float(np.linalg.norm(v - vp)))
    if relative_speed_km_s is not None:
        c = math.hypot(a, b)
        cosine = (speed**2 + float(vp @ vp) - relative_speed_km_s**2) / (2 * speed * c)
        if abs(cosine) > 1:
            low = math.sqrt(max(0.0, speed**2 + vp @ vp - 2 * speed * c))
            high = math.sqrt(speed**2 + vp @ vp + 2 * speed * c)
            raise ElementsError(
                "relative_speed_km_s",
                gettext_noop(
                    "%(speed)s km/s is not reachable on a circular crossing orbit here (%(low).2f to %(high).2f km/s)"
                ),
                speed=relative_speed_km_s,
                low=low,
                high=high,
            )
        return velocity(primary_heading + math.acos(cosine))
    return velocity(primary_heading + math.radians(DEFAULT_HEADING_OFFSET_DEG))


def plant_encounter(
    primary: MeanElements,
    name: str,
    tca: datetime,
    miss_rtn_m: tuple[float, float, float],
    *,
    inclination: float | None = None,
    relative_speed_km_s: float | None = None,
    epoch: datetime | None = None,
    **extra,
) -> MeanElements:
    """Mean elements (at `epoch`, default TCA) of an object that passes the primary at `tca` with the given miss.

    See crossing_state for the orbit chosen and the miss achieved (the requested miss projected onto
    the encounter plane). The state at TCA is fitted with elements.from_state; for another epoch the
    fitted record is propagated to it and fitted again, and the state at TCA that this reproduces is
    corrected until it is within 10 cm of the target. The result is checked: its closest approach
    to the primary (exact SGP4) is within 1 s of `tca` and 1 m of the achieved miss, else ElementsError.
    `extra` goes to the elements (bstar, norad_cat_id, object_id).
    """
    rs, vs, achieved = crossing_state(
        primary, tca, miss_rtn_m, inclination=inclination, relative_speed_km_s=relative_speed_km_s
    )
    epoch = epoch or tca
    fit_r, fit_v = rs.copy(), vs.copy()
    elements = None
    for _ in range(8):
        at_tca = from_state(name, tca, fit_r, fit_v, **extra)
        if epoch == tca:
            elements = at_tca
        else:
            r_e, v_e = state_at(at_tca, epoch)
            elements = from_state(name, epoch, r_e, v_e, **extra)
        r_a, v_a = state_at(elements, tca)
        if np.linalg.norm(rs - r_a) < 1e-4 and np.linalg.norm(vs - v_a) < 1e-7:
            break
        fit_r, fit_v = fit_r + (rs - r_a), fit_v + (vs - v_a)
    encounter = closest_approach(primary, elements, tca)
    miss = math.sqrt(sum(x * x for x in achieved))
    if (
        encounter is None
        or abs((encounter.tca - tca).total_seconds()) > 1.0
        or abs(encounter.miss_distance_m - miss) > 1.0
    ):
        raise ElementsError(
            "epoch",
            gettext_noop("the planted orbit of %(name)s does not keep the encounter from %(epoch)s"),
            name=name,
            epoch=f"{epoch:%Y-%m-%d}",
        )
    return elements


def closest_approach(primary: MeanElements, secondary: MeanElements, around: datetime, span_s: float = 120.0):
    """The closest approach (Encounter) of the two objects within +/- span_s of `around`, or None."""
    jd0, fr0 = julian(around - timedelta(seconds=span_s))
    found = list(minima_in_window(to_satrec(primary), to_satrec(secondary), jd0, fr0, 0.0, 2 * span_s, 2 * span_s))
    if not found:
        return None
    t, rp, vp, rs, vs = min(found, key=lambda x: float(np.linalg.norm(x[3] - x[1])))
    moment = around + timedelta(seconds=t - span_s)
    return make_encounter(primary.object_name, secondary.object_name, moment, rp, vp, rs, vs)


__all__ = ["Encounter", "closest_approach", "crossing_state", "plant_encounter"]
