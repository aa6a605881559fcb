"""The project installs and runs the way the README says: dependencies, Makefile, CI, notebooks."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import nbformat
import pytest
import yaml

from sqlib import config

ROOT = config.PROJECT_ROOT


def normalise(name: str) -> str:
    """Package name without extras/version, compared the way pip does (PEP 503)."""
    bare = re.split(r"[\[<>=!~;\s]", name.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def declared(pyproject) -> set[str]:
    project = pyproject["project"]
    names = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        names += extra
    return {normalise(n) for n in names}


def pip_lines(environment: dict) -> list[str]:
    for entry in environment["dependencies"]:
        if isinstance(entry, dict) and "pip" in entry:
            return [str(line).strip() for line in entry["pip"]]
    return []


def test_environment_yml_lists_the_pyproject_dependencies(declared):
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert "pip" in conda
    assert any(re.fullmatch(r"python\s*=+\s*3\.11(\.\*)?", d) for d in conda)
    lines = pip_lines(environment)
    packages = {normalise(line) for line in lines if not line.startswith("-")}
    assert packages == declared
    assert "-c requirements.lock" in lines
    assert any(re.fullmatch(r"-e \.(\[dev\])?", line) for line in lines)


def test_every_dependency_is_pinned_in_the_lock_file(declared):
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pinned[normalise(name)] = version.strip()
    unpinned = sorted(declared - set(pinned))
    assert not unpinned, f"not pinned in requirements.lock: {unpinned}"
    assert all(re.fullmatch(r"\d+(\.\d+)*\S*", pinned[name]) for name in declared)


def test_console_script_points_at_cli_main(pyproject):
    from sqlib import cli

    assert pyproject["project"]["scripts"]["sqlib"] == "sqlib.report.cli:main"
    assert callable(cli.main)


def test_make_help_lists_the_main_targets():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    missing = {"report", "test", "lab", "data", "clean", "refs"} - listed
    assert not missing, f"make help does not list {sorted(missing)}"


@pytest.mark.parametrize("target, program", [("lab", "jupyter"), ("explore", "voila")])
def test_interactive_kernels_do_not_inherit_the_agg_backend(tmp_path, target, program):
    """make exports MPLBACKEND=Agg for unattended runs; JupyterLab and voila must not pass it
    on, or a student's figures never show. A stand-in program records the variable it gets."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    seen = tmp_path / "seen.txt"
    fake = tmp_path / program
    fake.write_text(f"#!/bin/sh\necho \"${{MPLBACKEND-unset}}\" > {seen}\n")
    fake.chmod(0o755)
    done = subprocess.run(["make", "-s", "-o", "setup", target, f"BIN={tmp_path}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert seen.read_text().strip() == "unset"


def readme_commands() -> list[str]:
    """Command lines inside the README's fenced code blocks, in order (comments dropped)."""
    commands, inside, shell = [], False, False
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        fence = re.match(r"^\s*```(\w*)", line)
        if fence:
            shell = not inside and fence.group(1) in ("", "bash", "sh", "shell", "console")
            inside = not inside
            continue
        if inside and shell:
            text = line.split(" #", 1)[0].strip().removeprefix("$ ")
            if text and not text.startswith("#"):
                commands.append(text)
    return commands


def test_readme_starts_with_make_report_and_make_test():
    commands = readme_commands()
    assert commands[:2] == ["make report", "make test"]


def test_readme_fit_example_runs():
    """The README's sqlib.fit example is short and runs as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Fitting a model", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    lines = [line for line in code.strip().splitlines() if line.strip()]
    assert len(lines) <= 12 and any("sqlib.fit(" in line for line in lines)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    result = namespace["result"]
    assert result.converged and "ind_reliability" in set(result.estimates["lhs"])


def test_ci_runs_make_test():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert "make test" in [line for line in lines if not line.startswith("#")]


def test_screening_notebook_is_stored_clean():
    nb = nbformat.read(config.NOTEBOOKS_DIR / "01_data_screening.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for name in ("data_path", "codebook_path", "output_dir", "seed", "language"):
        assert re.search(rf"^{name}\s*:", code[0].source, re.MULTILINE), f"parameter {name} missing"
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert not [c for c in code if re.search(r"^\s*(def|class) ", c.source, re.MULTILINE)]
