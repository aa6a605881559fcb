"""The teaching notebooks in notebooks/teaching/: structure, and what they compute.

`make test` already executes every notebook with its default parameters
(``pytest --nbval-lax notebooks`` recurses into notebooks/teaching/), so the solution
cells' assertions are checked there. This file adds what nbval cannot see:

* the structure the course relies on (checked on the committed files, in about a second):
  one ``parameters`` cell with the reserved parameters, an Exercises section whose every
  exercise has a ``solution`` cell with an ``assert``, no function definitions, outputs
  stripped;
* one papermill run per notebook, as the report runner does it: parameters injected
  (``output_dir`` set, cheaper sample sizes), the notebooks run in parallel on two
  processes (about a minute in all), and the tables they save are compared with
  independent computations on the bundled data and with the simulation truth.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sqlib
from sqlib import config
from sqlib.survey.simulate import sample_population

TEACHING_DIR = config.NOTEBOOKS_DIR / "teaching"
NOTEBOOKS = sorted(TEACHING_DIR.glob("T[0-9]_*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
RESERVED = ("data_path", "codebook_path", "output_dir", "seed", "language")
#: Cheaper values for the papermill run (the defaults already run under nbval).
TEST_PARAMETERS = {
    "T2_simulate_and_recover": {"replications": 10},
    "T4_structural_model_and_mediation": {"bootstrap_draws": 50},
}


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


# --------------------------------------------------------------------------- structure
def test_the_sequence_has_five_ordered_notebooks_listed_in_the_readme():
    assert [name[:2] for name in NAMES] == ["T1", "T2", "T3", "T4", "T5"], NAMES
    readme = (TEACHING_DIR / "README.md").read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"({name}.ipynb)" not in readme]
    assert not missing, f"README.md does not link {missing}"
    assert "make lab" in readme


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_parameters_cell_has_typed_reserved_parameters_pointing_at_bundled_data(path):
    code = _code_cells(_read(path))
    tagged = [cell for cell in code if "parameters" in _tags(cell)]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters', expected exactly 1"
    assert tagged[0] is code[0], f"{path.name}: the parameters cell must be the first code cell"
    tree = ast.parse(tagged[0].source)
    assigned = {node.target.id: node for node in tree.body if isinstance(node, ast.AnnAssign)}
    untyped = [node for node in tree.body if not isinstance(node, ast.AnnAssign)]
    assert not untyped, f"{path.name}: every parameter needs a type annotation"
    assert set(RESERVED) <= set(assigned), f"{path.name} lacks {set(RESERVED) - set(assigned)}"
    assert ast.literal_eval(assigned["output_dir"].value) == ""
    for name in ("data_path", "codebook_path"):
        target = TEACHING_DIR / ast.literal_eval(assigned[name].value)
        assert target.is_file(), f"{path.name}: {name} points at {target}, which does not exist"
    for line in tagged[0].source.splitlines():
        if "#" in line and not line.lstrip().startswith("#"):
            comment = line.split("#", 1)[1]
            assert not re.search(r"['\"=]", comment), f"{path.name}: quote or '=' in comment {comment!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_explains_before_it_computes(path):
    cells = _read(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {path.stem[:2]} ")
    assert "Learning goals" in cells[0].source
    first_code = next(k for k, cell in enumerate(cells) if cell.cell_type == "code")
    assert all(cell.cell_type == "markdown" for cell in cells[:first_code])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_exercise_has_a_solution_cell_that_asserts(path):
    cells = _read(path).cells
    heading = [k for k, cell in enumerate(cells) if cell.cell_type == "markdown"
               and re.search(r"^## Exercises\s*$", cell.source, re.M)]
    assert len(heading) == 1, f"{path.name}: needs exactly one '## Exercises' heading"
    solutions = [k for k, cell in enumerate(cells) if "solution" in _tags(cell)]
    assert solutions and min(solutions) > heading[0], f"{path.name}: solution cells belong after the Exercises heading"
    exercises = [k for k, cell in enumerate(cells) if cell.cell_type == "markdown"
                 and re.search(r"^### Exercise \d", cell.source, re.M)]
    assert 2 <= len(exercises) <= 4, f"{path.name}: {len(exercises)} exercises, expected 2 to 4"
    assert [k + 1 for k in exercises] == solutions, f"{path.name}: each exercise must be followed by its solution"
    for k in solutions:
        cell = cells[k]
        assert cell.cell_type == "code"
        assert any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(cell.source))), (
            f"{path.name}: solution cell {k} checks nothing with assert")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_code_cells_define_no_functions_or_classes(path):
    for k, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code":
            continue
        found = [type(node).__name__ for node in ast.walk(ast.parse(cell.source))
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
        assert not found, f"{path.name}, cell {k}: {found}; repeated code belongs in the sqlib package"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_committed_notebook_has_its_outputs_stripped(path):
    for k, cell in enumerate(_code_cells(_read(path))):
        assert cell.execution_count is None and cell.outputs == [], (
            f"{path.name}, code cell {k} has outputs; run `jupyter nbconvert --clear-output --inplace {path}`")


# --------------------------------------------------------------------------- execution
def _run(path: Path, out_dir: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3", "--cwd", str(TEACHING_DIR),
               str(path), str(out_dir / "executed" / path.name), "-p", "output_dir", str(out_dir)]
    for name, value in TEST_PARAMETERS.get(path.stem, {}).items():
        command += ["-p", name, str(value)]
    return subprocess.run(command, capture_output=True, text=True, cwd=TEACHING_DIR, timeout=600)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Execute every teaching notebook once (two at a time) into a temporary folder."""
    out_dir = tmp_path_factory.mktemp("teaching_run")
    (out_dir / "executed").mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        finished = dict(zip(NAMES, pool.map(lambda path: _run(path, out_dir), NOTEBOOKS)))
    failed = {name: proc.stderr[-2000:] for name, proc in finished.items() if proc.returncode != 0}
    assert not failed, f"notebooks failed under papermill: {failed}"
    return out_dir


