"""The capacity model on synthetic sweeps with known answers."""

from __future__ import annotations

import pytest

from vmmonbench.scaling import ScalingPoint, capacity_model, fit_line


def _point(n: int, processing: float, utilization: float) -> ScalingPoint:
    return ScalingPoint(
        vms=n,
        hosts=1,
        stats_cycle_s=processing,
        db_time_per_stats_cycle_s=processing / 2,
        statements_per_stats_cycle=4 + 7 * n,
        utilization=utilization,
        effective_stats_period_s=15 + processing,
    )


def test_a_line_through_exact_points_is_recovered() -> None:
    fit = fit_line([500, 1000, 2000, 4000], [0.3 + 0.001 * n for n in (500, 1000, 2000, 4000)])
    assert fit is not None
    assert fit.fixed == pytest.approx(0.3)
    assert fit.per_vm == pytest.approx(0.001)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.reaches(15.0) == pytest.approx(14_700)


def test_noisy_points_still_fit_closely() -> None:
    xs = [500, 1000, 2000, 4000, 6000]
    noise = [0.02, -0.03, 0.01, 0.04, -0.02]
    fit = fit_line(xs, [1.0 + 0.002 * x + e for x, e in zip(xs, noise, strict=True)])
    assert fit is not None
    assert fit.per_vm == pytest.approx(0.002, rel=0.02)
    assert fit.r2 > 0.99


def test_degenerate_inputs() -> None:
    assert fit_line([1000], [2.0]) is None
    assert fit_line([1000, 1000], [2.0, 3.0]) is None
    flat = fit_line([1, 2, 3], [5.0, 5.0, 5.0])
    assert flat is not None
    assert flat.reaches(15.0) is None  # never saturates
    assert flat.reaches(1.0) == 0.0  # already above


def test_saturation_and_half_utilization_of_a_known_design() -> None:
    # processing = 0.5 s + 2.5 ms/VM; busy/idle = 0.0002 * N: u = 0.0002N / (1 + 0.0002N)
    sizes = [500, 1000, 2000, 4000, 6000]
    points = [_point(n, 0.5 + 0.0025 * n, 0.0002 * n / (1 + 0.0002 * n)) for n in sizes]
    model = capacity_model("per-vm-lock+event-plus-stats+3.6", 1, points)
    assert model.processing is not None
    assert model.processing.per_vm == pytest.approx(0.0025)
    assert model.processing.fixed == pytest.approx(0.5)
    assert model.saturation_vms == pytest.approx((15 - 0.5) / 0.0025)  # 5800 VMs
    assert model.half_utilization_vms == pytest.approx(5000)
    assert model.statements is not None
    assert model.statements.per_vm == pytest.approx(7)
    assert [p.vms for p in model.points] == sizes
