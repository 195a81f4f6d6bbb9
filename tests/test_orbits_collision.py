"""exercises.orbits.collision: Foster's and Chan's probability of collision against published cases.

Sources of the expected values (nothing here is computed by this code and pasted back):

- NASA CARA Analysis Tools (github.com/nasa/CARA_Analysis_Tools), DistributedMatlab/
  ProbabilityOfCollision/UnitTests/PcCircle_UnitTest.m: the Omitron test cases 1 and 2 (states and
  inertial position covariances at TCA, km and km^2, HBR 20 m) and testMultipleElements (metres,
  HBR from 10 m to 30 km), with CARA's expected Pc. Pc2D_Foster_UnitTest.m has the same Omitron case 1
  for CARA's Foster implementation (2.70601573490125e-05).
- The 2-D encounter-plane test cases of Serra, Arzelier, Joldes, Lasserre, Rondepierre & Salvy,
  "Fast and accurate computation of orbital collision probability for short-term encounters",
  J. Guidance, Control, and Dynamics 39(5), 2016 (LAAS report hal-01131384): Chan's cases 1-12
  (from Chan, "Spacecraft Collision Probability", 2008), three "CSM" and two "CDM" cases and Alfano's
  (2009, "Satellite conjunction Monte Carlo analysis", AAS 09-233) cases 3 and 5 reduced to the
  encounter plane. The inputs and the reference Pc (their exact method, to 4-5 significant figures)
  are as Orekit carries them in src/test/java/org/orekit/ssa/collision/shorttermencounter/probability/
  twod/Laas2015Test.java; Chan's own approximation for the same cases is in Chan1997Test.java there.

CARA's PcCircle default mode is itself a quadrature good to ~1e-4 relative on the large-HBR cases
(a dense brute-force polar sum agrees with foster_pc, not with CARA, at the 4th digit on Omitron
case 2), so the 3-D cases are compared at 1e-3 relative, the accuracy CARA's own unit tests demand
of Pc2D_Foster on Alfano's cases; the brief's bar is 1 %.
"""

import math

import numpy as np
import pytest

from exercises.orbits.collision import (
    DEFAULT_COVARIANCE_RTN_M,
    CollisionError,
    chan_pc,
    covariance_rtn,
    default_covariance_rtn,
    encounter_plane,
    foster_pc,
    foster_pc_states,
    inertial_to_rtn,
    pc_circle,
    rtn_basis,
    rtn_to_inertial,
)

# (name, x_m, y_m, sigma_x, sigma_y, HBR, Pc exact (Serra et al. 2016), Pc by Chan's method)
ENCOUNTER_PLANE_CASES = [
    ("Chan 01", 0, 10, 25, 50, 5, 9.742e-3, 9.754e-3),
    ("Chan 02", 10, 0, 25, 50, 5, 9.181e-3, 9.189e-3),
    ("Chan 03", 0, 10, 25, 75, 5, 6.571e-3, 6.586e-3),
    ("Chan 04", 10, 0, 25, 75, 5, 6.125e-3, 6.135e-3),
    ("Chan 05", 0, 1000, 1000, 3000, 10, 1.577e-5, 1.577e-5),
    ("Chan 06", 1000, 0, 1000, 3000, 10, 1.011e-5, 1.011e-5),
    ("Chan 07", 0, 10000, 1000, 3000, 10, 6.443e-8, 6.443e-8),
    ("Chan 08", 10000, 0, 1000, 3000, 10, 3.219e-27, 3.216e-27),
    ("Chan 09", 0, 10000, 1000, 10000, 10, 3.033e-6, 3.033e-6),
    ("Chan 10", 10000, 0, 1000, 10000, 10, 9.656e-28, 9.645e-28),
    ("Chan 11", 0, 5000, 1000, 3000, 50, 1.039e-4, 1.039e-4),
    ("Chan 12", 5000, 0, 1000, 3000, 50, 1.564e-9, 1.556e-9),
    ("CSM 1", 84.875546, 60.583685, 57.918666, 152.8814468, 10.3, 1.9002e-3, 1.8934e-3),
    ("CSM 2", -81.618369, 115.055899, 15.988242, 5756.840725, 1.3, 2.0553e-11, 2.0135e-11),
    ("CSM 3", 102.177247, 693.405893, 94.230921, 643.409272, 5.3, 7.2003e-5, 7.2000e-5),
    ("CDM 1", -752.672701, 644.939441, 445.859950, 6095.858688, 3.5, 5.3904e-7, 5.3903e-7),
    ("CDM 2", -692.362272, 4475.456261, 193.454603, 562.027293, 13.2, 2.2796e-20, 2.2880e-20),
    ("Alfano 3", -3.8872073, 0.1591646, 1.4101830, 114.2585190, 15, 1.0038e-1, None),
    ("Alfano 5", -1.2217895, 2.1230067, 0.0373279, 177.8109003, 10, 4.4507e-2, None),
]

