"""The NASA standard breakup model: the fragments of an explosion or a collision in orbit.

References
- [J01] N. L. Johnson, P. H. Krisko, J.-C. Liou, P. D. Anz-Meador, "NASA's new breakup model of
  EVOLVE 4.0", Advances in Space Research 28(9), 1377-1384, 2001.
- [K11] P. H. Krisko, "Proper implementation of the 1998 NASA breakup model", Orbital Debris
  Quarterly News 15(4), 2011.

What is taken from where (equation numbers are [J01]'s):
- Cumulative fragment count above a characteristic length Lc (m):
  explosion  N(>Lc) = 6 S Lc^-1.6                                       [J01 eq. 2]
  collision  N(>Lc) = 0.1 M^0.75 Lc^-1.71                               [J01 eq. 4]
  with M (kg) the total mass of both objects when the collision is catastrophic, that is when the
  projectile's kinetic energy over the target's mass exceeds 40 J/g, and otherwise M = m_p v^2 with
  the projectile mass m_p in kg and the impact speed v in km/s [J01, section on collisions].
  S is the explosion's scaling factor (1 for the reference upper stages [J01]).
- Sizes: drawn from the truncated power law the count defines, between `min_length_m` and
  `max_length_m`, by its inverse CDF. The uniform numbers are stratified (one in each of N equal
  slices of [0, 1), in random order) so that the count above any size reproduces N(>Lc) to within
  one fragment while each size is still random.
- Area-to-mass ratio, chi = log10(A/M [m^2/kg]) with lambda = log10(Lc [m]) [J01 eq. 6 and the
  corresponding rocket-body and small-fragment distributions]:
  Lc > 11 cm, a bimodal distribution  alpha N(mu1, sigma1) + (1 - alpha) N(mu2, sigma2) whose five
  parameters are piecewise linear in lambda, one set for spacecraft and one for rocket bodies
  (`_SPACECRAFT`, `_ROCKET_BODY` below);
  Lc < 8 cm, one normal N(mu, sigma), the same for both parent types (`_small_parameters`);
  8 cm to 11 cm, the bridge between the two.
  Each parameter is constant below and above two values of lambda and linear in between; the code
  gives the end points and joins them with a straight line, whose slope is the published one
  (e.g. 0.318, 1.333, 0.3571 in [J01]) before rounding.
  The bimodal expression is a density, so a fragment's chi is drawn from component 1 with
  probability alpha and from component 2 otherwise (a mixture), not as alpha x1 + (1 - alpha) x2,
  which would be a unimodal distribution with a smaller spread; [K11] is the note on implementing
  the model as published. The bridge is likewise a mixture: the large-size distribution with
  probability (Lc - 0.08 m) / 0.03 m, else the small-size one, so that the density is continuous at
  both ends. (These two readings are this module's; the text of [K11] was not to hand when it was
  written, so check them against it before relying on the fine structure of the A/M spread.)
- Average cross-sectional area from Lc [J01]: A = 0.540424 Lc^2 for Lc < 1.67 mm, else
  A = 0.556945 Lc^2.0047077 (m^2); the mass is then A / (A/M).
- Ejection speed [J01 eqs. 11 and 12], nu = log10(delta-v [m/s]) ~ N(mu, 0.4) with
  mu = 0.2 chi + 1.85 for explosions and mu = 0.9 chi + 2.9 for collisions; directions are uniform
  on the sphere. Each fragment starts at the parent's position with the parent's velocity plus its
  delta-v.

The model describes the parent's fragments only (for a collision, the projectile's are not
generated) and, as published, conserves neither mass nor momentum exactly: the fragments' total mass
is whatever the distributions give, and their mean delta-v is zero only on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CATASTROPHIC_THRESHOLD_J_PER_G = 40.0
DELTA_V_SIGMA = 0.4  # of log10(delta-v in m/s)
_BRIDGE_LOW_M, _BRIDGE_HIGH_M = 0.08, 0.11
_SMALL_AREA_LIMIT_M = 0.00167


class BreakupError(ValueError):
    """Breakup inputs the model cannot use."""


@dataclass(frozen=True, eq=False)
class Fragment:
    """One fragment, in the units of the model (m, m^2, kg) and of the orbits package (km, km/s)."""

    characteristic_length_m: float
    area_to_mass_m2_kg: float
    area_m2: float
    mass_kg: float
    delta_v_km_s: np.ndarray  # (3,), inertial, from the parent's velocity
    velocity_km_s: np.ndarray  # (3,), the parent's velocity plus delta_v_km_s
    position_km: np.ndarray  # (3,), the parent's position


def breakup(
    parent_r_km,
    parent_v_km_s,
    *,
    kind: str = "explosion",
    mass_kg: float,
    projectile_mass_kg: float | None = None,
    impact_speed_km_s: float | None = None,
    min_length_m: float = 0.1,
    max_length_m: float = 1.0,
    parent_type: str = "spacecraft",
    scale_factor: float = 1.0,
    seed: int,
) -> list[Fragment]:
    """The fragments larger than `min_length_m` of a parent that explodes or is hit, largest first.

    kind: "explosion" or "collision" (then projectile_mass_kg and impact_speed_km_s are required);
    mass_kg: the parent's (target's) mass; parent_type: "spacecraft" (or "payload") or
    "rocket_body", which selects the area-to-mass parameters; scale_factor: S of the explosion law;
    max_length_m: the largest fragment size drawn (the power laws are fitted to fragments up to about
    a metre; an intact remnant is outside the model). The same seed gives identical fragments.
    """
    r = _vector(parent_r_km, "parent_r_km")
    v = _vector(parent_v_km_s, "parent_v_km_s")
    parent = _parent_type(parent_type)
    if not 0 < min_length_m < max_length_m:
        raise BreakupError(f"need 0 < min_length_m < max_length_m, got {min_length_m} and {max_length_m}")
    coefficient, exponent = count_law(
        kind,
        mass_kg=mass_kg,
        projectile_mass_kg=projectile_mass_kg,
        impact_speed_km_s=impact_speed_km_s,
        scale_factor=scale_factor,
    )
    count = round(coefficient * (min_length_m**-exponent - max_length_m**-exponent))
    rng = np.random.default_rng(seed)
    lengths = sample_lengths(count, min_length_m, max_length_m, exponent, rng)
    chi = sample_log_area_to_mass(lengths, parent, rng)
    delta_v = sample_delta_v_km_s(chi, kind, rng)
    area_to_mass = 10.0**chi
    areas = area_from_length(lengths)
    masses = areas / area_to_mass
    order = np.argsort(-lengths, kind="stable")
    return [
        Fragment(
            characteristic_length_m=float(lengths[i]),
            area_to_mass_m2_kg=float(area_to_mass[i]),
            area_m2=float(areas[i]),
            mass_kg=float(masses[i]),
            delta_v_km_s=delta_v[i].copy(),
            velocity_km_s=v + delta_v[i],
            position_km=r.copy(),
        )
        for i in order
    ]


def count_law(
    kind: str,
    *,
    mass_kg: float,
    projectile_mass_kg: float | None = None,
    impact_speed_km_s: float | None = None,
    scale_factor: float = 1.0,
) -> tuple[float, float]:
    """(C, beta) of the cumulative count N(>Lc) = C Lc^-beta [J01 eqs. 2 and 4]."""
    _positive(mass_kg, "mass_kg")
    if kind == "explosion":
        _positive(scale_factor, "scale_factor")
        return 6.0 * scale_factor, 1.6
    if kind == "collision":
        if projectile_mass_kg is None or impact_speed_km_s is None:
            raise BreakupError("a collision needs projectile_mass_kg and impact_speed_km_s")
        _positive(projectile_mass_kg, "projectile_mass_kg")
        _positive(impact_speed_km_s, "impact_speed_km_s")
        return 0.1 * collision_mass_kg(mass_kg, projectile_mass_kg, impact_speed_km_s) ** 0.75, 1.71
    raise BreakupError(f"kind must be 'explosion' or 'collision', not {kind!r}")


def specific_energy_j_per_g(target_mass_kg: float, projectile_mass_kg: float, impact_speed_km_s: float) -> float:
    """The projectile's kinetic energy per gram of target, the catastrophic-collision criterion."""
    speed_m_s = impact_speed_km_s * 1000.0
    return 0.5 * projectile_mass_kg * speed_m_s**2 / (target_mass_kg * 1000.0)


