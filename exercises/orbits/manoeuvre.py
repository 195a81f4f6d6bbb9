"""An impulsive burn in the object's radial / in-track / cross-track frame, and the checks a plan must pass.

Delta-v is in m/s, in the object's RTN frame at the burn: R along the TEME position, N along the
orbit normal r x v, T = N x R (in-track, the direction of motion on a circular orbit). The fuel
cost of a burn is stated as its delta-v magnitude (m/s); converting to propellant mass needs the
spacecraft's mass and specific impulse, which a scenario does not give.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from .collision import rtn_basis
from .elements import Explained, MeanElements, from_state, gettext_noop, state_at


class BurnError(Explained):
    """A burn that cannot be planned, naming the field at fault ("time", "delta_v")."""

    def __init__(self, field: str, message: str, **values):
        super().__init__(field, message, values)


def delta_v_cost_m_s(delta_v_rtn_m_s) -> float:
    """The burn's delta-v magnitude (m/s): its fuel cost."""
    return float(math.sqrt(sum(float(x) ** 2 for x in delta_v_rtn_m_s)))


def check_burn(at: datetime, tca: datetime, delta_v_rtn, budget_m_s: float) -> None:
    """Raise BurnError unless a burn at `at` of `delta_v_rtn` (m/s, RTN) can avoid an approach at `tca`.

    The burn must come before the time of closest approach, have three finite components, and cost
    no more than the remaining budget (m/s).
    """
    if at.tzinfo is None:
        raise BurnError("time", gettext_noop("The burn time must be in UTC."))
    if at >= tca:
        raise BurnError(
            "time",
            gettext_noop("The burn at %(burn)s UTC is after the time of closest approach (%(tca)s UTC)."),
            burn=f"{at:%Y-%m-%d %H:%M:%S}",
            tca=f"{tca:%H:%M:%S}",
        )
    try:
        components = [float(x) for x in delta_v_rtn]
    except (TypeError, ValueError):
        raise BurnError(
            "delta_v", gettext_noop("The delta-v must be three numbers in m/s (radial, in-track, cross-track).")
        ) from None
    if len(components) != 3 or not all(math.isfinite(x) for x in components):
        raise BurnError(
            "delta_v", gettext_noop("The delta-v must be three finite numbers in m/s (radial, in-track, cross-track).")
        )
    cost = delta_v_cost_m_s(components)
    if cost > budget_m_s:
        raise BurnError(
            "delta_v",
            gettext_noop("The burn's %(cost).2f m/s is over the remaining budget of %(budget).2f m/s."),
            cost=cost,
            budget=budget_m_s,
        )


def apply_burn(elements: MeanElements, at: datetime, delta_v_rtn_m_s: tuple[float, float, float]) -> MeanElements:
    """The object's mean elements after an impulsive burn at `at` (delta-v in m/s in its RTN frame then).

    The state at `at` is propagated with SGP4, the delta-v added to the TEME velocity, and new
    mean elements fitted at epoch `at` with elements.from_state (position to about a centimetre),
    keeping the object's name, catalogue number, international designator, BSTAR and n-dot.
    """
    r, v = state_at(elements, at)
    dv = rtn_basis(r, v).T @ (np.asarray(delta_v_rtn_m_s, dtype=float) / 1000.0)
    return from_state(
        elements.object_name,
        at,
        r,
        v + dv,
        template=elements,
        mean_motion_dot=elements.mean_motion_dot,
        mean_motion_ddot=elements.mean_motion_ddot,
    )