# CARA PcCircle_UnitTest.m, Omitron case 1 (km, km/s, km^2; HBR 0.020 km)
OMITRON_1 = {
    "r1": [378.39559, 4305.721887, 5752.767554],
    "v1": [2.360800244, 5.580331936, -4.322349039],
    "c1": [
        [44.5757544811362, 81.6751751052616, -67.8687662707124],
        [81.6751751052616, 158.453402956163, -128.616921644857],
        [-67.8687662707124, -128.616921644858, 105.490542562701],
    ],
    "r2": [374.5180598, 4307.560983, 5751.130418],
    "v2": [-5.388125081, -3.946827739, 3.322820358],
    "c2": [
        [2.31067077720423, 1.69905293875632, -1.4170164577661],
        [1.69905293875632, 1.24957388457206, -1.04174164279599],
        [-1.4170164577661, -1.04174164279599, 0.869260558223714],
    ],
    "hbr": 0.020,
}
# Omitron case 2 (the first object's covariance is given there in units of 1e-3 km^2)
OMITRON_2 = {
    "r1": [-3239.128337196251, 2404.575152356222, 5703.228541709001],
    "v1": [-3.745768373154199, 5.012339015927846, -4.231864565717194],
    "c1": (
        np.array(
            [
                [0.342072996423899, -0.412677096778269, 0.371500417511149],
                [-0.412677096778269, 0.609905946319294, -0.540401385544286],
                [0.371500417511149, -0.540401385544286, 0.521238634755377],
            ]
        )
        * 1e-3
    ).tolist(),
    "r2": [-3239.138264917246, 2404.568320465936, 5703.235605231182],
    "v2": [6.110192790100711, -1.767321407894830, 4.140369261741708],
    "c2": [
        [0.028351300975134, -0.008204103437377, 0.019253747960155],
        [-0.008204103437377, 0.002404377774847, -0.005586512197914],
        [0.019253747960155, -0.005586512197914, 0.013289250260317],
    ],
    "hbr": 0.020,
}
# testMultipleElements (metres, m^2): the same conjunction for HBR 0 to infinity
MULTIPLE = {
    "r1": [-6.227006552549310e06, -3.000839638747010e06, -1.932569099062626e05],
    "v1": [2.983983865443772e03, -5.973188938878403e03, -3.622262843716804e03],
    "c1": [
        [2.329248149898317e04, -4.624097512511387e04, -2.810352472705708e04],
        [-4.624097512511387e04, 9.189373058443272e04, 5.583858286675660e04],
        [-2.810352472705708e04, 5.583858286675660e04, 3.396506000245927e04],
    ],
    "r2": [-6.231009268962734e06, -2.993196148130401e06, -1.761401651747054e05],
    "v2": [-3.255968208692156e02, 9.946514541875586e02, -7.507340539210305e03],
    "c2": [
        [3.689149893147051e07, -1.200669748208798e08, 9.002535247181211e08],
        [-1.200669748208798e08, 3.907735722225543e08, -2.929990982074453e09],
        [9.002535247181211e08, -2.929990982074453e09, 2.196888928197153e10],
    ],
}
MULTIPLE_EXPECTED = [
    (0.0, 0.0),
    (1e1, 2.514939701718358e-15),
    (1e2, 1.232312816404174e-05),
    (1e3, 6.343318773183237e-03),
    (3e3, 1.917884657463699e-02),
    (1e4, 6.389821634646267e-02),
    (3e4, 1.900663422510684e-01),
    (math.inf, 1.0),
]


def _states(case):
    return case["r1"], case["v1"], case["c1"], case["r2"], case["v2"], case["c2"]


