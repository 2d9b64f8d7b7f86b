"""paper_figs: the registry, the command line and quick renders of every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
IDS = [
    "cubic_map_bifurcation",
    "catapult",
    "phase_diagram",
    "scalar_net_gfs",
    "depth2_flatter_than_gf",
    "uv_catapult",
    "uv_phase_diagram",
    "threshold_product_portrait",
    "threshold_mean_model",
    "threshold_full_net",
    "diagonal_net_stepsize",
    "deep_linear_orbit_diagram",
    "deep_linear_oscillating_directions",
    "deep_linear_balance_gaps",
    "self_stabilization_stages",
    "self_stabilization_loss",
    "minimalist_eos",
    "normal_form_threshold",
    "logistic_regression_eos",
    "sgd_without_replacement",
    "sgd_support",
    "batch_sharpness",
    "one_step_features",
    "orbit_diagram_lyapunov",
    "cascade_certified",
    "zhu_alignment",
    "trainability_fractal",
    "zhu_phase_diagram",
]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "paper_figs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_registry() -> None:
    import paper_figs

    assert list(paper_figs.FIGURES) == IDS
    for fid, fig in paper_figs.FIGURES.items():
        assert fig.id == fid == fig.module.ID
        assert fig.paper and fig.caption and "\n" not in fig.caption
        assert fig.figure == "new" or fig.figure[0].isdigit()
        assert callable(fig.module.make)
        assert "Settings" in (fig.module.__doc__ or "")


def test_list(tmp_path: Path) -> None:
    r = _run("--list", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for fid in IDS:
        assert fid in r.stdout
    assert len(r.stdout.strip().splitlines()) == len(IDS)


def test_unknown_id_exits_2(tmp_path: Path) -> None:
    r = _run("no_such_figure", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 2
    assert "no_such_figure" in r.stderr
    assert not (tmp_path / "out").exists()


def test_phase_codes() -> None:
    import toymodels as tm
    from paper_figs.phase_diagram import CATEGORIES, CODE, phase_code

    assert phase_code(tm.Phase("periodic", period=2)) == CODE["p2"]
    assert phase_code(tm.Phase("periodic", period=3)) == CODE["p3"]
    assert phase_code(tm.Phase("periodic", period=16)) == CODE["p8+"]
    assert phase_code(tm.Phase("periodic", period=6)) == CODE["pother"]
    assert phase_code(tm.Phase("diverged", diverged_at=3)) == CODE["diverged"]
    assert sorted(CODE.values()) == list(range(len(CATEGORIES)))


def test_uv_phase_diagram_helpers() -> None:
    import toymodels as tm
    from paper_figs.uv_phase_diagram import CATEGORIES, CODE, initial_states, phase_code

    q0 = np.linspace(0.0, 3.0, 7)
    th = initial_states(q0)
    assert np.all(th > 0)
    np.testing.assert_allclose(th[:, 0] * th[:, 1], 0.5, rtol=1e-14)
    np.testing.assert_allclose(th[:, 0] ** 2 - th[:, 1] ** 2, q0, atol=1e-14)
    assert phase_code(tm.Phase("periodic", period=2)) == CODE["p2"]
    assert phase_code(tm.Phase("periodic", period=8)) == CODE["pother"]
    assert phase_code(tm.Phase("catapult", period=1)) == CODE["catapult"]
    assert sorted(CODE.values()) == list(range(len(CATEGORIES)))


def test_scalar_net_plot_indices() -> None:
    from paper_figs.scalar_net_gfs import plot_indices

    idx = plot_indices(20_000, 2000)
    assert idx[0] == 0 and idx[-1] == 20_000 and np.all(np.diff(idx) > 0)
    assert 2000 <= idx.size <= 2600
    assert np.array_equal(idx[:200], np.arange(200))  # every step early on (no aliasing)
    assert np.array_equal(plot_indices(100, 2000), np.arange(101))


def test_catapult_quick_cli(tmp_path: Path) -> None:
    """The fastest figure end to end through the command line (a few seconds)."""
    out = tmp_path / "figs"
    r = _run("catapult", "--quick", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for ext in ("png", "pdf"):
        f = out / f"catapult.{ext}"
        assert f.is_file() and f.stat().st_size > 1000
    assert str(out) in r.stdout


def _no_unmasked_nan(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap the Axes plotting calls used by the figures: no NaN/inf may reach them unmasked."""
    from matplotlib.axes import Axes

    bad: list[str] = []

    def check(name: str, args: tuple, kwargs: dict) -> None:
        for v in (*args, *kwargs.values()):
            if isinstance(v, np.ma.MaskedArray):
                data = v.compressed()
            elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
                data = v
            else:
                continue
            if not np.all(np.isfinite(data)):
                bad.append(name)

    for name in ("plot", "scatter", "pcolormesh", "fill_between"):
        orig = getattr(Axes, name)

        def wrapper(self, *args, _orig=orig, _name=name, **kwargs):
            check(_name, args, kwargs)
            return _orig(self, *args, **kwargs)

        monkeypatch.setattr(Axes, name, wrapper)
    return bad


@pytest.mark.slow
@pytest.mark.parametrize("fid", IDS)
def test_render_quick(fid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure renders in quick mode, without RuntimeWarnings (pytest config) or NaN."""
    import paper_figs

    bad = _no_unmasked_nan(monkeypatch)
    paths = paper_figs.FIGURES[fid].make(tmp_path, quick=True)
    assert {p.suffix for p in paths} == {".png", ".pdf"}
    for p in paths:
        assert p.is_file() and p.stat().st_size > 1000
    png = next(p for p in paths if p.suffix == ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not bad, f"non-finite values reached {sorted(set(bad))}"