def is_catastrophic(target_mass_kg: float, projectile_mass_kg: float, impact_speed_km_s: float) -> bool:
    """A collision is catastrophic above 40 J/g [J01]."""
    energy = specific_energy_j_per_g(target_mass_kg, projectile_mass_kg, impact_speed_km_s)
    return energy > CATASTROPHIC_THRESHOLD_J_PER_G


def collision_mass_kg(target_mass_kg: float, projectile_mass_kg: float, impact_speed_km_s: float) -> float:
    """M of the collision law: both masses if catastrophic, else m_p v^2 (kg, v in km/s) [J01]."""
    if is_catastrophic(target_mass_kg, projectile_mass_kg, impact_speed_km_s):
        return target_mass_kg + projectile_mass_kg
    return projectile_mass_kg * impact_speed_km_s**2


def sample_lengths(count: int, min_length_m: float, max_length_m: float, exponent: float, rng) -> np.ndarray:
    """`count` sizes from the power law N(>L) ~ L^-exponent truncated to [min, max], stratified.

    The CDF is F(L) = (Lmin^-b - L^-b) / (Lmin^-b - Lmax^-b); its inverse maps one uniform number
    from each slice [i/count, (i+1)/count), so the count above any L is within one of the law's.
    """
    if count <= 0:
        return np.empty(0)
    u = (np.arange(count) + rng.random(count)) / count
    u = rng.permutation(u)
    low, high = min_length_m**-exponent, max_length_m**-exponent
    return (low - u * (low - high)) ** (-1.0 / exponent)