@pytest.mark.parametrize("case", ENCOUNTER_PLANE_CASES, ids=[c[0] for c in ENCOUNTER_PLANE_CASES])
def test_pc_circle_matches_serra_2016_encounter_plane_cases(case):
    _, xm, ym, sx, sy, radius, expected, _ = case
    pc = pc_circle([xm, ym], np.diag([sx**2, sy**2]), radius)
    # the references are rounded to 4-5 significant figures: 1e-3 covers the rounding
    assert pc == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(
    "case", [c for c in ENCOUNTER_PLANE_CASES if c[7] is not None], ids=lambda c: c[0] if isinstance(c, tuple) else c
)
def test_chan_pc_matches_chans_method_and_foster_within_one_percent(case):
    _, xm, ym, sx, sy, radius, exact, chan_reference = case
    cov = np.diag([sx**2, sy**2])
    pc = chan_pc([xm, ym], cov, radius)
    assert pc == pytest.approx(chan_reference, rel=1e-3)
    assert pc == pytest.approx(pc_circle([xm, ym], cov, radius), rel=0.025)  # CSM 2, the worst, is 2 %


def test_chan_pc_is_exact_for_an_isotropic_covariance():
    sigma, radius = 40.0, 15.0
    for miss in ([0.0, 0.0], [30.0, 0.0], [50.0, -120.0]):
        cov = np.eye(2) * sigma**2
        assert chan_pc(miss, cov, radius) == pytest.approx(pc_circle(miss, cov, radius), rel=1e-9)


def test_foster_matches_cara_omitron_case_1():
    pc = foster_pc_states(*_states(OMITRON_1), OMITRON_1["hbr"])
    assert pc == pytest.approx(2.706023476569787e-05, rel=1e-6)  # PcCircle, both modes
    assert pc == pytest.approx(2.70601573490125e-05, rel=1e-3)  # Pc2D_Foster


def test_foster_matches_cara_omitron_case_2():
    assert foster_pc_states(*_states(OMITRON_2), OMITRON_2["hbr"]) == pytest.approx(1.807363058494765e-01, rel=1e-3)


@pytest.mark.parametrize("hbr, expected", MULTIPLE_EXPECTED)
def test_foster_matches_cara_multiple_hbr_case(hbr, expected):
    pc = foster_pc_states(*_states(MULTIPLE), hbr)
    if expected == 0.0:
        assert pc == 0.0
    else:
        assert pc == pytest.approx(expected, rel=1e-3)


def test_foster_pc_from_miss_vector_agrees_with_the_states_form():
    r1, v1, c1, r2, v2, c2 = _states(OMITRON_1)
    miss = np.subtract(r2, r1)
    relative_velocity = np.subtract(v2, v1)
    combined = np.add(c1, c2)
    assert foster_pc(miss, relative_velocity, combined, 0.020) == pytest.approx(
        foster_pc_states(r1, v1, c1, r2, v2, c2, 0.020), rel=1e-12
    )


def test_foster_pc_agrees_with_a_seeded_monte_carlo():
    """Sample the relative position in 3-D, project onto the encounter plane, count hits."""
    r1, v1, c1, r2, v2, c2 = _states(OMITRON_2)
    miss = np.subtract(r2, r1)
    combined = np.add(c1, c2)
    plane = encounter_plane(r1, v1, r2, v2)
    rng = np.random.default_rng(20310214)
    samples = rng.multivariate_normal(miss, combined, size=400_000)
    in_plane = samples @ plane.basis.T
    hits = np.count_nonzero(np.hypot(in_plane[:, 0], in_plane[:, 1]) < OMITRON_2["hbr"])
    estimate = hits / len(samples)
    pc = foster_pc(miss, np.subtract(v2, v1), combined, OMITRON_2["hbr"])
    standard_error = math.sqrt(pc * (1 - pc) / len(samples))
    assert abs(estimate - pc) < 4 * standard_error


@pytest.mark.parametrize("sigma, radius", [(100.0, 10.0), (10.0, 10.0), (1.0, 20.0), (0.01, 20.0)])
def test_zero_miss_with_isotropic_covariance_is_analytic(sigma, radius):
    expected = 1 - math.exp(-(radius**2) / (2 * sigma**2))
    miss = np.zeros(3)
    relative_velocity = np.array([0.0, 7.0, 1.0])
    assert foster_pc(miss, relative_velocity, np.eye(3) * sigma**2, radius) == pytest.approx(expected, rel=1e-9)


