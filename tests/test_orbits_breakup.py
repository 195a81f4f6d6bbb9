"""exercises.orbits.breakup: the NASA standard breakup model against its published formulas.

The expected values are the formulas of Johnson et al. 2001 ("NASA's new breakup model of EVOLVE
4.0", Adv. Space Res. 28(9)) evaluated by hand in the tests: counts N(>Lc) (eqs. 2 and 4), the
area-to-mass parameters at chosen sizes, the delta-v law (eqs. 11 and 12), A(Lc).
"""

import math

import numpy as np
import pytest

from exercises.orbits.breakup import (
    BreakupError,
    area_from_length,
    area_to_mass_parameters,
    breakup,
    collision_mass_kg,
    count_law,
    is_catastrophic,
    sample_delta_v_km_s,
    sample_log_area_to_mass,
    specific_energy_j_per_g,
)

R = np.array([6878.0, 0.0, 0.0])  # 500 km altitude
V = np.array([0.0, 7.0, 3.0])
N_SAMPLE = 200_000


def _counts_above(fragments, length):
    return sum(1 for f in fragments if f.characteristic_length_m > length)


def test_explosion_count_above_each_size_follows_6_s_lc_to_the_minus_1_6():
    fragments = breakup(R, V, kind="explosion", mass_kg=1000.0, min_length_m=0.05, max_length_m=1.0, seed=7)
    law = lambda lc: 6.0 * lc**-1.6  # noqa: E731  [J01 eq. 2], S = 1
    assert len(fragments) == round(law(0.05) - law(1.0))
    for length in (0.06, 0.1, 0.2, 0.5, 0.9):
        # stratified sizes: the count above any size is the law's to within one fragment
        assert abs(_counts_above(fragments, length) - (law(length) - law(1.0))) <= 1


def test_explosion_scale_factor_multiplies_the_count():
    one = breakup(R, V, kind="explosion", mass_kg=800.0, seed=1)
    two = breakup(R, V, kind="explosion", mass_kg=800.0, scale_factor=2.0, seed=1)
    assert len(two) == round(12.0 * (0.1**-1.6 - 1.0))
    assert len(one) == round(6.0 * (0.1**-1.6 - 1.0))


def test_catastrophic_collision_uses_the_total_mass():
    target, projectile, speed = 900.0, 30.0, 9.0
    # 0.5 * 30 kg * (9000 m/s)^2 / 900 000 g = 1350 J/g > 40 J/g
    assert specific_energy_j_per_g(target, projectile, speed) == pytest.approx(1350.0)
    assert is_catastrophic(target, projectile, speed)
    assert collision_mass_kg(target, projectile, speed) == 930.0
    fragments = breakup(
        R,
        V,
        kind="collision",
        mass_kg=target,
        projectile_mass_kg=projectile,
        impact_speed_km_s=speed,
        min_length_m=0.05,
        seed=3,
    )
    law = lambda lc: 0.1 * 930.0**0.75 * lc**-1.71  # noqa: E731  [J01 eq. 4]
    assert len(fragments) == round(law(0.05) - law(1.0))
    for length in (0.07, 0.15, 0.4):
        assert abs(_counts_above(fragments, length) - (law(length) - law(1.0))) <= 1


def test_non_catastrophic_collision_uses_projectile_mass_times_speed_squared():
    target, projectile, speed = 1000.0, 0.5, 2.0  # 0.5 * 0.5 kg * (2000 m/s)^2 / 1e6 g = 1 J/g
    assert specific_energy_j_per_g(target, projectile, speed) == pytest.approx(1.0)
    assert not is_catastrophic(target, projectile, speed)
    assert collision_mass_kg(target, projectile, speed) == pytest.approx(0.5 * 2.0**2)
    coefficient, exponent = count_law(
        "collision", mass_kg=target, projectile_mass_kg=projectile, impact_speed_km_s=speed
    )
    assert coefficient == pytest.approx(0.1 * 2.0**0.75)
    assert exponent == 1.71
    fragments = breakup(
        R,
        V,
        kind="collision",
        mass_kg=target,
        projectile_mass_kg=projectile,
        impact_speed_km_s=speed,
        min_length_m=0.01,
        seed=3,
    )
    assert len(fragments) == round(0.1 * 2.0**0.75 * (0.01**-1.71 - 1.0))


def test_size_distribution_slope_on_a_log_log_fit():
    # sizes far below the upper cut, where the truncation does not bend the cumulative count
    fragments = breakup(R, V, kind="explosion", mass_kg=1000.0, min_length_m=0.002, max_length_m=10.0, seed=11)
    lengths = np.array([f.characteristic_length_m for f in fragments])
    grid = np.logspace(np.log10(0.003), np.log10(0.05), 12)
    counts = np.array([np.count_nonzero(lengths > g) for g in grid])
    slope = np.polyfit(np.log10(grid), np.log10(counts + 6.0 * 10.0**-1.6), 1)[0]
    assert slope == pytest.approx(-1.6, abs=0.01)


