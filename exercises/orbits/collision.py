"""Probability of collision of two objects in a short encounter, from their position covariances.

The short-term encounter model (Foster & Estes 1992; Chan 2008; Alfano 2007, "Review of conjunction
probability methods for short-term encounters", AAS 07-148): near the time of
closest approach (TCA) the relative motion is a straight line, the two position errors are Gaussian and
independent, and the objects are spheres whose radii add into one hard-body radius (HBR). The relative
position's uncertainty is then the sum of the two covariances; projected onto the encounter plane (the
B-plane, perpendicular to the relative velocity) it is a 2-D Gaussian centred on the miss vector, and the
probability of collision is that Gaussian's mass inside the hard-body circle:

    Pc = 1 / (2 pi sqrt(det C)) * integral over |rho| <= HBR of exp(-1/2 (rho - m)^T C^-1 (rho - m)) d^2 rho

- `foster_pc` integrates it numerically (Foster & Estes 1992, "A parametric analysis of orbital debris
  collision probability and maneuver rate for space vehicles", NASA JSC-25898; the method as NASA CARA's
  Pc2D_Foster / PcCircle implement it): one axis of the
  covariance's principal frame in closed form (error functions), the other by adaptive Gauss–Legendre
  quadrature over the circle. Accurate to better than 1e-8 relative on the published cases in the tests.
- `chan_pc` is Chan's series (F. K. Chan, "Spacecraft Collision Probability", The Aerospace Press /
  AIAA 2008; first in Chan 1997, "Collision probability analyses for Earth-orbiting satellites",
  Adv. Astronaut. Sci. 96): the ellipse replaced by an isotropic Gaussian of equal area, then an
  exact series in the Rician form. An approximation, within about 1 % of Foster's method unless the
  covariance is very elongated relative to the HBR; kept as a cross-check.

Frames. `rtn_basis` gives the radial / in-track (transverse) / cross-track (normal) axes of an object
from its inertial state (the CCSDS CDM's RTN: R along r, N along r x v, T = N x R). Covariances are
given per object in RTN (as a CDM carries them) and rotated to the common inertial frame (TEME here,
as SGP4 gives states; any inertial frame works as long as both objects use the same one) before they
are added.

Default covariances (`DEFAULT_COVARIANCE_RTN_M`) are EXERCISE DEFAULTS for objects whose covariance a
scenario does not state, not operational values. They are of the order of the published accuracies of
the US space surveillance catalogue in LEO: general-perturbations element sets (TLEs, SGP4) are good to
about a kilometre at epoch, mostly in-track, and degrade by kilometres a day (Vallado, Crawford, Hujsak &
Kelso 2006, "Revisiting Spacetrack Report #3", AIAA 2006-6753); the special-perturbations catalogue's
covariances at a one-to-three-day screening horizon are typically tens of metres radial and cross-track
and hundreds of metres in-track for a well-tracked payload, and several times larger for rocket bodies
and debris, which are tracked less and have higher, less certain area-to-mass ratios (NASA, "Spacecraft
Conjunction Assessment and Collision Avoidance Best Practices Handbook", 2020). The numbers below sit in
those ranges; they are meant to give Pc values of the right order in an exercise, nothing more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# 1-sigma radial, in-track, cross-track position errors in metres (exercise defaults, see the docstring)
DEFAULT_COVARIANCE_RTN_M: dict[str, tuple[float, float, float]] = {
    "payload": (50.0, 300.0, 40.0),
    "rocket_body": (100.0, 600.0, 80.0),
    "debris": (200.0, 1200.0, 150.0),
}

_RELATIVE_TOLERANCE = 1e-10
_GAUSS_LEGENDRE = {n: np.polynomial.legendre.leggauss(n) for n in (16, 32)}
_erfc = np.frompyfunc(math.erfc, 1, 1)
_erf = np.frompyfunc(math.erf, 1, 1)


class CollisionError(ValueError):
    """Inputs a probability of collision cannot be computed from."""


def covariance_rtn(sigmas_m) -> np.ndarray:
    """A diagonal 3x3 RTN position covariance (m^2) from 1-sigma radial, in-track, cross-track errors (m)."""
    sigmas = np.asarray(sigmas_m, dtype=float)
    if sigmas.shape != (3,) or not np.all(np.isfinite(sigmas)) or np.any(sigmas < 0):
        raise CollisionError(f"sigmas must be three non-negative numbers (radial, in-track, cross-track): {sigmas_m!r}")
    return np.diag(sigmas**2)


def default_covariance_rtn(object_type: str) -> np.ndarray:
    """The exercise default RTN position covariance (m^2) for "payload", "rocket_body" or "debris"."""
    key = object_type.strip().lower().replace(" ", "_")
    if key not in DEFAULT_COVARIANCE_RTN_M:
        raise CollisionError(f"no default covariance for object type {object_type!r}")
    return covariance_rtn(DEFAULT_COVARIANCE_RTN_M[key])


def rtn_basis(r, v) -> np.ndarray:
    """3x3 matrix whose rows are the radial, in-track (transverse) and cross-track (normal) unit vectors.

    R = r/|r|, N = r x v / |r x v|, T = N x R (CCSDS 508.0-B-1, the CDM's RTN frame). A vector x in the
    inertial frame has RTN components `rtn_basis(r, v) @ x`.
    """
    r = np.asarray(r, dtype=float)
    v = np.asarray(v, dtype=float)
    h = np.cross(r, v)
    if np.linalg.norm(r) == 0 or np.linalg.norm(h) == 0:
        raise CollisionError("the RTN frame needs a non-zero position and a velocity not along it")
    radial = r / np.linalg.norm(r)
    normal = h / np.linalg.norm(h)
    transverse = np.cross(normal, radial)
    return np.vstack([radial, transverse, normal])


def rtn_to_inertial(covariance_rtn_3x3, r, v) -> np.ndarray:
    """Rotate a 3x3 position covariance from the object's RTN frame to the inertial frame of (r, v)."""
    basis = rtn_basis(r, v)
    return basis.T @ np.asarray(covariance_rtn_3x3, dtype=float) @ basis


def inertial_to_rtn(covariance_3x3, r, v) -> np.ndarray:
    """Rotate a 3x3 position covariance from the inertial frame of (r, v) to the object's RTN frame."""
    basis = rtn_basis(r, v)
    return basis @ np.asarray(covariance_3x3, dtype=float) @ basis.T


@dataclass(frozen=True)
class EncounterPlane:
    """The encounter (B-) plane of a conjunction.

    basis: 2x3, rows the plane's x axis (along the miss vector's component perpendicular to the
    relative velocity) and y axis (z x x, where z is along the relative velocity);
    miss: the 2-D miss vector in that basis (so miss[1] is 0 up to rounding);
    relative_speed: |v2 - v1|.
    """

    basis: np.ndarray
    miss: np.ndarray
    relative_speed: float

    def project(self, covariance_3x3) -> np.ndarray:
        """A 3x3 inertial covariance projected onto the plane (2x2)."""
        return self.basis @ np.asarray(covariance_3x3, dtype=float) @ self.basis.T


def encounter_plane(r1, v1, r2, v2) -> EncounterPlane:
    """The encounter plane of object 2 relative to object 1 (states in one inertial frame, any units)."""
    miss = np.asarray(r2, dtype=float) - np.asarray(r1, dtype=float)
    relative_velocity = np.asarray(v2, dtype=float) - np.asarray(v1, dtype=float)
    return _plane(miss, relative_velocity)


def _plane(miss: np.ndarray, relative_velocity: np.ndarray) -> EncounterPlane:
    speed = float(np.linalg.norm(relative_velocity))
    if speed == 0 or not math.isfinite(speed):
        raise CollisionError("the encounter plane needs a non-zero relative velocity")
    z = relative_velocity / speed
    perpendicular = miss - np.dot(miss, z) * z
    if np.linalg.norm(perpendicular) > 1e-12 * max(1.0, float(np.linalg.norm(miss))):
        x = perpendicular / np.linalg.norm(perpendicular)
    else:  # zero miss distance: any axis perpendicular to the relative velocity
        helper = np.eye(3)[int(np.argmin(np.abs(z)))]
        x = np.cross(z, helper)
        x /= np.linalg.norm(x)
    y = np.cross(z, x)
    basis = np.vstack([x, y])
    return EncounterPlane(basis=basis, miss=basis @ miss, relative_speed=speed)


def foster_pc(miss_vector_km, relative_velocity_km_s, combined_covariance_km2, hard_body_radius_km) -> float:
    """Probability of collision by Foster's 2-D method (Foster & Estes 1992).

    miss_vector_km: relative position of object 2 from object 1 at TCA (3, inertial);
    relative_velocity_km_s: v2 - v1 (3, same frame); combined_covariance_km2: C1 + C2 (3x3, same frame);
    hard_body_radius_km: the sum of the two objects' radii. Any consistent length unit works.
    """
    plane = _plane(np.asarray(miss_vector_km, dtype=float), np.asarray(relative_velocity_km_s, dtype=float))
    return pc_circle(plane.miss, plane.project(combined_covariance_km2), hard_body_radius_km)


def foster_pc_states(r1, v1, covariance1, r2, v2, covariance2, hard_body_radius) -> float:
    """Foster's Pc from the two objects' states and inertial 3x3 position covariances at TCA."""
    plane = encounter_plane(r1, v1, r2, v2)
    combined = np.asarray(covariance1, dtype=float) + np.asarray(covariance2, dtype=float)
    return pc_circle(plane.miss, plane.project(combined), hard_body_radius)


def pc_circle(miss_2d, covariance_2x2, radius) -> float:
    """Mass of the 2-D Gaussian N(0, C) inside the circle of `radius` centred on `miss_2d`.

    (Equivalently N(miss, C) inside the circle centred on the origin.) In the covariance's principal
    axes (sigma_a >= sigma_b, miss (a_m, b_m)) the integral over b is done exactly with error
    functions, and the one over a, along the chord a = a_m + R cos(theta), by adaptive Gauss–Legendre
    quadrature in theta, which removes the square-root end points of the chord.
    """
    radius = float(radius)
    if math.isnan(radius) or radius < 0:
        raise CollisionError(f"the hard-body radius must be non-negative, not {radius}")
    if radius == 0:
        return 0.0
    if math.isinf(radius):
        return 1.0
    cov = np.asarray(covariance_2x2, dtype=float)
    miss = np.asarray(miss_2d, dtype=float)
    if cov.shape != (2, 2) or miss.shape != (2,) or not (np.all(np.isfinite(cov)) and np.all(np.isfinite(miss))):
        raise CollisionError("pc_circle needs a finite 2-vector and a finite 2x2 covariance")
    cov = (cov + cov.T) / 2
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    if eigenvalues[0] < -1e-9 * max(abs(eigenvalues[1]), 1e-300):
        raise CollisionError("the projected covariance is not positive semi-definite")
    order = np.argsort(eigenvalues)[::-1]  # major axis first
    sigma_a, sigma_b = np.sqrt(np.clip(eigenvalues[order], 0.0, None))
    a_m, b_m = eigenvectors[:, order].T @ miss
    if sigma_a == 0:  # a point distribution: in or out
        return 1.0 if math.hypot(a_m, b_m) < radius else 0.0

    def integrand(theta: np.ndarray) -> np.ndarray:
        a = a_m + radius * np.cos(theta)
        half_chord = radius * np.sin(theta)
        density = np.exp(-0.5 * (a / sigma_a) ** 2) / (math.sqrt(2 * math.pi) * sigma_a)
        inner = _gaussian_interval(b_m - half_chord, b_m + half_chord, sigma_b)
        return density * inner * half_chord  # da = R sin(theta) d(theta)

    # panel breaks where the integrand changes fast: the major-axis density's centre and +-k sigma,
    # and where the chord's end passes the minor-axis density's centre and +-k sigma
    breaks = {0.0, math.pi}
    for k in range(-8, 9):
        c = (k * sigma_a - a_m) / radius
        if -1 < c < 1:
            breaks.add(math.acos(c))
        s = (abs(b_m) + k * sigma_b) / radius
        if 0 < s < 1:
            breaks.update((math.asin(s), math.pi - math.asin(s)))
    return _adaptive_gauss_legendre(integrand, sorted(breaks))


def _gaussian_interval(lower: np.ndarray, upper: np.ndarray, sigma: float) -> np.ndarray:
    """P(lower < X < upper) for X ~ N(0, sigma^2), without cancellation far in the tails."""
    if sigma == 0:
        return ((lower < 0) & (upper > 0)).astype(float)
    lo = lower / (math.sqrt(2) * sigma)
    hi = upper / (math.sqrt(2) * sigma)
    result = np.empty_like(lo)
    right = lo >= 0  # both in the right tail: erfc(lo) - erfc(hi)
    left = hi <= 0  # both in the left tail
    middle = ~(right | left)
    result[right] = (_erfc(lo[right]) - _erfc(hi[right])).astype(float) / 2
    result[left] = (_erfc(-hi[left]) - _erfc(-lo[left])).astype(float) / 2
    result[middle] = (_erf(hi[middle]) - _erf(lo[middle])).astype(float) / 2
    return result


def _adaptive_gauss_legendre(function, breaks: list[float], max_panels: int = 4096) -> float:
    """Integral of a vectorised function over [breaks[0], breaks[-1]]: 16- and 32-point Gauss–Legendre
    on each panel, halving the panels whose two estimates differ by more than the relative tolerance."""
    panels = [(a, b) for a, b in zip(breaks[:-1], breaks[1:], strict=True) if b > a]
    # refine a uniform start so that no panel is wider than pi/16
    panels = [
        (a + (b - a) * i / n, a + (b - a) * (i + 1) / n)
        for a, b in panels
        for n in [max(1, math.ceil((b - a) / (math.pi / 16)))]
        for i in range(n)
    ]
    accepted = 0.0
    while panels:
        lows = np.array([p[0] for p in panels])
        highs = np.array([p[1] for p in panels])
        coarse, fine = (_panel_sums(function, lows, highs, n) for n in (16, 32))
        scale = abs(accepted + fine.sum())
        good = np.abs(fine - coarse) <= _RELATIVE_TOLERANCE * scale + 1e-300
        if len(panels) * 2 > max_panels:
            good[:] = True  # give the best estimate rather than loop on a pathological integrand
        accepted += float(fine[good].sum())
        panels = [
            half
            for (a, b), ok in zip(panels, good, strict=True)
            if not ok
            for half in ((a, (a + b) / 2), ((a + b) / 2, b))
        ]
    return min(max(accepted, 0.0), 1.0)


def _panel_sums(function, lows: np.ndarray, highs: np.ndarray, n: int) -> np.ndarray:
    nodes, weights = _GAUSS_LEGENDRE[n]
    half = (highs - lows)[:, None] / 2
    points = (lows + highs)[:, None] / 2 + half * nodes[None, :]
    values = function(points.ravel()).reshape(points.shape)
    return (values * weights[None, :] * half).sum(axis=1)


def chan_pc(miss_2d, covariance_2x2, radius, max_terms: int = 10000) -> float:
    """Chan's series for the probability of collision (Chan 2008; Chan 1997).

    With sigma_x, sigma_y and (x_m, y_m) in the covariance's principal axes,
    u = R^2 / (sigma_x sigma_y) and v = (x_m/sigma_x)^2 + (y_m/sigma_y)^2:

        Pc = exp(-v/2) sum_{m>=0} (v/2)^m / m! * [1 - exp(-u/2) sum_{k=0}^{m} (u/2)^k / k!]

    exact for an isotropic covariance, an equal-area approximation otherwise.
    """
    radius = float(radius)
    if math.isnan(radius) or radius < 0:
        raise CollisionError(f"the hard-body radius must be non-negative, not {radius}")
    if radius == 0:
        return 0.0
    cov = np.asarray(covariance_2x2, dtype=float)
    eigenvalues, eigenvectors = np.linalg.eigh((cov + cov.T) / 2)
    if eigenvalues[0] <= 0:
        raise CollisionError("Chan's series needs a positive-definite projected covariance")
    sigmas = np.sqrt(eigenvalues)
    principal_miss = eigenvectors.T @ np.asarray(miss_2d, dtype=float)
    half_u = radius**2 / (sigmas[0] * sigmas[1]) / 2
    half_v = float(np.sum((principal_miss / sigmas) ** 2)) / 2
    if half_v > 700:  # exp(-v/2) underflows: the probability is below 1e-300
        return 0.0
    poisson_v = math.exp(-half_v)  # (v/2)^m / m! e^(-v/2)
    # Q_m = 1 - e^(-u/2) sum_{k<=m} (u/2)^k/k!, the Poisson(u/2) upper tail P(K > m)
    poisson_u = math.exp(-half_u)
    cumulative_u = poisson_u
    total = 0.0
    for m in range(max_terms):
        tail_u = max(1.0 - cumulative_u, 0.0) if half_u > m + 1 else _poisson_upper_tail(half_u, m)
        term = poisson_v * tail_u
        total += term
        if m > half_v and term < 1e-17 * total:
            break
        poisson_v *= half_v / (m + 1)
        poisson_u *= half_u / (m + 1)
        cumulative_u += poisson_u
    return min(total, 1.0)


def _poisson_upper_tail(mean: float, m: int) -> float:
    """P(K > m) for K ~ Poisson(mean), summed from the tail (no cancellation when it is small)."""
    term = math.exp(-mean - math.lgamma(m + 2) + (m + 1) * math.log(mean)) if mean > 0 else 0.0
    total, k = 0.0, m + 1
    while term > 1e-17 * total or total == 0:
        total += term
        k += 1
        term *= mean / k
        if term == 0:
            break
    return total