def test_offset_miss_with_isotropic_covariance_matches_the_rician_series():
    """An isotropic Gaussian offset by d: Pc is the Rice (non-central chi, 2 dof) CDF at R, which
    Chan's series computes exactly; a second, independent route through foster_pc's quadrature."""
    sigma, radius, d = 50.0, 20.0, 80.0
    pc = foster_pc([d, 0.0, 0.0], [0.0, 0.0, 10.0], np.eye(3) * sigma**2, radius)
    assert pc == pytest.approx(chan_pc([d, 0.0], np.eye(2) * sigma**2, radius), rel=1e-9)


def test_pc_limits_and_bad_input():
    cov = np.diag([100.0, 400.0])
    assert pc_circle([5.0, 5.0], cov, 0.0) == 0.0
    assert pc_circle([5.0, 5.0], cov, math.inf) == 1.0
    assert pc_circle([1e6, 0.0], cov, 10.0) == 0.0
    with pytest.raises(CollisionError):
        pc_circle([0.0, 0.0], cov, -1.0)
    with pytest.raises(CollisionError):
        pc_circle([0.0, 0.0], np.diag([100.0, -400.0]), 1.0)
    with pytest.raises(CollisionError):
        foster_pc([1.0, 0.0, 0.0], [0.0, 0.0, 0.0], np.eye(3), 1.0)


def test_degenerate_covariance_is_a_one_dimensional_integral():
    # sigma_y = 0: the miss's y must lie inside the circle, then P(|x - xm| < half chord) along x
    sigma, radius, xm, ym = 30.0, 10.0, 5.0, 6.0
    half_chord = math.sqrt(radius**2 - ym**2)
    scale = sigma * math.sqrt(2)
    expected = (math.erf((xm + half_chord) / scale) - math.erf((xm - half_chord) / scale)) / 2
    assert pc_circle([xm, ym], np.diag([sigma**2, 0.0]), radius) == pytest.approx(expected, rel=1e-9)


def test_rtn_basis_is_orthonormal_and_right_handed():
    r = np.array([7000.0, 100.0, -300.0])
    v = np.array([0.1, 7.4, 1.2])
    basis = rtn_basis(r, v)
    assert basis @ basis.T == pytest.approx(np.eye(3), abs=1e-12)
    assert np.linalg.det(basis) == pytest.approx(1.0)
    assert basis[0] == pytest.approx(r / np.linalg.norm(r))
    assert np.dot(basis[2], v) == pytest.approx(0.0, abs=1e-12)
    assert np.dot(basis[1], v) > 0  # in-track is along the motion
    with pytest.raises(CollisionError):
        rtn_basis(r, 2 * r)


def test_covariance_rotations_round_trip_and_keep_the_eigenvalues():
    r = np.array([-2000.0, 6500.0, 1000.0])
    v = np.array([-6.0, -1.5, 4.0])
    cov_rtn = covariance_rtn([50.0, 300.0, 40.0])
    cov_inertial = rtn_to_inertial(cov_rtn, r, v)
    assert inertial_to_rtn(cov_inertial, r, v) == pytest.approx(cov_rtn, abs=1e-9)
    assert np.sort(np.linalg.eigvalsh(cov_inertial)) == pytest.approx(np.sort(np.diag(cov_rtn)))
    # the in-track variance lies along the in-track direction
    in_track = rtn_basis(r, v)[1]
    assert in_track @ cov_inertial @ in_track == pytest.approx(300.0**2)


def test_default_covariances_by_object_type():
    assert set(DEFAULT_COVARIANCE_RTN_M) == {"payload", "rocket_body", "debris"}
    for kind, sigmas in DEFAULT_COVARIANCE_RTN_M.items():
        assert np.diag(default_covariance_rtn(kind)) == pytest.approx(np.square(sigmas))
    assert default_covariance_rtn("ROCKET BODY") == pytest.approx(default_covariance_rtn("rocket_body"))
    with pytest.raises(CollisionError):
        default_covariance_rtn("moon")
    with pytest.raises(CollisionError):
        covariance_rtn([1.0, -2.0, 3.0])


def test_encounter_plane_is_perpendicular_to_the_relative_velocity():
    plane = encounter_plane(*[OMITRON_1[k] for k in ("r1", "v1", "r2", "v2")])
    relative_velocity = np.subtract(OMITRON_1["v2"], OMITRON_1["v1"])
    assert plane.basis @ relative_velocity == pytest.approx([0.0, 0.0], abs=1e-9)
    assert plane.basis @ plane.basis.T == pytest.approx(np.eye(2))
    assert plane.miss[1] == pytest.approx(0.0, abs=1e-9)
    assert plane.relative_speed == pytest.approx(np.linalg.norm(relative_velocity))