def test_sizes_are_inside_the_bounds_and_largest_first():
    fragments = breakup(R, V, kind="explosion", mass_kg=500.0, min_length_m=0.1, max_length_m=0.8, seed=5)
    lengths = [f.characteristic_length_m for f in fragments]
    assert min(lengths) >= 0.1 and max(lengths) <= 0.8
    assert lengths == sorted(lengths, reverse=True)


def _mixture_moments(alpha, mu1, sigma1, mu2, sigma2):
    mean = alpha * mu1 + (1 - alpha) * mu2
    second = alpha * (sigma1**2 + mu1**2) + (1 - alpha) * (sigma2**2 + mu2**2)
    return mean, math.sqrt(second - mean**2)


def test_spacecraft_area_to_mass_at_one_metre_is_the_published_bimodal():
    # lambda = 0: alpha = 0.3 + 0.4 * 1.2 = 0.78, mu1 = -0.95, sigma1 = 0.3, mu2 = -2.0, sigma2 = 0.3
    published = (0.78, -0.95, 0.3, -2.0, 0.3)
    assert area_to_mass_parameters(1.0, "spacecraft")["large"] == pytest.approx(published)
    rng = np.random.default_rng(1)
    chi = sample_log_area_to_mass(np.full(N_SAMPLE, 1.0), "spacecraft", rng)
    mean, sigma = _mixture_moments(*published)
    assert chi.mean() == pytest.approx(mean, abs=4 * sigma / math.sqrt(N_SAMPLE))
    assert chi.std() == pytest.approx(sigma, rel=0.01)
    # a mixture, not a weighted sum: the share below the midpoint between the two modes
    midpoint = (-0.95 - 2.0) / 2
    share = 0.78 * _normal_cdf((midpoint + 0.95) / 0.3) + 0.22 * _normal_cdf((midpoint + 2.0) / 0.3)
    assert np.mean(chi < midpoint) == pytest.approx(share, abs=0.005)


def test_rocket_body_area_to_mass_at_half_a_metre():
    # lambda = log10(0.5) = -0.30103
    lam = math.log10(0.5)
    published = (
        1 - 0.3571 * (lam + 1.4),
        -0.45 - 0.9 * (lam + 0.5),
        0.55,
        -0.9,
        0.28 - 0.1636 * (lam + 1),
    )
    assert area_to_mass_parameters(0.5, "rocket_body")["large"] == pytest.approx(published, rel=2e-4)
    rng = np.random.default_rng(2)
    chi = sample_log_area_to_mass(np.full(N_SAMPLE, 0.5), "rocket_body", rng)
    mean, sigma = _mixture_moments(*published)
    assert chi.mean() == pytest.approx(mean, abs=4 * sigma / math.sqrt(N_SAMPLE))
    assert chi.std() == pytest.approx(sigma, rel=0.01)


@pytest.mark.parametrize("parent_type", ["spacecraft", "rocket_body"])
def test_small_fragment_area_to_mass_is_one_normal(parent_type):
    # 1 cm: lambda = -2 <= -1.75, so mu = -0.3; sigma = 0.2 + 0.1333 * (-2 + 3.5) = 0.39995
    assert area_to_mass_parameters(0.01, parent_type) == {"small": pytest.approx((-0.3, 0.39995))}
    # 3 cm, on the ramp: mu = -0.3 - 1.4 * (lambda + 1.75)
    lam = math.log10(0.03)
    assert area_to_mass_parameters(0.03, parent_type)["small"] == pytest.approx(
        (-0.3 - 1.4 * (lam + 1.75), 0.2 + 0.1333 * (lam + 3.5))
    )
    rng = np.random.default_rng(3)
    chi = sample_log_area_to_mass(np.full(N_SAMPLE, 0.01), parent_type, rng)
    assert chi.mean() == pytest.approx(-0.3, abs=4 * 0.4 / math.sqrt(N_SAMPLE))
    assert chi.std() == pytest.approx(0.39995, rel=0.01)


def test_bridge_between_8_and_11_cm_mixes_the_two_distributions():
    parameters = area_to_mass_parameters(0.095, "spacecraft")
    assert parameters["large_weight"] == pytest.approx(0.5)
    small_mu, small_sigma = parameters["small"]
    large_mean, large_sigma = _mixture_moments(*parameters["large"])
    mean = (small_mu + large_mean) / 2
    second = (small_sigma**2 + small_mu**2 + large_sigma**2 + large_mean**2) / 2
    rng = np.random.default_rng(4)
    chi = sample_log_area_to_mass(np.full(N_SAMPLE, 0.095), "spacecraft", rng)
    assert chi.mean() == pytest.approx(mean, abs=0.005)
    assert chi.std() == pytest.approx(math.sqrt(second - mean**2), rel=0.01)
    # the ends of the bridge are the pure distributions
    assert set(area_to_mass_parameters(0.079, "spacecraft")) == {"small"}
    assert set(area_to_mass_parameters(0.111, "spacecraft")) == {"large"}


