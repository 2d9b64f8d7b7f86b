"""Standing mutation check (issue 9, item 5): apply curated mutants, report killed / survived
and the *blind claims* of each mutant.

Usage (from the repo root)::

    python -m tests.mutation.run                    # the whole catalogue (about an hour on 2 cores)
    python -m tests.mutation.run --ci --time-budget 900     # the CI subset, time-boxed
    python -m tests.mutation.run --only spectrum.sharpness_half plugin.rtol_ignored
    python -m tests.mutation.run --list             # the catalogue, nothing run
    python -m tests.mutation.run --check            # every mutant applies cleanly, nothing run
    python -m tests.mutation.run --json mutation.json --jobs 2

``python tests/mutation/run.py ...`` works the same way.

Why a curated runner and not mutmut
-----------------------------------
mutmut mutates every operator, constant and string of the library blindly: on ``toymodels``
(~5,400 lines) that is thousands of mutants, most of them in input validation, error messages
and plotting-free bookkeeping that no claim rests on, and each one runs the tests that cover
its line (for the orbit and dynamics engines that is most of the suite, about 3 minutes on 2
cores). That is hours to days per run on this machine, and it still would not report the
quantity issue 9 asks for: claims that stay *verified* while the number they measure moved.
The catalogue in :mod:`tests.mutation.catalogue` instead holds a few dozen deliberate slips in
the formulas the claims rest on (every model family, spectra, orbits, dynamics, maps, the
model layer, the sweep and the claims comparison rules), each run against its family's tests
and the relevant core tests only.

What one mutant run does
------------------------
1. Snapshot ``toymodels/``, ``tests/``, ``proofs_check/`` and ``pyproject.toml`` once (from the
   working tree, or from a commit with ``--rev``), so every run of one invocation sees the
   same files even while the checkout is being edited.
2. Copy the snapshot into a fresh temporary directory, replace the mutant's ``old`` snippet
   (it must occur exactly once, otherwise the runner stops before running anything) and run::

       python -m pytest <tests> -q -p no:cacheprovider --claims-report=mut.json --junitxml=...

   with that directory as cwd and on ``PYTHONPATH``, so the mutated copy is imported and not
   the editable install. A probe plugin (``-p _mutation_probe``, written into the copy) records
   where every ``toymodels`` module was imported from; a run that imported anything from
   outside its copy is an error of the runner, never a result.
3. The same tests run unmutated once per distinct test set (the *baseline*; cached on disk
   under ``$TMPDIR/toymodels-mutation-cache`` keyed by the snapshot's content, ``--no-cache``
   to refresh).

Verdicts
--------
``killed``
    pytest failed under the mutant and (if the baseline itself failed) some test that passed
    in the baseline failed (``killed`` lists the first of them).
``survived``
    Nothing that passed in the baseline failed.
``equivalent``
    The catalogue says the mutant cannot change any result (with the reason); it is run when
    selected but not counted in the score.
``timeout``
    The run exceeded ``--timeout`` seconds; counted as killed (the tests did not pass).
``not-run``
    Not started because ``--time-budget`` was used up.

*Blind claims* of a mutant: claims whose outcome is ``verified`` under the mutant although at
least one numeric record's ``measured`` value moved from the baseline by more than that
record's tolerance. Records are paired by index (a claim whose number of records changed is
skipped and listed), lists leaf by leaf; the tolerance is ``tol + rtol·|predicted|`` for a
two-sided record (``relation "=="``) and ``max(tol, 10 % of |baseline margin|)`` for a one-sided
one (``"<="`` / ``">="``). A blind claim says "verified" about a library that computes a different
number: its check is too loose, or it compares the library with itself.

Mutation score = killed / (mutants run − equivalent).

Exit status: 0 when every non-equivalent mutant that ran was killed and no mutant has a blind
claim; 1 otherwise; 2 for a broken catalogue entry or a run that did not import its copy.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python tests/mutation/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.mutation.catalogue import CATALOGUE, Mutant, by_id
else:
    from .catalogue import CATALOGUE, Mutant, by_id

ROOT = Path(__file__).resolve().parents[2]
#: what each run gets a copy of
COPIED = ("toymodels", "tests", "proofs_check", "pyproject.toml")
FORMAT = "toymodels-mutation/1"
PROBE_MODULE = "_mutation_probe"
PROBE_FILE = "mutation_probe.json"
CACHE_DIR = Path(tempfile.gettempdir()) / "toymodels-mutation-cache"
#: bumped when the way a baseline is produced changes (invalidates the disk cache)
CACHE_VERSION = "2"
#: packages whose versions decide a baseline's numbers (hypothesis decides the examples drawn)
CACHE_PACKAGES = ("hypothesis", "numpy", "scipy", "sympy", "pytest", "mpmath")


def _package_versions() -> list[str]:
    from importlib import metadata

    out = []
    for name in CACHE_PACKAGES:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}==absent")
    return out


PROBE_SOURCE = textwrap.dedent(
    '''
    """Written by tests/mutation/run.py: where every toymodels module came from."""
    import json
    import os
    import sys


    def _report():
        mods = {
            name: getattr(mod, "__file__", None)
            for name, mod in list(sys.modules.items())
            if (name == "toymodels" or name.startswith("toymodels.")) and mod is not None
        }
        with open(os.path.join(os.getcwd(), "@PROBE_FILE@"), "w") as fh:
            json.dump({"cwd": os.getcwd(), "sys_path0": sys.path[0], "modules": mods}, fh)


    def pytest_configure(config):
        import toymodels  # noqa: F401  (the copy, if the runner set things up right)

        _report()


    def pytest_sessionfinish(session, exitstatus):
        _report()
    '''
).replace("@PROBE_FILE@", PROBE_FILE)


# ------------------------------------------------------------------------------- snapshot
def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n in ("__pycache__", ".hypothesis", ".pytest_cache", "mutants")
        or n.endswith((".pyc", ".pyo"))
    }


def make_snapshot(dest: Path, rev: str | None) -> None:
    """Copy the files every run needs into ``dest`` (from the working tree or ``git rev``)."""
    dest.mkdir(parents=True)
    if rev is None:
        for name in COPIED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=_ignore)
            elif src.exists():
                shutil.copy2(src, dest / name)
        return
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, *COPIED],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def tree_hash(root: Path) -> str:
    """sha256 over the relative paths and contents of every file under ``root``."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def check_mutants(snapshot: Path, mutants: list[Mutant]) -> list[str]:
    """Problems with catalogue entries against ``snapshot`` ('' list when all apply once)."""
    problems = []
    for m in mutants:
        path = snapshot / m.file
        if not path.exists():
            problems.append(f"{m.id}: file {m.file} does not exist")
            continue
        n = path.read_text(encoding="utf-8").count(m.old)
        if n != 1:
            problems.append(f"{m.id}: the old snippet occurs {n} times in {m.file} (need 1)")
        for t in m.tests:
            if not (snapshot / t.split("::", 1)[0]).exists():
                problems.append(f"{m.id}: test path {t} does not exist")
    return problems


