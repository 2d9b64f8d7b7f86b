"""``python -m paper_figs``: every argument is checked before any figure is rendered (issue 10).

Bad arguments give argparse's ``usage: ...`` / ``error: argument ...`` message and exit status 2;
the figure modules are replaced by recorders here, so a check that came after the rendering
would show up as a recorded call (and would cost no time).
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import paper_figs
from paper_figs import Figure
from paper_figs import __main__ as cli
from paper_figs._common import save

ROOT = Path(__file__).resolve().parents[1]
FID = "cubic_map_bifurcation"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, bool]]:
    """Replace every registered figure by a recorder; returns the list of make() calls."""
    made: list[tuple[Path, bool]] = []

    def make(out_dir: Path, quick: bool = False) -> list[Path]:
        made.append((out_dir, quick))
        return []

    fake = {}
    for fid, fig in paper_figs.FIGURES.items():
        module = types.SimpleNamespace(make=make, ID=fid)
        fake[fid] = Figure(fig.id, fig.paper, fig.figure, fig.caption, module)  # type: ignore[arg-type]
    monkeypatch.setattr(paper_figs, "FIGURES", fake)
    monkeypatch.setattr(cli, "FIGURES", fake)
    return made


def _main_exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    return int(info.value.code), capsys.readouterr().err


def test_out_is_an_existing_file(tmp_path, calls, capsys) -> None:
    target = tmp_path / "figs.txt"
    target.write_text("keep me")
    code, err = _main_exit([FID, "--out", str(target)], capsys)
    assert code == 2
    assert "usage:" in err and "argument --out" in err and "not a directory" in err
    assert "Traceback" not in err
    assert calls == []  # nothing rendered before the refusal
    assert target.read_text() == "keep me"


def test_out_below_a_file(tmp_path, calls, capsys) -> None:
    target = tmp_path / "figs.txt"
    target.write_text("")
    code, err = _main_exit([FID, "--out", str(target / "sub")], capsys)
    assert code == 2
    assert "argument --out" in err and "not a directory" in err
    assert calls == []


def test_out_empty(calls, capsys) -> None:
    code, err = _main_exit([FID, "--out", ""], capsys)
    assert code == 2 and "argument --out" in err
    assert calls == []


@pytest.mark.skipif(
    sys.platform == "win32" or (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="permissions do not bind root",
)
def test_out_not_writable(tmp_path, calls, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, err = _main_exit([FID, "--out", str(locked / "figs")], capsys)
        code2, err2 = _main_exit([FID, "--out", str(locked)], capsys)
    finally:
        locked.chmod(0o700)
    assert code == code2 == 2
    assert "not writable" in err and "not writable" in err2
    assert calls == []


def test_unknown_id_is_an_argparse_error(tmp_path, calls, capsys) -> None:
    code, err = _main_exit([FID, "no_such_figure", "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "usage:" in err and "no_such_figure" in err
    assert calls == []
    assert not (tmp_path / "o").exists()


def test_good_arguments_render(tmp_path, calls, capsys) -> None:
    """The checks accept a new directory (created on demand) and an existing one."""
    new = tmp_path / "a" / "b"
    assert cli.main([FID, "--out", str(new), "--quick"]) == 0
    assert calls == [(new, True)]
    assert cli.main([FID, FID, "--out", str(tmp_path)]) == 0  # repeats dropped
    assert calls[1:] == [(tmp_path, False)]


def test_write_failure_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    """An OSError while a figure is written: one error line and status 1, no traceback."""

    def make(out_dir: Path, quick: bool = False) -> list[Path]:
        raise PermissionError(13, "Permission denied", str(out_dir / "x.png"))

    fig = paper_figs.FIGURES[FID]
    module = types.SimpleNamespace(make=make, ID=FID)
    fake = {FID: Figure(fig.id, fig.paper, fig.figure, fig.caption, module)}  # type: ignore[arg-type]
    monkeypatch.setattr(cli, "FIGURES", fake)
    assert cli.main([FID, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"error: writing figure {FID}" in err and "Traceback" not in err


def test_subprocess_out_file(tmp_path) -> None:
    """The issue's reproduction, end to end: exit 2 before rendering, no traceback, file kept."""
    target = tmp_path / "figs"
    target.write_text("keep me")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    r = subprocess.run(
        [sys.executable, "-m", "paper_figs", FID, "--quick", "--out", str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    assert "argument --out" in r.stderr and "Traceback" not in r.stderr
    assert FID not in r.stdout  # no "<id> (quick): ... s -> files" line
    assert target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figs"]


# ----------------------------------------------------------------------------- library calls
def test_figure_make_checks_its_arguments(tmp_path, calls) -> None:
    fig = paper_figs.FIGURES[FID]
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(TypeError, match=r"^quick"):
        fig.make(tmp_path, quick="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^quick"):
        fig.make(tmp_path, quick=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^out_dir"):
        fig.make(target)
    with pytest.raises(TypeError, match=r"^out_dir"):
        fig.make(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^out_dir"):
        fig.make("")
    assert calls == []
    fig.make(tmp_path, quick=True)
    assert calls == [(tmp_path, True)]


def test_save_refuses_a_file_as_directory(tmp_path) -> None:
    from paper_figs._common import new_figure

    target = tmp_path / "file"
    target.write_text("keep me")
    with pytest.raises(ValueError, match=r"^out_dir"):
        save(new_figure(1, 1), target, "x")
    assert target.read_text() == "keep me"