def area_from_length(lengths_m) -> np.ndarray:
    """Average cross-sectional area (m^2) from the characteristic length (m) [J01]."""
    lengths = np.asarray(lengths_m, dtype=float)
    return np.where(lengths < _SMALL_AREA_LIMIT_M, 0.540424 * lengths**2, 0.556945 * lengths**2.0047077)


def _ramp(x, x0: float, y0: float, x1: float, y1: float):
    """y0 below x0, y1 above x1, linear in between: the shape of every parameter in [J01]."""
    return np.where(x <= x0, y0, np.where(x >= x1, y1, y0 + (y1 - y0) * (x - x0) / (x1 - x0)))


def _spacecraft_parameters(lam):
    """alpha, mu1, sigma1, mu2, sigma2 for spacecraft fragments larger than 11 cm [J01 eq. 6]."""
    alpha = _ramp(lam, -1.95, 0.0, 0.55, 1.0)  # 0.3 + 0.4 (lambda + 1.2) in between
    mu1 = _ramp(lam, -1.1, -0.6, 0.0, -0.95)  # -0.6 - 0.318 (lambda + 1.1)
    sigma1 = _ramp(lam, -1.3, 0.1, -0.3, 0.3)  # 0.1 + 0.2 (lambda + 1.3)
    mu2 = _ramp(lam, -0.7, -1.2, -0.1, -2.0)  # -1.2 - 1.333 (lambda + 0.7)
    sigma2 = _ramp(lam, -0.5, 0.5, -0.3, 0.3)  # 0.5 - (lambda + 0.5)
    return alpha, mu1, sigma1, mu2, sigma2


def _rocket_body_parameters(lam):
    """alpha, mu1, sigma1, mu2, sigma2 for rocket-body fragments larger than 11 cm [J01]."""
    alpha = _ramp(lam, -1.4, 1.0, 0.0, 0.5)  # 1 - 0.3571 (lambda + 1.4)
    mu1 = _ramp(lam, -0.5, -0.45, 0.0, -0.9)  # -0.45 - 0.9 (lambda + 0.5)
    sigma1 = np.full_like(lam, 0.55)
    mu2 = np.full_like(lam, -0.9)
    sigma2 = _ramp(lam, -1.0, 0.28, 0.1, 0.1)  # 0.28 - 0.1636 (lambda + 1)
    return alpha, mu1, sigma1, mu2, sigma2