@pytest.mark.parametrize("kind, mu", [("explosion", 0.2 * -1.0 + 1.85), ("collision", 0.9 * -1.0 + 2.9)])
def test_delta_v_is_log_normal_in_metres_per_second(kind, mu):
    rng = np.random.default_rng(5)
    delta_v = sample_delta_v_km_s(np.full(N_SAMPLE, -1.0), kind, rng)
    nu = np.log10(np.linalg.norm(delta_v, axis=1) * 1000.0)
    assert nu.mean() == pytest.approx(mu, abs=4 * 0.4 / math.sqrt(N_SAMPLE))
    assert nu.std() == pytest.approx(0.4, rel=0.01)
    directions = delta_v / np.linalg.norm(delta_v, axis=1, keepdims=True)
    # uniform on the sphere: mean direction 0, each axis's second moment 1/3
    assert np.linalg.norm(directions.mean(axis=0)) < 4 / math.sqrt(N_SAMPLE)
    assert (directions**2).mean(axis=0) == pytest.approx([1 / 3] * 3, abs=0.005)


def test_area_and_mass_follow_from_the_length_and_area_to_mass():
    assert area_from_length([0.001, 0.1]) == pytest.approx([0.540424e-6, 0.556945 * 0.1**2.0047077])
    # sizes on both sides of the 1.67 mm switch between the two area laws
    fragments = breakup(R, V, kind="explosion", mass_kg=1000.0, min_length_m=0.0015, max_length_m=0.002, seed=9)
    lengths = np.array([f.characteristic_length_m for f in fragments])
    areas = np.array([f.area_m2 for f in fragments])
    assert lengths.min() < 0.00167 < lengths.max()
    assert areas == pytest.approx(np.where(lengths < 0.00167, 0.540424 * lengths**2, 0.556945 * lengths**2.0047077))
    masses = np.array([f.mass_kg for f in fragments])
    assert masses == pytest.approx(areas / np.array([f.area_to_mass_m2_kg for f in fragments]))


def test_same_seed_same_fragments_other_seed_other_fragments():
    def cloud(seed):
        return breakup(R, V, kind="collision", mass_kg=700.0, projectile_mass_kg=10.0, impact_speed_km_s=8.0, seed=seed)

    first, again, other = cloud(2031), cloud(2031), cloud(2032)
    assert len(first) == len(again) == len(other)
    for a, b in zip(first, again, strict=True):
        assert a.characteristic_length_m == b.characteristic_length_m
        assert a.area_to_mass_m2_kg == b.area_to_mass_m2_kg
        assert a.mass_kg == b.mass_kg
        assert np.array_equal(a.delta_v_km_s, b.delta_v_km_s)
        assert np.array_equal(a.velocity_km_s, b.velocity_km_s)
    assert [f.characteristic_length_m for f in first] != [f.characteristic_length_m for f in other]


def test_fragments_start_at_the_parent_with_velocities_around_its_own():
    fragments = breakup(R, V, kind="explosion", mass_kg=1000.0, min_length_m=0.01, seed=12)
    velocities = np.array([f.velocity_km_s for f in fragments])
    delta_v = np.array([f.delta_v_km_s for f in fragments])
    assert all(np.array_equal(f.position_km, R) for f in fragments)
    assert velocities == pytest.approx(V + delta_v)
    # isotropic ejection: the mean velocity is the parent's within its standard error
    standard_error = np.sqrt((np.linalg.norm(delta_v, axis=1) ** 2).mean() / 3 / len(fragments))
    assert np.all(np.abs(velocities.mean(axis=0) - V) < 4 * standard_error)
    # explosion ejection speeds are metres to hundreds of metres per second, far below orbital speed
    assert np.median(np.linalg.norm(delta_v, axis=1)) < 0.1
    # the fragments' momentum relative to the parent is small beside the parent's own
    momentum = sum(f.mass_kg * f.delta_v_km_s for f in fragments)
    total_mass = sum(f.mass_kg for f in fragments)
    assert np.linalg.norm(momentum) < 0.01 * total_mass * np.linalg.norm(V)


def test_bad_inputs_are_refused():
    with pytest.raises(BreakupError):
        breakup(R, V, kind="implosion", mass_kg=1.0, seed=1)
    with pytest.raises(BreakupError):
        breakup(R, V, kind="collision", mass_kg=1.0, seed=1)
    with pytest.raises(BreakupError):
        breakup(R, V, kind="explosion", mass_kg=-1.0, seed=1)
    with pytest.raises(BreakupError):
        breakup(R, V, kind="explosion", mass_kg=1.0, min_length_m=1.0, max_length_m=0.5, seed=1)
    with pytest.raises(BreakupError):
        breakup(R, V, kind="explosion", mass_kg=1.0, parent_type="moon", seed=1)
    with pytest.raises(BreakupError):
        breakup([1.0, 2.0], V, kind="explosion", mass_kg=1.0, seed=1)


def _normal_cdf(z):
    return (1 + math.erf(z / math.sqrt(2))) / 2
