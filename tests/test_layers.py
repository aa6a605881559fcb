"""The package's layers import one way: report -> analysis -> survey | sem -> core.

The contract lives in pyproject.toml ([tool.importlinter]); import-linter checks every
import, including those inside functions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sqlib import config

LINT = Path(sys.executable).parent / "lint-imports"


def run_contract(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True)


def test_layers_contract_is_kept():
    out = run_contract(config.PROJECT_ROOT)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "1 kept, 0 broken" in out.stdout


def test_layers_contract_rejects_sem_importing_analysis(tmp_path):
    """The contract catches a violation: a copy of the package whose sem layer imports analysis."""
    import shutil

    shutil.copytree(config.PROJECT_ROOT / "src" / "sqlib", tmp_path / "sqlib")
    shutil.copy(config.PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "sqlib" / "sem" / "violation.py").write_text("from sqlib.analysis import reliability\n")
    out = subprocess.run([str(LINT), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode != 0
    assert "sqlib.sem.violation -> sqlib.analysis.reliability" in out.stdout


@pytest.mark.parametrize("layer", ["core", "survey", "sem", "analysis", "report"])
def test_every_layer_is_a_package(layer):
    assert (config.PROJECT_ROOT / "src" / "sqlib" / layer / "__init__.py").exists()


def test_no_module_left_outside_the_layers():
    top = sorted(p.name for p in (config.PROJECT_ROOT / "src" / "sqlib").glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def test_no_two_modules_differ_by_one_letter():
    names = sorted({p.stem for p in (config.PROJECT_ROOT / "src" / "sqlib").rglob("*.py")} - {"__init__"})
    close = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if _one_edit_apart(a, b)]
    assert not close, close
    assert _one_edit_apart("model", "models") and _one_edit_apart("plots", "plot")