def _table(run: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run / "tables" / f"{name}.csv")


@pytest.fixture(scope="module")
def survey():
    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    return codebook, sqlib.read_survey(config.SAMPLE_DATA, codebook)


@pytest.mark.parametrize("name", NAMES)
def test_executed_notebook_ran_its_solutions_with_the_injected_parameters(run, name):
    executed = _read(run / "executed" / f"{name}.ipynb")
    injected = [cell for cell in executed.cells if "injected-parameters" in _tags(cell)]
    assert injected and str(run) in injected[0].source
    solutions = [cell for cell in executed.cells if "solution" in _tags(cell)]
    assert solutions and all(cell.execution_count is not None for cell in solutions)
    assert not [o for cell in solutions for o in cell.outputs if o.output_type == "error"]
    summary = run / "summaries" / f"{name}.md"
    assert summary.is_file() and len(summary.read_text(encoding="utf-8").split()) > 10


def test_t1_dimension_gaps_equal_a_direct_computation(run, survey):
    codebook, data = survey
    table = _table(run, "T1_dimension_gaps").set_index("dimension")
    for dimension in codebook.dimensions:
        items = codebook.items_of(dimension)
        expectations = [codebook.expectations[item] for item in items]
        per_respondent = pd.DataFrame(data[items].to_numpy() - data[expectations].to_numpy()).mean(axis=1).dropna()
        assert table.loc[dimension, "n"] == len(per_respondent)
        assert table.loc[dimension, "mean_gap"] == pytest.approx(per_respondent.mean())
        assert table.loc[dimension, "t"] == pytest.approx(stats.ttest_1samp(per_respondent, 0).statistic)
    # the simulation set expectations above perceptions on every dimension
    assert (table["ci_upper"] < 0).all()


def test_t2_recovers_the_population_loadings_and_honours_the_parameters(run):
    recovered = _table(run, "T2_recovered_loadings")
    distance = (recovered["est_std"] - recovered["truth"]) / recovered["se"]
    assert distance.abs().max() < 3
    experiment = _table(run, "T2_sampling_experiment")
    assert list(experiment["rhs"]) == list(recovered["rhs"])
    assert (experiment["mean_se"] / experiment["sd_estimate"]).mean() == pytest.approx(1, abs=0.3)
    summary = (run / "summaries" / "T2_simulate_and_recover.md").read_text(encoding="utf-8")
    assert f"Over {TEST_PARAMETERS['T2_simulate_and_recover']['replications']} replications" in summary


def test_t3_alpha_equals_the_covariance_formula(run, survey):
    codebook, data = survey
    alphas = _table(run, "T3_cronbach_alpha").set_index("construct")
    assert list(alphas.index) == codebook.construct_names
    for construct in codebook.construct_names:
        cov = data[codebook.items_of(construct)].dropna().cov().to_numpy()
        k = cov.shape[0]
        assert alphas.loc[construct, "alpha"] == pytest.approx(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def test_t4_indirect_effects_are_products_of_the_saved_paths(run, survey):
    codebook, _ = survey
    paths = _table(run, "T4_paths").set_index("parameter")["b"]
    effects = _table(run, "T4_effects_on_loyalty").pivot(index="predictor", columns="effect", values="est")
    b = paths["loyalty ~ satisfaction"]
    for dimension in codebook.dimensions:
        assert effects.loc[dimension, "indirect"] == pytest.approx(paths[f"satisfaction ~ {dimension}"] * b, abs=2e-3)
        assert effects.loc[dimension, "direct"] == pytest.approx(paths[f"loyalty ~ {dimension}"], abs=2e-3)
    assert np.allclose(effects["total"], effects["direct"] + effects["indirect"])
    comparison = _table(run, "T4_mediation_comparison")
    assert comparison["delta_df"].iloc[1] == len(codebook.dimensions)
    summary = (run / "summaries" / "T4_structural_model_and_mediation.md").read_text(encoding="utf-8")
    assert f"from {TEST_PARAMETERS['T4_structural_model_and_mediation']['bootstrap_draws']} bootstrap" in summary


def test_t5_degrees_of_freedom_and_the_planted_non_invariant_item(run, survey):
    codebook, data = survey
    sequence = _table(run, "T5_invariance_sequence").set_index("level")
    constructs = ["responsiveness", "assurance"]
    n_items = sum(len(codebook.items_of(c)) for c in constructs)
    n_groups = data[codebook.group_column].nunique()
    assert sequence.loc["metric", "delta_df"] == (n_groups - 1) * (n_items - len(constructs))
    assert sequence["chisq"].is_monotonic_increasing
    freed = _table(run, "T5_noninvariant_parameters")
    planted = sample_population().noninvariant_intercepts
    assert list(freed["parameter"]) == [f"{item}~1" for (_, item) in planted]
    assert list(freed["deviating_group"]) == [group for (group, _) in planted]
