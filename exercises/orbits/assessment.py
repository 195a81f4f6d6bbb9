"""A screened encounter's probability of collision, from each object's stated uncertainty.

Each object's 1-sigma position uncertainty is given in its own radial / in-track / cross-track
frame; the two are rotated into TEME, added (the objects' errors are taken as independent) and
projected on the encounter plane by Foster's method (exercises.orbits.collision).
"""

import numpy as np

from exercises.orbits import collision
from exercises.orbits.screening import Encounter


def covariance_teme_km2(position_km, velocity_km_s, sigmas_m) -> np.ndarray:
    """A 3x3 position covariance (km²) in TEME from 1-sigma radial, in-track, cross-track (m)."""
    basis = collision.rtn_basis(np.asarray(position_km), np.asarray(velocity_km_s))  # rows R, T, N
    rtn_km2 = collision.covariance_rtn(sigmas_m) * 1e-6
    return basis.T @ rtn_km2 @ basis


def probability_of_collision(
    encounter: Encounter, primary_sigmas_m, secondary_sigmas_m, hard_body_radius_m: float
) -> float:
    """Foster 2-D probability of collision of the encounter; the hard-body radius is the two objects' sum."""
    r1, v1 = np.asarray(encounter.primary_position_km), np.asarray(encounter.primary_velocity_km_s)
    r2, v2 = np.asarray(encounter.secondary_position_km), np.asarray(encounter.secondary_velocity_km_s)
    combined = covariance_teme_km2(r1, v1, primary_sigmas_m) + covariance_teme_km2(r2, v2, secondary_sigmas_m)
    return float(collision.foster_pc(r2 - r1, v2 - v1, combined, hard_body_radius_m / 1000.0))