def apply_mutant(workdir: Path, m: Mutant) -> None:
    """Replace ``m.old`` by ``m.new`` in the copy; raise if it does not occur exactly once."""
    path = workdir / m.file
    text = path.read_text(encoding="utf-8")
    n = text.count(m.old)
    if n != 1:
        raise RuntimeError(f"mutant {m.id}: old snippet occurs {n} times in {m.file}, need 1")
    path.write_text(text.replace(m.old, m.new, 1), encoding="utf-8")


# ----------------------------------------------------------------------------- running pytest
@dataclass
class RunResult:
    """One pytest run (baseline or mutant)."""

    exit_code: int
    seconds: float
    failed: list[str]  # junit ids of failed / errored tests
    claims: dict[str, dict[str, Any]]  # claim id -> report entry
    timed_out: bool = False
    output_tail: str = ""
    probe_problem: str = ""


def _env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(workdir) + (os.pathsep + old if old else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _junit_failures(path: Path) -> list[str]:
    if not path.exists():
        return []
    try:
        tree = ET.parse(path)
    except ET.ParseError:
        return ["<unreadable junit xml>"]
    out = []
    for case in tree.iter("testcase"):
        if any(child.tag in ("failure", "error") for child in case):
            out.append(f"{case.get('classname', '')}::{case.get('name', '')}")
    return out


def _load_claims(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {c["id"]: c for c in data.get("claims", []) if isinstance(c, dict) and "id" in c}


def _check_probe(workdir: Path) -> str:
    """'' if every toymodels module of the run was imported from ``workdir``."""
    path = workdir / PROBE_FILE
    if not path.exists():
        return "the probe plugin wrote nothing (pytest did not configure?)"
    data = json.loads(path.read_text(encoding="utf-8"))
    root = str(workdir.resolve())
    bad = {
        name: f
        for name, f in data.get("modules", {}).items()
        if f is not None and not str(Path(f).resolve()).startswith(root + os.sep)
    }
    if "toymodels" not in data.get("modules", {}):
        return "toymodels was never imported"
    if bad:
        first = sorted(bad.items())[:3]
        return f"imported from outside the copy {root}: {first}"
    return ""


def run_pytest(workdir: Path, tests: tuple[str, ...], timeout: float) -> RunResult:
    """Run ``tests`` in ``workdir`` (the copy is what gets imported; the probe checks it)."""
    (workdir / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE, encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *tests,
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        PROBE_MODULE,
        "-n",
        "0",  # in-process (pyproject's addopts ask for xdist workers; the probe records here)
        "--no-claims-table",
        "--claims-report=mut.json",
        "--junitxml=mut-junit.xml",
        "--tb=line",
    ]
    t0 = time.monotonic()
    timed_out = False
    try:
        proc = subprocess.run(
            cmd,
            cwd=workdir,
            env=_env(workdir),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        code, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        timed_out = True
        code = -1
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
    seconds = time.monotonic() - t0
    return RunResult(
        exit_code=code,
        seconds=seconds,
        failed=_junit_failures(workdir / "mut-junit.xml"),
        claims=_load_claims(workdir / "mut.json"),
        timed_out=timed_out,
        output_tail="\n".join(out.strip().splitlines()[-15:]),
        probe_problem="" if timed_out else _check_probe(workdir),
    )


def sanity_check(snapshot: Path, scratch: Path) -> str:
    """Import toymodels the way a run does and check it comes from the copy; '' if fine."""
    work = scratch / "sanity"
    shutil.copytree(snapshot, work)
    code = (
        "import sys, toymodels, toymodels.claims.plugin as p; "
        "print(sys.path[0]); print(toymodels.__file__); print(p.__file__)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=_env(work), capture_output=True, text=True
    )
    if proc.returncode != 0:
        return f"importing toymodels from the copy failed:\n{proc.stderr}"
    lines = proc.stdout.split()
    root = str(work.resolve()) + os.sep
    for f in lines[1:]:
        if not str(Path(f).resolve()).startswith(root):
            return f"toymodels is imported from {f}, not from the copy {work}"
    shutil.rmtree(work, ignore_errors=True)
    return ""


# --------------------------------------------------------------------------------- blindness
def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _as_number(x: Any) -> complex | float | None:
    """A report leaf as a number (complex numbers are stored as {"__complex__": [re, im]})."""
    if isinstance(x, dict) and set(x) == {"__complex__"}:
        re, im = x["__complex__"]
        return complex(float(re), float(im)) if _is_num(re) and _is_num(im) else None
    if isinstance(x, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(x)
    return float(x) if _is_num(x) else None


def _leaves(x: Any, index: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], Any]]:
    if isinstance(x, list):
        out = []
        for i, v in enumerate(x):
            out += _leaves(v, (*index, i))
        return out
    return [(index, x)]


def _predicted_at(pred: Any, index: tuple[int, ...]) -> Any:
    """The predicted leaf paired with a measured leaf (a scalar broadcasts)."""
    p = pred
    for i in index:
        if not isinstance(p, list):
            break
        if i >= len(p):
            return None
        p = p[i]
    return None if isinstance(p, list) else p


@dataclass
class Moved:
    """One measured leaf of a verified claim that moved more than its tolerance."""

    claim: str
    record: int
    index: str
    old: Any
    new: Any
    allowed: float
    relation: str


def blind_claims(
    base: dict[str, dict[str, Any]], mut: dict[str, dict[str, Any]]
) -> tuple[dict[str, list[Moved]], list[str]]:
    """(claim id -> moved leaves, notes on skipped comparisons) for verified mutant claims."""
    blind: dict[str, list[Moved]] = {}
    notes: list[str] = []
    for cid, c in mut.items():
        if c.get("outcome") != "verified" or cid not in base:
            continue
        b_recs, m_recs = base[cid].get("records") or [], c.get("records") or []
        if len(b_recs) != len(m_recs):
            notes.append(f"{cid}: {len(b_recs)} records in the baseline, {len(m_recs)} now")
            continue
        for r, (rb, rm) in enumerate(zip(b_recs, m_recs, strict=True)):
            lb, lm = _leaves(rb.get("measured")), _leaves(rm.get("measured"))
            if [i for i, _ in lb] != [i for i, _ in lm]:
                notes.append(f"{cid}: record {r} changed shape")
                continue
            relation = rb.get("relation") or "=="
            tol = float(rb.get("tol") or 0.0)
            rtol = float(rb.get("rtol") or 0.0)
            margin = _as_number(rb.get("margin"))
            for (index, vb), (_, vm) in zip(lb, lm, strict=True):
                nb, nm = _as_number(vb), _as_number(vm)
                if nb is None or nm is None:
                    continue
                if not (_finite(nb) and _finite(nm)):
                    continue
                if relation == "==":
                    p = _as_number(_predicted_at(rb.get("predicted"), index))
                    allowed = tol + (rtol * abs(p) if p is not None and _finite(p) else 0.0)
                else:
                    m = abs(margin) if margin is not None and _finite(margin) else 0.0
                    allowed = max(tol, 0.1 * m)
                if abs(nm - nb) > allowed:
                    blind.setdefault(cid, []).append(
                        Moved(cid, r, "".join(f"[{i}]" for i in index), vb, vm, allowed, relation)
                    )
    return blind, notes


def _finite(x: complex | float) -> bool:
    if isinstance(x, complex):
        return math.isfinite(x.real) and math.isfinite(x.imag)
    return math.isfinite(x)


def verdict_changes(
    base: dict[str, dict[str, Any]], mut: dict[str, dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """Claims whose outcome differs between baseline and mutant: (id, old, new)."""
    out = []
    for cid, b in base.items():
        new = mut.get(cid, {}).get("outcome", "missing")
        if new != b.get("outcome"):
            out.append((cid, str(b.get("outcome")), str(new)))
    return out


# ----------------------------------------------------------------------------------- driver
@dataclass
class MutantResult:
    mutant: Mutant
    status: str = "not-run"
    seconds: float = 0.0
    exit_code: int | None = None
    killing: list[str] = field(default_factory=list)
    blind: dict[str, list[Moved]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    run: RunResult | None = None


class Runner:
    def __init__(self, args: argparse.Namespace, mutants: list[Mutant]) -> None:
        self.args = args
        self.mutants = mutants
        self.scratch = Path(tempfile.mkdtemp(prefix="toymodels-mutation-"))
        self.snapshot = self.scratch / "snapshot"
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.baselines: dict[tuple[str, ...], RunResult] = {}
        self.baseline_locks: dict[tuple[str, ...], threading.Lock] = {}
        self.snapshot_hash = ""

    # -- helpers
    def log(self, msg: str) -> None:
        with self.lock:
            print(f"[{time.monotonic() - self.t0:7.1f}s] {msg}", flush=True)

    def over_budget(self) -> bool:
        b = self.args.time_budget
        return b is not None and time.monotonic() - self.t0 > b

    def _copy(self, name: str) -> Path:
        work = self.scratch / name
        shutil.copytree(self.snapshot, work)
        return work

    def _cache_path(self, tests: tuple[str, ...]) -> Path:
        key = hashlib.sha256(
            json.dumps(
                [CACHE_VERSION, self.snapshot_hash, list(tests), sys.version, _package_versions()]
            ).encode()
        ).hexdigest()[:32]
        return CACHE_DIR / f"{key}.json"

    # -- baselines
    def baseline(self, tests: tuple[str, ...]) -> RunResult:
        """The unmutated run of ``tests`` (run once; concurrent callers wait for it)."""
        with self.lock:
            key_lock = self.baseline_locks.setdefault(tests, threading.Lock())
        with key_lock:
            return self._baseline_locked(tests)

    def _baseline_locked(self, tests: tuple[str, ...]) -> RunResult:
        with self.lock:
            if tests in self.baselines:
                return self.baselines[tests]
        cache = self._cache_path(tests)
        if not self.args.no_cache and cache.exists():
            data = json.loads(cache.read_text(encoding="utf-8"))
            res = RunResult(**data)
            self.log(f"baseline {_short_tests(tests)}: cached (exit {res.exit_code})")
        else:
            work = self._copy("base-" + hashlib.sha1("|".join(tests).encode()).hexdigest()[:10])
            self.log(f"baseline {_short_tests(tests)}: running")
            res = run_pytest(work, tests, self.args.timeout)
            if res.probe_problem:
                raise SystemExit(f"baseline {tests}: {res.probe_problem}")
            self.log(
                f"baseline {_short_tests(tests)}: exit {res.exit_code}, "
                f"{len(res.failed)} failed, {len(res.claims)} claims, {res.seconds:.0f}s"
            )
            if res.exit_code not in (0, 1) or res.timed_out:
                tail = textwrap.indent(res.output_tail, "    ")
                self.log(f"  baseline did not run cleanly:\n{tail}")
            elif not res.timed_out:
                with contextlib.suppress(OSError):
                    CACHE_DIR.mkdir(parents=True, exist_ok=True)
                    cache.write_text(json.dumps(res.__dict__), encoding="utf-8")
            if not self.args.keep:
                shutil.rmtree(work, ignore_errors=True)
        with self.lock:
            self.baselines[tests] = res
        return res

    # -- one mutant
    def run_mutant(self, m: Mutant) -> MutantResult:
        out = MutantResult(m)
        if self.over_budget():
            return out
        work = self._copy("mut-" + m.id)
        apply_mutant(work, m)
        self.log(f"{m.id}: running {_short_tests(m.tests)}")
        res = run_pytest(work, m.tests, self.args.timeout)
        out.run, out.seconds, out.exit_code = res, res.seconds, res.exit_code
        if res.probe_problem:
            raise SystemExit(f"mutant {m.id}: {res.probe_problem}")
        base = self.baseline(m.tests)
        new_fail = [f for f in res.failed if f not in set(base.failed)]
        if res.timed_out:
            out.status = "timeout"
        elif res.exit_code != 0 and (base.exit_code == 0 or new_fail):
            out.status = "killed"
        elif res.exit_code in (3, 4, 5):  # internal / usage error, nothing collected
            out.status = "error"
            out.notes.append(f"pytest exit {res.exit_code}: {res.output_tail[-300:]}")
        else:
            out.status = "survived"
        if base.exit_code != 0:
            out.notes.append(
                f"baseline of this test set fails ({len(base.failed)} tests): judged on the "
                "tests that passed in the baseline"
            )
        out.killing = new_fail if new_fail else ([] if base.exit_code else res.failed)
        out.blind, skipped = blind_claims(base.claims, res.claims)
        out.notes += skipped
        out.changed = verdict_changes(base.claims, res.claims)
        if m.equivalent and out.status == "survived":
            out.status = "equivalent"
        self.log(
            f"{m.id}: {out.status} ({res.seconds:.0f}s, exit {res.exit_code}, "
            f"{len(out.blind)} blind, {len(out.changed)} verdicts changed)"
        )
        if not self.args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return out

    def run(self) -> list[MutantResult]:
        # baselines first (in catalogue order of their test sets), then mutants
        groups: list[tuple[str, ...]] = []
        for m in self.mutants:
            if m.tests not in groups:
                groups.append(m.tests)
        results: dict[str, MutantResult] = {}
        with cf.ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
            # each worker drives one pytest subprocess at a time: N jobs = N processes
            futs = {}
            for g in groups:
                futs[pool.submit(self._baseline_if_needed, g)] = None
            for m in self.mutants:
                futs[pool.submit(self.run_mutant, m)] = m
            for fut in cf.as_completed(futs):
                m = futs[fut]
                res = fut.result()  # re-raises SystemExit / errors of the runner
                if m is not None:
                    results[m.id] = res
        return [results[m.id] for m in self.mutants]

    def _baseline_if_needed(self, tests: tuple[str, ...]) -> None:
        if self.over_budget():
            return None  # a mutant that still starts runs its baseline itself
        self.baseline(tests)
        return None

    def cleanup(self) -> None:
        if self.args.keep:
            print(f"kept the work directories in {self.scratch}")
        else:
            shutil.rmtree(self.scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------- output
def _short_tests(tests: tuple[str, ...]) -> str:
    names = [t.rsplit("/", 1)[-1] for t in tests]
    s = " ".join(names)
    return s if len(s) <= 70 else s[:67] + "..."


def _short_claim(cid: str) -> str:
    return cid.rsplit("/", 1)[-1]


def _fmt(x: Any) -> str:
    n = _as_number(x)
    if n is None:
        return repr(x)
    if isinstance(n, complex):
        return f"{n:.6g}"
    return f"{n:.8g}"


def score(results: list[MutantResult]) -> tuple[int, int]:
    """(killed, counted): counted = mutants run − equivalent (timeouts count as killed)."""
    ran = [r for r in results if r.status != "not-run" and not r.mutant.equivalent]
    killed = sum(r.status in ("killed", "timeout") for r in ran)
    return killed, len(ran)


def print_table(results: list[MutantResult], show: int = 3) -> None:
    w = max([len("mutant")] + [len(r.mutant.id) for r in results])
    print()
    print(f"{'mutant':<{w}}  {'status':<10}  {'secs':>5}  {'blind':>5}  blind claims (old -> new)")
    print("-" * (w + 80))
    for r in results:
        blind = ""
        if r.blind:
            parts = []
            for cid, moved in list(r.blind.items())[:show]:
                mv = moved[0]
                parts.append(
                    f"{_short_claim(cid)} r{mv.record}{mv.index} {_fmt(mv.old)}->{_fmt(mv.new)}"
                )
            blind = "; ".join(parts) + (" ..." if len(r.blind) > show else "")
        secs = f"{r.seconds:5.0f}" if r.status != "not-run" else "    -"
        print(f"{r.mutant.id:<{w}}  {r.status:<10}  {secs}  {len(r.blind):>5}  {blind}")
    killed, counted = score(results)
    equiv = sum(1 for r in results if r.mutant.equivalent and r.status != "not-run")
    not_run = [r.mutant.id for r in results if r.status == "not-run"]
    print()
    pct = f"{100 * killed / counted:.1f} %" if counted else "n/a"
    print(
        f"mutation score: {killed}/{counted} = {pct} "
        f"(killed / (run - equivalent); {equiv} equivalent run, {len(not_run)} not run)"
    )
    survivors = [r.mutant.id for r in results if r.status in ("survived", "error")]
    if survivors:
        print("survived (need a stronger test, or an equivalent= reason): " + ", ".join(survivors))
    n_blind = sum(len(r.blind) for r in results)
    if n_blind:
        print(f"blind claims: {n_blind} (verified while a measured number moved):")
        for r in results:
            for cid, moved in r.blind.items():
                mv = moved[0]
                more = f" (+{len(moved) - 1} more leaves)" if len(moved) > 1 else ""
                print(
                    f"  {r.mutant.id}: {cid} record {mv.record}{mv.index} "
                    f"{_fmt(mv.old)} -> {_fmt(mv.new)} (allowed {mv.allowed:.3g}, "
                    f"{mv.relation}){more}"
                )
    if not_run:
        print("not run (time budget): " + ", ".join(not_run))
    for r in results:
        for note in r.notes:
            print(f"note {r.mutant.id}: {note}")


def to_json(results: list[MutantResult], runner: Runner, source: str) -> dict[str, Any]:
    killed, counted = score(results)
    return {
        "format": FORMAT,
        "source": source,
        "snapshot_sha256": runner.snapshot_hash,
        "score": {
            "killed": killed,
            "counted": counted,
            "value": killed / counted if counted else None,
            "equivalent": sum(1 for r in results if r.mutant.equivalent),
            "not_run": [r.mutant.id for r in results if r.status == "not-run"],
        },
        "mutants": [
            {
                "id": r.mutant.id,
                "area": r.mutant.area,
                "file": r.mutant.file,
                "description": r.mutant.description,
                "tests": list(r.mutant.tests),
                "ci": r.mutant.ci,
                "issue": r.mutant.issue,
                "equivalent": r.mutant.equivalent,
                "status": r.status,
                "seconds": round(r.seconds, 1),
                "exit_code": r.exit_code,
                "killing_tests": r.killing[:20],
                "verdict_changes": [
                    {"claim": c, "baseline": a, "mutant": b} for c, a, b in r.changed
                ],
                "blind_claims": [
                    {
                        "claim": cid,
                        "moved": [
                            {
                                "record": mv.record,
                                "index": mv.index,
                                "baseline": mv.old,
                                "mutant": mv.new,
                                "allowed": mv.allowed,
                                "relation": mv.relation,
                            }
                            for mv in moved
                        ],
                    }
                    for cid, moved in r.blind.items()
                ],
                "notes": r.notes,
            }
            for r in results
        ],
        "baselines": [
            {
                "tests": list(t),
                "exit_code": b.exit_code,
                "seconds": round(b.seconds, 1),
                "failed": b.failed,
                "claims": len(b.claims),
            }
            for t, b in runner.baselines.items()
        ],
    }


def print_list(mutants: list[Mutant]) -> None:
    w = max(len(m.id) for m in mutants)
    for m in mutants:
        flags = ("ci " if m.ci else "   ") + ("issue " if m.issue else "      ")
        flags += "equiv" if m.equivalent else "     "
        print(f"{m.id:<{w}}  {flags}  {m.description}")
        print(f"{'':<{w}}    {m.file}: {_one(m.old)!r} -> {_one(m.new)!r}")
        print(f"{'':<{w}}    tests: {' '.join(m.tests)}")
    areas: dict[str, int] = {}
    for m in mutants:
        areas[m.area] = areas.get(m.area, 0) + 1
    print(
        f"\n{len(mutants)} mutants ({sum(m.ci for m in mutants)} in the CI subset, "
        f"{sum(bool(m.equivalent) for m in mutants)} equivalent): "
        + ", ".join(f"{a} {n}" for a, n in areas.items())
    )


def _one(s: str) -> str:
    return " ".join(s.split())


# ------------------------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tests.mutation.run",
        description="Curated mutation testing of the formulas the claims rest on (issue 9).",
    )
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these mutant ids")
    p.add_argument(
        "--ci", action="store_true", help="run the CI subset (ci=True); implies --no-cache"
    )
    p.add_argument("--jobs", type=int, default=2, help="pytest processes at a time (default 2)")
    p.add_argument(
        "--time-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no new mutant after this many seconds (the rest are reported not-run)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="per pytest run; a mutant run that exceeds it is a timeout (default 900)",
    )
    p.add_argument("--json", metavar="PATH", help="write machine-readable results here")
    p.add_argument("--list", action="store_true", help="list the selected mutants and exit")
    p.add_argument(
        "--check", action="store_true", help="check every selected mutant applies, run nothing"
    )
    p.add_argument(
        "--rev",
        metavar="REV",
        help="take the files from this git revision instead of the working tree",
    )
    p.add_argument("--no-cache", action="store_true", help="rerun baselines (no disk cache)")
    p.add_argument("--keep", action="store_true", help="keep the temporary work directories")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be >= 1")
    return args


def select(args: argparse.Namespace) -> list[Mutant]:
    table = by_id()
    mutants = list(CATALOGUE)
    if args.only:
        unknown = [i for i in args.only if i not in table]
        if unknown:
            raise SystemExit(f"unknown mutant id(s): {unknown} (see --list)")
        mutants = [table[i] for i in args.only]
    if args.ci:
        mutants = [m for m in mutants if m.ci]
        # CI compares against baselines it ran itself: a cache left on the machine by an earlier
        # run (other package versions draw other hypothesis examples) made a claim look blind
        args.no_cache = True
    return mutants


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mutants = select(args)
    if args.list:
        print_list(mutants)
        return 0
    runner = Runner(args, mutants)
    try:
        make_snapshot(runner.snapshot, args.rev)
        problems = check_mutants(runner.snapshot, mutants)
        if problems:
            print("catalogue entries that do not apply:", file=sys.stderr)
            for pr in problems:
                print("  " + pr, file=sys.stderr)
            return 2
        if args.check:
            print(f"all {len(mutants)} selected mutants apply exactly once")
            return 0
        if args.rev is None:
            dirty = subprocess.run(
                ["git", "-C", str(ROOT), "status", "--porcelain", "--", "toymodels"],
                capture_output=True,
                text=True,
            ).stdout.rstrip()
            if dirty:
                print(
                    "warning: library files differ from HEAD (uncommitted edits, or another "
                    "session's mutation in progress); the runs use them as they are now. "
                    "Use --rev HEAD for the committed library.\n" + textwrap.indent(dirty, "    "),
                    file=sys.stderr,
                )
        runner.snapshot_hash = tree_hash(runner.snapshot)
        problem = sanity_check(runner.snapshot, runner.scratch)
        if problem:
            print(f"sanity check failed: {problem}", file=sys.stderr)
            return 2
        runner.log(
            f"sanity: toymodels is imported from the copy; {len(mutants)} mutants, "
            f"{args.jobs} jobs, source {'working tree' if args.rev is None else args.rev}"
        )
        results = runner.run()
        print_table(results)
        if args.json:
            source = "working tree" if args.rev is None else f"git {args.rev}"
            Path(args.json).write_text(
                json.dumps(to_json(results, runner, source), indent=1, default=str) + "\n",
                encoding="utf-8",
            )
            print(f"wrote {args.json}")
    finally:
        runner.cleanup()
    bad = any(r.status in ("survived", "error") for r in results if not r.mutant.equivalent)
    bad = bad or any(r.blind for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