def _small_parameters(lam):
    """mu, sigma for fragments smaller than 8 cm, either parent type [J01]."""
    mu = _ramp(lam, -1.75, -0.3, -1.25, -1.0)  # -0.3 - 1.4 (lambda + 1.75)
    sigma = np.where(lam <= -3.5, 0.2, 0.2 + 0.1333 * (lam + 3.5))
    return mu, sigma


def area_to_mass_parameters(length_m: float, parent_type: str = "spacecraft") -> dict:
    """The published distribution parameters at one size: {"small": (mu, sigma)} below 8 cm,
    {"large": (alpha, mu1, sigma1, mu2, sigma2)} above 11 cm, both and the bridge weight between."""
    lam = np.array(math.log10(length_m))
    large = _spacecraft_parameters if _parent_type(parent_type) == "spacecraft" else _rocket_body_parameters
    result = {}
    if length_m <= _BRIDGE_HIGH_M:
        result["small"] = tuple(float(p) for p in _small_parameters(lam))
    if length_m >= _BRIDGE_LOW_M:
        result["large"] = tuple(float(p) for p in large(lam))
    if "small" in result and "large" in result:
        result["large_weight"] = (length_m - _BRIDGE_LOW_M) / (_BRIDGE_HIGH_M - _BRIDGE_LOW_M)
    return result


def sample_log_area_to_mass(lengths_m, parent_type: str, rng) -> np.ndarray:
    """chi = log10(A/M) for each size, drawn from the distribution for its size and parent type."""
    lengths = np.asarray(lengths_m, dtype=float)
    lam = np.log10(lengths)
    parameters = _spacecraft_parameters if _parent_type(parent_type) == "spacecraft" else _rocket_body_parameters
    alpha, mu1, sigma1, mu2, sigma2 = parameters(lam)
    first = rng.random(lengths.shape) < alpha
    large = np.where(first, rng.normal(mu1, sigma1), rng.normal(mu2, sigma2))
    mu, sigma = _small_parameters(lam)
    small = rng.normal(mu, sigma)
    weight = np.clip((lengths - _BRIDGE_LOW_M) / (_BRIDGE_HIGH_M - _BRIDGE_LOW_M), 0.0, 1.0)
    use_large = rng.random(lengths.shape) < weight
    return np.where(use_large, large, small)


def sample_delta_v_km_s(chi, kind: str, rng) -> np.ndarray:
    """Ejection velocities (N, 3) in km/s for fragments of log10(A/M) chi [J01 eqs. 11-12]."""
    chi = np.asarray(chi, dtype=float)
    if kind == "explosion":
        mu = 0.2 * chi + 1.85
    elif kind == "collision":
        mu = 0.9 * chi + 2.9
    else:
        raise BreakupError(f"kind must be 'explosion' or 'collision', not {kind!r}")
    speeds_m_s = 10.0 ** rng.normal(mu, DELTA_V_SIGMA)
    directions = rng.normal(size=(chi.size, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return directions * (speeds_m_s.reshape(-1, 1) / 1000.0)


def _parent_type(parent_type: str) -> str:
    key = parent_type.strip().lower().replace(" ", "_")
    if key in ("spacecraft", "payload"):
        return "spacecraft"
    if key == "rocket_body":
        return "rocket_body"
    raise BreakupError(f"parent_type must be 'spacecraft' (or 'payload') or 'rocket_body', not {parent_type!r}")


def _vector(value, name: str) -> np.ndarray:
    vector = np.asarray(value, dtype=float)
    if vector.shape != (3,) or not np.all(np.isfinite(vector)):
        raise BreakupError(f"{name} must be three finite numbers")
    return vector


def _positive(value, name: str) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise BreakupError(f"{name} must be a positive number, not {value!r}")
