"""The teaching notebooks in notebooks/teaching/: structure, grading, handouts, and what they compute.

`make test` already executes every notebook with its default parameters
(``pytest --nbval-lax notebooks`` recurses into notebooks/teaching/). This file adds what
nbval cannot see:

* the structure the course relies on (checked on the committed files, in about a second):
  one typed ``parameters`` cell whose every parameter is used, an Exercises section in
  which every exercise has an ``answer`` cell (``...`` placeholders), a ``solution`` cell
  and a ``check`` cell that passes exactly the answer variables to a package checker, no
  function definitions, no saved outputs or sentences built in the notebook, outputs stripped;
* one in-process run per notebook (cheaper parameters) that keeps the variables at every
  check cell, so that every answer variable can be perturbed and its check must fail, and
  the specific wrong answers the course anticipates are named;
* the handouts (solutions stripped) stop at their first check with "not answered yet";
* the numbers the notebooks state, against independent computations and the simulation truth.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sqlib
from sqlib import config
from sqlib.core.errors import ReportError
from sqlib.report.reporting_checklist import reporting_checklist
from sqlib.report.teaching import handouts
from sqlib.report.teaching.grading import NotAnsweredYet, WrongAnswer
from sqlib.survey.simulate import BASE_THRESHOLDS, sample_population

from .notebook_exec import assigned_names, read, run_cells, tags

TEACHING_DIR = config.NOTEBOOKS_DIR / "teaching"
NOTEBOOKS = sorted(TEACHING_DIR.glob("T[0-9]_*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
#: Cheaper values for the in-process run (the defaults already run under nbval).
TEST_PARAMETERS = {
    "T2_simulate_and_recover": {"replications": 10},
    "T3_reliability_and_validity": {"htmt_draws": 50, "reliability_draws": 20},
    "T5_structural_model_and_mediation": {"bootstrap_draws": 50},
    "T7_real_data": {"replications": 10},
}


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _exercises(nb) -> list[dict]:
    """Each exercise's number, its answer, solution and check cells, and its answer variables."""
    found = []
    for k, cell in enumerate(nb.cells):
        match = re.search(r"^### Exercise (\d+)", cell.source, re.M) if cell.cell_type == "markdown" else None
        if match:
            answer, solution, check = nb.cells[k + 1:k + 4]
            found.append({"number": int(match.group(1)), "index": k, "answer": answer, "solution": solution,
                          "check": check, "variables": assigned_names(answer.source)})
    return found


ANSWER_VARIABLES = [(name, exercise["number"], variable) for path, name in zip(NOTEBOOKS, NAMES)
                    for exercise in _exercises(read(path)) for variable in exercise["variables"]]


# --------------------------------------------------------------------------- structure
def test_the_sequence_has_eight_ordered_notebooks_listed_in_the_readme():
    assert [name[:2] for name in NAMES] == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"], NAMES
    assert NAMES[3] == "T4_model_fit_and_respecification" and NAMES[4].startswith("T5_structural")
    readme = (TEACHING_DIR / "README.md").read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"({name}.ipynb)" not in readme]
    assert not missing, f"README.md does not link {missing}"
    assert "make lab" in readme and "make handouts" in readme
    assert "multi-group structural equation model" not in readme, "only a multi-group CFA is fitted"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_parameters_cell_is_typed_and_every_parameter_is_used(path):
    nb = read(path)
    code = _code_cells(nb)
    tagged = [cell for cell in code if "parameters" in tags(cell)]
    assert len(tagged) == 1 and tagged[0] is code[0], f"{path.name}: one parameters cell, the first code cell"
    tree = ast.parse(tagged[0].source)
    assert all(isinstance(node, ast.AnnAssign) for node in tree.body), f"{path.name}: every parameter needs a type"
    assigned = {node.target.id: node for node in tree.body}
    assert "output_dir" not in assigned, f"{path.name}: teaching notebooks save nothing"
    rest = "\n".join(cell.source for cell in code[1:])
    used = {node.id for node in ast.walk(ast.parse(rest)) if isinstance(node, ast.Name)}
    unused = sorted(set(assigned) - used)
    assert not unused, f"{path.name}: parameters {unused} are never used"
    for name in ("data_path", "codebook_path"):
        if name in assigned:
            target = TEACHING_DIR / ast.literal_eval(assigned[name].value)
            assert target.is_file(), f"{path.name}: {name} points at {target}, which does not exist"
    for line in tagged[0].source.splitlines():
        if "#" in line and not line.lstrip().startswith("#"):
            comment = line.split("#", 1)[1]
            assert not re.search(r"['\"=]", comment), f"{path.name}: quote or '=' in comment {comment!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_explains_before_it_computes(path):
    cells = read(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {path.stem[:2]} ")
    assert "Learning goals" in cells[0].source
    stated = re.search(r"part (\d+) of (\d+)", cells[0].source)
    assert stated and (int(stated.group(1)), int(stated.group(2))) == (int(path.stem[1]), len(NOTEBOOKS))
    first_code = next(k for k, cell in enumerate(cells) if cell.cell_type == "code")
    assert all(cell.cell_type == "markdown" for cell in cells[:first_code])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_exercise_has_answer_solution_and_check_cells(path):
    nb = read(path)
    cells = nb.cells
    heading = [k for k, cell in enumerate(cells) if cell.cell_type == "markdown"
               and re.search(r"^## Exercises\s*$", cell.source, re.M)]
    assert len(heading) == 1, f"{path.name}: needs exactly one '## Exercises' heading"
    exercises = _exercises(nb)
    assert 2 <= len(exercises) <= 4, f"{path.name}: {len(exercises)} exercises, expected 2 to 4"
    assert [e["number"] for e in exercises] == list(range(1, len(exercises) + 1))
    assert min(e["index"] for e in exercises) > heading[0]
    tagged = {tag: [k for k, cell in enumerate(cells) if tag in tags(cell)] for tag in ("answer", "solution", "check")}
    assert tagged["answer"] == [e["index"] + 1 for e in exercises], f"{path.name}: exercise, answer, solution, check"
    assert tagged["solution"] == [e["index"] + 2 for e in exercises]
    assert tagged["check"] == [e["index"] + 3 for e in exercises]
    for exercise in exercises:
        label = f"{path.name} exercise {exercise['number']}"
        answer = ast.parse(exercise["answer"].source)
        assert exercise["variables"] and all(
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis for node in answer.body), (
            f"{label}: the answer cell assigns only `name = ...` placeholders")
        assert all("#" in line for line in exercise["answer"].source.splitlines()), f"{label}: comment each answer"
        solved = set(assigned_names(exercise["solution"].source))
        assert set(exercise["variables"]) <= solved, f"{label}: the solution must fill {exercise['variables']}"
        check = ast.parse(exercise["check"].source)
        assert len(check.body) == 1 and isinstance(check.body[0].value, ast.Call), f"{label}: one checker call"
        call = check.body[0].value
        assert ast.unparse(call.func) == f"checks.check_exercise_{exercise['number']}", label
        keywords = {kw.arg: kw.value for kw in call.keywords}
        assert list(keywords) == exercise["variables"], f"{label}: the check passes exactly the answer variables"
        assert all(isinstance(v, ast.Name) and v.id == k for k, v in keywords.items()), label
        # the givens are built before the exercise, so they exist in the handout
        given = {node.id for arg in call.args for node in ast.walk(arg) if isinstance(node, ast.Name)}
        before = "\n".join(cell.source for cell in cells[:exercise["index"]] if cell.cell_type == "code")
        imports = [node for node in ast.walk(ast.parse(before)) if isinstance(node, (ast.Import, ast.ImportFrom))]
        defined = set(assigned_names(before)) | {alias.asname or alias.name.split(".")[0]
                                                 for node in imports for alias in node.names}
        assert given <= defined, f"{label}: the check uses {given - defined}, which the handout does not define"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_code_cells_define_nothing_save_nothing_and_write_no_sentences(path):
    for k, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        found = [type(node).__name__ for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
        assert not found, f"{path.name}, cell {k}: {found}; repeated code belongs in the sqlib package"
        assert "save_" not in cell.source and "outputs" not in cell.source, f"{path.name}, cell {k} saves output"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                assert not any(isinstance(a, (ast.JoinedStr, ast.Constant, ast.BinOp)) for a in node.args), (
                    f"{path.name}, cell {k}: a sentence written in the notebook: {ast.unparse(node)[:80]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_committed_notebook_has_its_outputs_stripped(path):
    for k, cell in enumerate(_code_cells(read(path))):
        assert cell.execution_count is None and cell.outputs == [], (
            f"{path.name}, code cell {k} has outputs; run `jupyter nbconvert --clear-output --inplace {path}`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_solution_cell_is_collapsed_in_jupyterlab(path):
    """The README promises collapsed solutions: JupyterLab hides a cell's source with this metadata."""
    for k, cell in enumerate(read(path).cells):
        if "solution" in tags(cell):
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, (
                f"{path.name}, cell {k}: a solution cell needs metadata {{'jupyter': {{'source_hidden': true}}}}")


# --------------------------------------------------------------------------- execution
@pytest.fixture(scope="module")
def runs():
    """Run every notebook in this process; keep its final variables and a snapshot before each check cell."""
    out = {}
    for path, name in zip(NOTEBOOKS, NAMES):
        before_checks, namespace = {}, {}
        exercises = {exercise["check"].source: exercise for exercise in _exercises(read(path))}
        for _, cell, namespace in run_cells(read(path), TEACHING_DIR, TEST_PARAMETERS.get(name)):
            if "check" in tags(cell):
                before_checks[exercises[cell.source]["number"]] = dict(namespace)
        out[name] = {"final": namespace, "checks": before_checks, "exercises": exercises}
    return out


def _check(runs, name: str, number: int, **replace):
    """Run exercise ``number``'s check cell on the variables it saw, with some replaced."""
    run = runs[name]
    source = next(source for source, e in run["exercises"].items() if e["number"] == number)
    namespace = dict(run["checks"][number], **replace)
    exec(compile(source, f"<{name} check {number}>", "exec"), namespace)


def _perturb(value):
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, str):
        return value + " + something else, so the groups are equal"  # also wrong for a free-text answer
    if isinstance(value, pd.DataFrame):
        return value.assign(est_std=value["est_std"] + 0.1)
    if isinstance(value, (pd.Series, np.ndarray)):
        changed = pd.Series(value, dtype=float).copy() if isinstance(value, pd.Series) else value.astype(float).copy()
        first = changed.index[0] if isinstance(changed, pd.Series) else 0
        changed[first] = changed[first] + max(abs(changed[first]), 1.0)
        return changed
    return value + max(abs(value), 1.0)


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_their_checks(runs, name):
    for number in runs[name]["checks"]:
        _check(runs, name, number)


@pytest.mark.parametrize("name, number, variable", ANSWER_VARIABLES,
                         ids=[f"{n[:2]}-ex{k}-{v}" for n, k, v in ANSWER_VARIABLES])
def test_a_perturbed_answer_fails_its_check(runs, name, number, variable):
    right = runs[name]["checks"][number][variable]
    with pytest.raises(WrongAnswer):
        _check(runs, name, number, **{variable: _perturb(right)})


@pytest.mark.parametrize("name, number, variable", ANSWER_VARIABLES[:1] + ANSWER_VARIABLES[-1:],
                         ids=["first", "last"])
def test_a_placeholder_left_in_place_says_not_answered_yet(runs, name, number, variable):
    with pytest.raises(NotAnsweredYet, match="not answered yet"):
        _check(runs, name, number, **{variable: ...})


def test_t2_standard_error_check_names_the_anticipated_mistakes(runs):
    draws = runs["T2_simulate_and_recover"]["checks"][3]["draws"]
    spread = draws.groupby("rhs", sort=False)["est_std"].std(ddof=1)
    claimed = draws.groupby("rhs", sort=False)["se"].mean()
    with pytest.raises(WrongAnswer, match="variance ratio"):
        _check(runs, "T2_simulate_and_recover", 3, se_ratio=claimed ** 2 / spread ** 2)
    with pytest.raises(WrongAnswer, match="inverted ratio"):
        _check(runs, "T2_simulate_and_recover", 3, se_ratio=spread / claimed)
    z = stats.norm.ppf(0.95)
    covered_90 = ((draws["est_std"] - z * draws["se"] <= draws["truth"])
                  & (draws["truth"] <= draws["est_std"] + z * draws["se"])).mean()
    covered_95 = ((draws["ci_lower"] <= draws["truth"]) & (draws["truth"] <= draws["ci_upper"])).mean()
    assert covered_90 != covered_95, "the test needs draws in which 90% and 95% intervals differ"
    with pytest.raises(WrongAnswer, match="90% intervals"):
        _check(runs, "T2_simulate_and_recover", 3, coverage=covered_90)


def test_t5_indirect_effect_check_rejects_unstandardized_effects(runs):
    variables = runs["T5_structural_model_and_mediation"]["checks"][4]
    partial, dimensions = variables["partial"], variables["codebook"].dimensions
    raw = partial.estimates.set_index("label").loc[[f"ind_{d}" for d in dimensions], "est"]
    with pytest.raises(WrongAnswer, match="unstandardized"):
        _check(runs, "T5_structural_model_and_mediation", 4, estimated_indirect=pd.Series(raw.to_numpy(), dimensions))


def test_handouts_keep_answers_and_checks_and_stop_at_the_first_check(tmp_path):
    target = tmp_path / "build" / "handouts"
    written = handouts.write_handouts(TEACHING_DIR, target)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    with pytest.raises(ReportError, match="overwrite"):
        handouts.write_handouts(TEACHING_DIR, TEACHING_DIR)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for source in (config.SAMPLE_DATA, config.SAMPLE_CODEBOOK):
        (data_dir / source.name).write_bytes(source.read_bytes())
    for path, source in zip(written, NOTEBOOKS):
        handout, original = nbformat.read(path, as_version=4), read(source)
        kinds = [tuple(tags(cell)) for cell in handout.cells]
        assert ("solution",) not in kinds
        assert kinds.count(("answer",)) == kinds.count(("check",)) == len(_exercises(original))
        with pytest.raises(NotAnsweredYet, match="(?i)exercise 1 is not answered yet"):
            for _, cell, _ in run_cells(handout, path.parent, TEST_PARAMETERS.get(path.stem)):
                if "check" in tags(cell):
                    pass
        assert any("solution" in tags(cell) for cell in original.cells), "the sources keep their solutions"


# --------------------------------------------------------------------------- the numbers stated
@pytest.fixture(scope="module")
def survey():
    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    return codebook, sqlib.read_survey(config.SAMPLE_DATA, codebook)


def test_t1_dimension_gaps_equal_a_direct_computation(runs, survey):
    codebook, data = survey
    table = runs["T1_dimensions_and_gaps"]["final"]["dimension_gaps"].set_index("dimension")
    for dimension in codebook.dimensions:
        items = codebook.items_of(dimension)
        expectations = [codebook.expectations[item] for item in items]
        per_respondent = pd.DataFrame(data[items].to_numpy() - data[expectations].to_numpy()).mean(axis=1).dropna()
        assert table.loc[dimension, "n"] == len(per_respondent)
        assert table.loc[dimension, "mean_gap"] == pytest.approx(per_respondent.mean())
        assert table.loc[dimension, "t"] == pytest.approx(stats.ttest_1samp(per_respondent, 0).statistic)
    # the summary says every dimension falls short: every interval lies below zero
    assert (table["ci_upper"] < 0).all()


def test_t2_recovers_the_truth_and_states_its_monte_carlo_error(runs):
    final = runs["T2_simulate_and_recover"]["final"]
    recovered, experiment = final["recovered"], final["experiment"]
    assert recovered["error_in_se"].abs().max() < 3
    assert list(experiment["rhs"]) == list(recovered["rhs"])
    assert (experiment["replications"] == TEST_PARAMETERS["T2_simulate_and_recover"]["replications"]).all()
    assert experiment["coverage_mc_se"].iloc[0] == pytest.approx(np.sqrt(0.95 * 0.05 / 10))
    text = final["checks"].experiment_text(experiment)
    band = 2 / np.sqrt(2 * 9)
    inside = int(((experiment["se_ratio"] - 1).abs() <= band).sum())
    assert f"{inside} of {len(experiment)} SE/SD ratios lie within 1 +- {band:.2f}" in text
    assert "honest" not in text and "Over 10 replications" in text


def test_t3_alpha_dropped_respondents_and_htmt_intervals(runs, survey):
    codebook, data = survey
    final = runs["T3_reliability_and_validity"]["final"]
    alphas = final["alphas"].set_index("construct")
    for construct in codebook.construct_names:
        cov = data[codebook.items_of(construct)].dropna().cov().to_numpy()
        k = cov.shape[0]
        assert alphas.loc[construct, "alpha"] == pytest.approx(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))
    cfa = final["cfa"]
    complete = int(data[cfa.observed].notna().all(axis=1).sum())
    assert cfa.ntotal == complete and cfa.n_dropped == len(data) - complete == 25
    assert f"{cfa.n_dropped} with at least one missing answer are left out" in final["checks"].dropped_text(cfa, data)
    validity = final["validity"]
    assert ((validity["ci_lower"] <= validity["htmt"]) & (validity["htmt"] <= validity["ci_upper"])).all()
    assert validity["htmt"].to_numpy() == pytest.approx(
        [final["htmt_matrix"].loc[a, b] for a, b in zip(validity["construct_1"], validity["construct_2"])])


def test_t3_omega_and_ave_intervals_and_the_sentences_that_state_them(runs):
    final = runs["T3_reliability_and_validity"]["final"]
    cfa, intervals, construct_table = final["cfa"], final["intervals"], final["construct_table"]
    draws, seed = TEST_PARAMETERS["T3_reliability_and_validity"]["reliability_draws"], final["seed"]
    assert (intervals["draws_used"] == draws).all() and (intervals["draws_failed"] == 0).all()
    # independently: sqlib.fit and construct_reliability on the same resamples, then percentiles
    from sqlib.analysis.reliability import construct_reliability
    from sqlib.sem.bootstrap import resample_indices

    rows = cfa.data_frame()
    refits = pd.concat([construct_reliability(sqlib.fit(cfa.model_syntax, rows.iloc[r[0]]))
                        for r in resample_indices(cfa, draws, seed=seed)])
    table = construct_table.set_index("construct")
    for row in intervals.itertuples():
        values = refits.loc[refits["construct"] == row.construct, row.statistic].to_numpy()
        assert row.estimate == table.loc[row.construct, row.statistic]
        assert (row.ci_lower, row.ci_upper) == pytest.approx(tuple(np.quantile(values, [0.025, 0.975])), abs=1e-6)
    method = final["checks"].interval_text(intervals, cfa)
    assert f"refitted on {draws} bootstrap resamples of its {cfa.ntotal} respondents (all {draws} refits converged)" \
        in method and "95% percentile intervals: the 2.5th and 97.5th percentiles" in method
    text = final["checks"].summary_text(final["alphas"], construct_table, final["validity"], intervals)
    omega = intervals[intervals["statistic"] == "omega"].set_index("construct")
    for name in (omega["estimate"].idxmin(), omega["estimate"].idxmax()):
        low, high = omega.loc[name, "ci_lower"], omega.loc[name, "ci_upper"]
        assert f"{omega.loc[name, 'estimate']:.2f} ({name}, 95% bootstrap CI {low:.2f} to {high:.2f})" in text
    ave = intervals[intervals["statistic"] == "ave"].set_index("construct")
    assert (construct_table["ave"] >= 0.5).all() and "every AVE is at least 0.50 as a point estimate" in text
    below = ave[ave["ci_lower"] < 0.5]
    assert len(below), "the default data have an AVE interval reaching below 0.50, which the text names"
    assert f"the interval of {len(below)} of {len(ave)} constructs reaches below 0.50" in text
    for name, row in below.iterrows():
        decimals = 3 if round(row["ci_lower"], 3) < 0.5 else 4
        assert f"{name} {row['ci_lower']:.{decimals}f} to {row['ci_upper']:.3f}" in text


def test_t4_finds_the_planted_cross_loading_and_the_holdout_confirms_it(runs):
    final = runs["T4_model_fit_and_respecification"]["final"]
    top = final["suggestions"].iloc[0]
    assert (top["lhs"], top["op"], top["rhs"]) == ("reliability", "=~", "res1")
    assert ("reliability", "res1") in final["population"].loadings
    assert not final["calibration_fit"]["meets_cutoffs"].iloc[0]
    by_size = final["by_size"]
    assert by_size["n"].tolist() == sorted(by_size["n"]) and by_size["chisq"].is_monotonic_increasing
    assert by_size["pvalue"].iloc[0] > 0.05 > 0.001 > by_size["pvalue"].iloc[-1]
    comparison = final["holdout_comparison"]
    assert comparison["delta_df"].iloc[1] == 1 and comparison["delta_pvalue"].iloc[1] < 0.001
    holdout_fit = final["holdout_fit"].set_index("model")
    assert holdout_fit["meets_cutoffs"].tolist() == [False, True]
    assert len(final["calibration"]) + len(final["holdout"]) == final["n_respondents"]
    assert not set(final["calibration"].index) & set(final["holdout"].index)


def test_t5_effects_and_the_mediation_comparison(runs, survey):
    codebook, _ = survey
    final = runs["T5_structural_model_and_mediation"]["final"]
    labels = final["partial"].estimates.set_index("label")["est"]
    effects = final["on_loyalty"].pivot(index="predictor", columns="effect", values="est")
    for k, dimension in enumerate(codebook.dimensions, start=1):
        assert effects.loc[dimension, "indirect"] == pytest.approx(labels[f"a{k}"] * labels["b"])
        assert effects.loc[dimension, "direct"] == pytest.approx(labels[f"c{k}"])
    comparison = final["comparison"]
    assert comparison["delta_df"].iloc[1] == len(codebook.dimensions)
    text = final["checks"].comparison_text(comparison)
    assert comparison["delta_pvalue"].iloc[1] >= 0.05 and "does not show the direct paths are zero" in text
    assert "just as well" not in text
    types = final["types"].set_index("predictor")
    boot = final["boot_effects"].query("outcome == 'loyalty' and effect == 'indirect'").set_index("predictor")
    for dimension in codebook.dimensions:
        significant = boot.loc[dimension, "ci_lower"] > 0 or boot.loc[dimension, "ci_upper"] < 0
        assert (types.loc[dimension, "type"] in ("indirect-only", "complementary", "competitive")) == significant


def test_t6_degrees_of_freedom_the_contested_metric_step_and_the_planted_item(runs, survey):
    codebook, data = survey
    final = runs["T6_measurement_invariance"]["final"]
    sequence = final["sequence"].table.set_index("level")
    constructs = final["constructs"]
    n_items = sum(len(codebook.items_of(c)) for c in constructs)
    n_groups = data[codebook.group_column].nunique()
    assert sequence.loc["metric", "delta_df"] == (n_groups - 1) * (n_items - len(constructs))
    assert sequence["chisq"].is_monotonic_increasing
    # the metric step the notebook calls contested: p = .031 and an RMSEA rise of .017
    assert round(sequence.loc["metric", "delta_pvalue"], 3) == 0.031
    assert round(sequence.loc["metric", "delta_rmsea"], 3) == 0.017
    text = final["checks"].step_text(final["sequence"].table, "metric")
    assert "p = .031" in text and "0.017" in text and "contested, not clearly acceptable" in text
    freed = final["found"]["freed"]
    planted = sample_population().noninvariant_intercepts
    assert list(freed["parameter"]) == [f"{item}~1" for (_, item) in planted]
    assert list(freed["deviating_group"]) == [group for (group, _) in planted]


def _bias_by_method(draws: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Average bias per method and its Monte Carlo SE, computed directly from the draws."""
    per_replication = (draws["est"] - draws["truth"]).groupby([draws["method"], draws["replication"]]).mean()
    grouped = per_replication.groupby(level="method")
    return grouped.mean(), grouped.std(ddof=1) / np.sqrt(grouped.size())


def test_t7_ml_underestimates_ordinal_loadings_and_wlsmv_does_not(runs):
    final = runs["T7_real_data"]["final"]
    draws, replications = final["ordinal_draws"], TEST_PARAMETERS["T7_real_data"]["replications"]
    assert draws["replication"].nunique() == replications and len(draws) == 2 * replications * 7
    bias, mc_se = _bias_by_method(draws)
    per_item = (draws["est"] - draws["truth"]).groupby([draws["method"], draws["rhs"]]).mean()
    assert (per_item["ML"] < 0).all(), "the notebook says ML's loadings sit below the truth for every item"
    assert bias["ML"] < -2 * mc_se["ML"] and abs(bias["WLSMV"]) <= 2 * mc_se["WLSMV"]
    text = final["checks"].bias_text(draws, "standardized loadings")
    assert f"{bias['ML']:+.3f} with ML (Monte Carlo SE {mc_se['ML']:.3f})" in text
    assert f"Over {replications} replications" in text and "WLSMV's bias lies within 2" in text


def test_t7_listwise_keeps_the_complete_respondents_and_is_biased_under_mar(runs):
    final = runs["T7_real_data"]["final"]
    survey, items, n = final["mar_survey"], final["items"], final["n_respondents"]
    complete = int(survey[items].notna().all(axis=1).sum())
    empty = int(survey[items].isna().all(axis=1).sum())
    assert empty == round(final["break_off_share"] * n) > 0, "some respondents answered none of the items"
    assert complete >= n - round(final["missing_share"] * n) - empty
    assert final["listwise"].ntotal == complete and final["fiml"].ntotal == n - empty
    text = final["checks"].missing_text(final["listwise"], final["fiml"], survey, items)
    assert f"to the {complete} complete respondents" in text and f"FIML uses the {n - empty} who" in text
    assert f"({int(survey[items].isna().sum().sum())} missing answers in all), {empty} of them every item" in text
    # the true mean answer, 1 + sum of P(y* > t), against the share of each category
    thresholds = np.asarray(BASE_THRESHOLDS)
    shares = np.diff(np.r_[0.0, stats.norm.cdf(thresholds), 1.0])
    truth = final["true_means"].set_index("lhs")["truth"]
    assert truth.to_numpy() == pytest.approx(np.full(len(items), (np.arange(1, 8) * shares).sum()))
    draws = final["missing_draws"]
    bias, mc_se = _bias_by_method(draws)
    per_item = (draws["est"] - draws["truth"]).groupby([draws["method"], draws["lhs"]]).mean()
    assert (per_item["listwise"] > 0).all(), "the notebook says listwise deletion overstates every mean"
    satisfaction = [item for item in items if item.startswith("sat")]
    assert per_item["listwise"][satisfaction].min() > per_item["listwise"].drop(satisfaction).max()
    assert bias["listwise"] > 2 * mc_se["listwise"] and abs(bias["FIML"]) <= 2 * mc_se["FIML"]


def test_t7_the_equal_paths_test_and_its_wording(runs):
    final = runs["T7_real_data"]["final"]
    comparison, metric, equal_paths = final["group_comparison"], final["metric"], final["equal_paths"]
    countries = final["country_paths"]
    assert comparison["delta_df"].iloc[2] == len(countries) - 1
    assert comparison["delta_chisq"].iloc[2] == pytest.approx(
        equal_paths.fit_measures["chisq"] - metric.fit_measures["chisq"])
    assert comparison["delta_pvalue"].iloc[1] > 0.05, "the metric step holds, so the paths can be compared"
    # at the default seed the notebook's survey is lavaan's fixture, so its test is lavTestLRT's
    reference = pd.read_csv(config.FIXTURES_DIR / "data" / "group_paths.csv")
    pd.testing.assert_frame_equal(final["countries"][reference.columns].reset_index(drop=True),
                                  reference, check_dtype=False)
    difftest = json.loads((config.FIXTURES_DIR / "gp_equal_paths.json").read_text())["difftest"]
    assert comparison["delta_chisq"].iloc[2] == pytest.approx(difftest["delta_chisq"], abs=1e-4)
    assert comparison["delta_pvalue"].iloc[2] == pytest.approx(difftest["delta_pvalue"], abs=1e-5)
    paths = final["paths_by_country"].set_index("group_label")
    assert list(paths.index) == list(countries) and (paths["truth"] == pd.Series(countries)).all()
    assert ((paths["ci_lower"] <= paths["truth"]) & (paths["truth"] <= paths["ci_upper"])).all()
    text = final["checks"].moderation_text(comparison, final["paths_by_country"], "country")
    p = comparison["delta_pvalue"].iloc[2]
    assert ("country moderates them" in text) == (p < 0.05)
    assert ("That is not evidence that they are equal" in text) == (p >= 0.05)


def test_t7_pls_overstates_loadings_and_understates_the_path(runs):
    final = runs["T7_real_data"]["final"]
    draws = final["pls_draws"]
    loadings, _ = _bias_by_method(draws[draws["op"] == "=~"])
    paths, path_mc_se = _bias_by_method(draws[draws["op"] == "~"])
    per_item = (draws["est"] - draws["truth"]).groupby([draws["method"], draws["op"], draws["rhs"]]).mean()
    assert (per_item["PLS", "=~"] > 0).all() and (per_item["CB-SEM", "=~"] < 0).all()
    assert paths["PLS"] < -2 * path_mc_se["PLS"]
    assert abs(paths["PLSc"] - paths["CB-SEM"]) < abs(paths["PLS"] - paths["CB-SEM"]) / 3
    assert abs(loadings["PLSc"] - loadings["CB-SEM"]) < abs(loadings["PLS"] - loadings["CB-SEM"]) / 3


def test_t7_checks_name_the_anticipated_mistakes(runs):
    name = "T7_real_data"
    first = runs[name]["checks"][1]
    with pytest.raises(WrongAnswer, match="sign is read backwards"):
        _check(runs, name, 1, bias_ml=-first["bias_ml"])
    second = runs[name]["checks"][2]
    survey, items = second["mar_survey"], second["items"]
    with pytest.raises(WrongAnswer, match="cells, not rows"):
        _check(runs, name, 2, n_listwise=len(survey) - int(survey[items].isna().sum().sum()))
    with pytest.raises(WrongAnswer, match="FIML keeps the incomplete respondents"):
        _check(runs, name, 2, n_fiml=second["n_listwise"])
    with pytest.raises(WrongAnswer, match="those who answered none"):
        _check(runs, name, 2, n_fiml=len(survey))
    third = runs[name]["checks"][3]
    with pytest.raises(WrongAnswer, match="the first group included"):
        _check(runs, name, 3, delta_df=len(third["country_paths"]))
    with pytest.raises(WrongAnswer, match="cdf"):
        _check(runs, name, 3, pvalue=1 - third["pvalue"])
    # against the configural model: delta chi-square 13.54 on 12 df at the default seed
    configural, equal_paths = third["configural"].fit_measures, third["equal_paths"].fit_measures
    assert round(equal_paths["chisq"] - configural["chisq"], 2) == 13.54
    assert equal_paths["df"] - configural["df"] == 12
    with pytest.raises(WrongAnswer, match="configural"):
        _check(runs, name, 3, delta_chisq=equal_paths["chisq"] - configural["chisq"])
    with pytest.raises(WrongAnswer, match="configural"):
        _check(runs, name, 3, delta_df=int(equal_paths["df"] - configural["df"]))
    with pytest.raises(WrongAnswer, match="model's df"):
        _check(runs, name, 3, pvalue=stats.chi2.sf(third["delta_chisq"], equal_paths["df"]))
    with pytest.raises(WrongAnswer, match="own p-value"):
        _check(runs, name, 3, pvalue=equal_paths["pvalue"])
    with pytest.raises(WrongAnswer, match="accepts the null"):
        _check(runs, name, 3, sentence="The paths were the same in every country (p = .30).")
    with pytest.raises(WrongAnswer, match="p = .30"):
        _check(runs, name, 3, sentence="The data do not show that the path differs across countries.")


def test_t8_servperf_differences_second_order_and_the_written_up_numbers(runs, survey):
    codebook, data = survey
    final = runs["T8_servperf_and_reporting"]["final"]
    # section 1: R-squared of OLS on scale scores computed here from the raw items
    pairs = {d: (codebook.items_of(d), [codebook.expectations[i] for i in codebook.items_of(d)])
             for d in codebook.dimensions}
    used = [c for p, e in pairs.values() for c in p + e] + codebook.items_of("satisfaction")
    complete = data.dropna(subset=used)
    perception = np.column_stack([complete[p].mean(axis=1) for p, _ in pairs.values()])
    expectation = np.column_stack([complete[e].mean(axis=1) for _, e in pairs.values()])
    y = complete[codebook.items_of("satisfaction")].mean(axis=1).to_numpy()

    def r2(x):
        design = np.column_stack([np.ones(len(y)), x])
        residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        return 1 - residual.var() / y.var()

    comparison = final["comparison"].set_index("model")
    assert comparison["n"].eq(len(complete)).all()
    assert comparison.loc["SERVPERF (P)", "r2"] == pytest.approx(r2(perception))
    assert comparison.loc["SERVQUAL (P - E)", "r2"] == pytest.approx(r2(perception - expectation))
    assert comparison.loc["P and E separately", "r2"] == pytest.approx(r2(np.column_stack([perception, expectation])))
    # the notebook says SERVPERF must win here, in scale scores and latent variables alike
    assert comparison.loc["SERVPERF (P)", "r2"] > comparison.loc["SERVQUAL (P - E)", "r2"]
    latent = final["servperf"]["table"].set_index("model")["r2_satisfaction"]
    assert latent.iloc[0] > latent.iloc[1]
    # the differences are stated in percentage points, with the F tests of the two nested comparisons
    r2_full = comparison.loc["P and E separately", "r2"]
    f_tests = final["f_tests"].set_index("restricted")
    text = final["checks"].comparison_text(final["comparison"], final["f_tests"])
    for model in ("SERVPERF (P)", "SERVQUAL (P - E)"):
        points = 100 * (r2_full - comparison.loc[model, "r2"])
        df2 = len(complete) - 11
        f = (points / 100 / 5) / ((1 - r2_full) / df2)
        assert f_tests.loc[model, "f"] == pytest.approx(f) and f_tests.loc[model, "df2"] == df2
        assert f"{points:.1f} percentage points" in text and f"(F(5, {df2}) = {f:.2f}, " in text
    assert "explains more variance in this sample" in text and f_tests.loc["SERVPERF (P)", "pvalue"] > 0.05
    # section 2: Lord's formula from alphas computed here; P and E correlate "about .3"
    differences = final["differences"].set_index("dimension")
    for k, (dimension, (p_items, e_items)) in enumerate(pairs.items()):
        alphas = []
        for items in (p_items, e_items):
            cov = complete[items].cov().to_numpy()
            alphas.append(len(items) / (len(items) - 1) * (1 - np.trace(cov) / cov.sum()))
        sd_p, sd_e = perception[:, k].std(ddof=1), expectation[:, k].std(ddof=1)
        r_pe = np.corrcoef(perception[:, k], expectation[:, k])[0, 1]
        shared = 2 * r_pe * sd_p * sd_e
        lord = (sd_p ** 2 * alphas[0] + sd_e ** 2 * alphas[1] - shared) / (sd_p ** 2 + sd_e ** 2 - shared)
        assert differences.loc[dimension, "reliability_gap"] == pytest.approx(lord)
        assert lord < min(alphas)
        assert 0.25 < r_pe < 0.35
        # the gap's partial correlation given P is exactly minus E's; E lies above P in every dimension
        assert differences.loc[dimension, "r_gap_satisfaction_given_p"] == pytest.approx(
            -differences.loc[dimension, "r_e_satisfaction_given_p"])
        assert expectation[:, k].mean() > perception[:, k].mean()
    # section 3: the second-order model has 5 fewer parameters and the dimensions fail discriminant validity
    five, second = final["five_factor"], final["second_order"]
    assert five.fit_measures["npar"] - second.fit_measures["npar"] == 5
    assert final["model_comparison"]["delta_df"].iloc[1] == 5
    validity = final["validity"]
    assert (~validity["fl_ok"]).sum() >= 5 and (validity["htmt"] >= 0.85).sum() >= 3
    assert validity["correlation"].max() > 0.85
    # the sentence after the second-order model states the range of the latent correlations from the numbers
    std = second.standardized_solution().query("op == '=~' and lhs == 'service_quality'")["est_std"].to_numpy()
    implied = [a * b for i, a in enumerate(std) for b in std[i + 1:]]
    text = final["checks"].distinctness_text(validity, second)
    low, high = validity["correlation"].min(), validity["correlation"].max()
    assert f"correlate {low:.2f} to {high:.2f}".replace("0.", ".") in text
    assert f"implies correlations of {min(implied):.2f} to {max(implied):.2f}".replace("0.", ".") in text
    # section 4: the tables against the result, the paragraph against the checklist
    sem = final["sem"]
    fit_statistics = final["fit_statistics"].iloc[0]
    for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr"):
        assert fit_statistics[key] == pytest.approx(sem.fit_measures[key])
    # 25 respondents left an answer out; the model is fitted with FIML, so it uses all of them
    assert int(data[sem.observed].isna().any(axis=1).sum()) == 25
    assert sem.missing == "fiml" and fit_statistics["n"] == sem.ntotal == len(data)
    checklist = final["checklist"]
    assert checklist["present"].all() and len(checklist) == 23
    assert checklist.query("item != 'software'")["agrees_with_table"].eq(True).all()
    assert f"N = {sem.ntotal}" in final["paragraph"] and "(FIML)" in final["paragraph"]
    blank = final["checks"].checklist_text(reporting_checklist(final["template"], sem, validity=final["sem_validity"]))
    assert "Missing: chi_square, cfi, rmsea_ci." in blank and "chi_square_p" not in blank
    assert f"χ²({int(sem.fit_measures['df'])}) = {sem.fit_measures['chisq']:.2f}" in final["paragraph"]


def test_t8_checks_name_the_anticipated_mistakes(runs):
    variables = runs["T8_servperf_and_reporting"]["checks"]
    row = variables[1]["differences"].set_index("dimension").loc["reliability"]
    equal_sd = ((row["alpha_p"] + row["alpha_e"]) / 2 - row["r_pe"]) / (1 - row["r_pe"])
    with pytest.raises(WrongAnswer, match="equal-variance formula"):
        _check(runs, "T8_servperf_and_reporting", 1, gap_reliability=equal_sd)
    # (with FIML the CFI and TLI print alike, .996, so the TLI is not a detectable slip here)
    fm = variables[4]["sem"].fit_measures
    with pytest.raises(WrongAnswer, match="divided by its df"):
        _check(runs, "T8_servperf_and_reporting", 4, chisq=fm["chisq"] / fm["df"])
    rmsea = variables[4]["sem"].fit_measures["rmsea"]
    with pytest.raises(WrongAnswer, match="RMSEA itself"):
        _check(runs, "T8_servperf_and_reporting", 4, rmsea_upper=rmsea)
    with pytest.raises(WrongAnswer, match="alpha_gap"):
        _check(runs, "T8_servperf_and_reporting", 1, gap_reliability=row["alpha_gap"])
    _check(runs, "T8_servperf_and_reporting", 2, better_predictor="servperf")
    with pytest.raises(WrongAnswer, match="sign is reversed"):
        _check(runs, "T8_servperf_and_reporting", 3, parameters_saved=-variables[3]["parameters_saved"])


def test_handout_default_target_is_outside_the_sources():
    assert Path(handouts.DEFAULT_TARGET).resolve() != TEACHING_DIR.resolve()
    assert handouts.DEFAULT_TARGET.parent.name == "build"


# --------------------------------------------------------------------------- corrected statements and named mistakes
def test_t1_counts_the_22_servqual_statements_and_tests_the_top_two_items(runs, survey):
    codebook, data = survey
    final = runs["T1_dimensions_and_gaps"]["final"]
    assert len(final["servqual_items"]) == 22 and len(codebook.items) - 22 == 7
    item_gaps = final["item_gaps"].nsmallest(2, "mean_gap")
    first, second = item_gaps["item"].tolist()
    both = final["with_gaps"][[f"gap_{first}", f"gap_{second}"]].dropna()
    gap_first = data[first] - data[codebook.expectations[first]]
    gap_second = data[second] - data[codebook.expectations[second]]
    keep = gap_first.notna() & gap_second.notna()
    test = stats.ttest_rel(gap_first[keep], gap_second[keep])
    text = final["checks"].summary_text(final["dimension_gaps"], final["item_gaps"], final["with_gaps"])
    assert f"largest point estimate of a shortfall is {first}" in text
    assert f"t({len(both) - 1}) = {test.statistic:.2f}" in text and int(keep.sum()) == len(both)
    assert ("do not tell them apart" in text) == (test.pvalue >= 0.05)
    assert "pays off" not in text and "furthest short is" not in text


def test_t1_exercise_2_names_the_unpaired_test_and_the_missing_restriction(runs, survey):
    codebook, data = survey
    items = codebook.items_of("reliability")
    perception, expectation = data[items].mean(axis=1), data[[codebook.expectations[i] for i in items]].mean(axis=1)
    unrestricted = stats.ttest_rel(perception, expectation, nan_policy="omit")
    with pytest.raises(WrongAnswer, match="answered on both scales"):
        _check(runs, "T1_dimensions_and_gaps", 2, t_statistic=unrestricted.statistic)
    all_rows = stats.ttest_ind(perception, expectation, nan_policy="omit")
    with pytest.raises(WrongAnswer, match="ttest_ind"):
        _check(runs, "T1_dimensions_and_gaps", 2, t_statistic=all_rows.statistic)


def test_t2_states_the_3_se_rule_and_the_pooled_coverage_with_its_monte_carlo_error(runs):
    final = runs["T2_simulate_and_recover"]["final"]
    k = len(final["recovered"])
    text = final["checks"].three_se_rule_text(final["recovered"])
    assert f"1 - 0.95^{k} = {1 - 0.95 ** k:.2f}" in text and f"{1 - (1 - 2 * stats.norm.sf(3)) ** k:.3f}" in text
    draws = final["draws"]
    covered = ((draws["ci_lower"] <= draws["truth"]) & (draws["truth"] <= draws["ci_upper"]))
    p, m = covered.mean(), len(draws)
    mc_se = np.sqrt(p * (1 - p) / m)
    experiment_text = final["checks"].experiment_text(final["experiment"])
    assert f"Pooled over all {m} intervals the coverage is {p:.3f} (Monte Carlo SE at least {mc_se:.3f}" in experiment_text
    assert ("compatible with 0.95" in experiment_text) == (abs(p - 0.95) <= 2 * mc_se)


def test_t2_exercise_3_names_the_mean_squared_se_variance_ratio(runs):
    draws = runs["T2_simulate_and_recover"]["checks"][3]["draws"]
    spread = draws.groupby("rhs", sort=False)["est_std"].std(ddof=1)
    mean_squared = (draws["se"] ** 2).groupby(draws["rhs"], sort=False).mean()
    with pytest.raises(WrongAnswer, match="variance ratio"):
        _check(runs, "T2_simulate_and_recover", 3, se_ratio=mean_squared / spread ** 2)


def test_t2_exercise_4_pairs_the_monte_carlo_error_by_replication(runs):
    variables = runs["T2_simulate_and_recover"]["checks"][4]
    draws, fine = variables["draws"], variables["fine_draws"]
    error_7 = (draws["est_std"] - draws["truth"]).groupby(draws["replication"]).mean()
    error_11 = pd.Series((fine["est_std"] - fine["truth"]).to_numpy()).groupby(draws["replication"].to_numpy()).mean()
    paired = (error_11 - error_7).std(ddof=1) / np.sqrt(len(error_7))
    assert variables["bias_difference_mc_se"] == pytest.approx(paired)
    unpaired = np.sqrt(error_7.var(ddof=1) / len(error_7) + error_11.var(ddof=1) / len(error_11))
    assert abs(unpaired - paired) > 0.02 * paired, "the test needs paired and unpaired errors that differ"
    with pytest.raises(WrongAnswer, match="unpaired"):
        _check(runs, "T2_simulate_and_recover", 4, bias_difference_mc_se=unpaired)


def test_t4_quotes_the_codebook_wording_and_reads_meets_cutoffs_across_sizes(runs):
    final = runs["T4_model_fit_and_respecification"]["final"]
    codebook = final["codebook"]
    reason = final["checks"].cross_loading_reason(codebook)
    assert codebook.label("res1") in reason and codebook.label("rel4") in reason and "timing" in reason
    assert "fix it promptly" not in reason
    by_size = final["by_size"]
    text = final["checks"].cutoffs_by_size_text(by_size)
    assert by_size["meets_cutoffs"].all() and "True at every sample size (200, 800, 3200)" in text


def test_t5_standardized_totals_and_the_interval_of_their_difference(runs, survey):
    import dataclasses

    from sqlib.sem.effects import effects

    codebook, _ = survey
    final = runs["T5_structural_model_and_mediation"]["final"]
    bootstrapped, dimensions = final["bootstrapped"], codebook.dimensions
    # each draw refitted through effects() on its own parameter vector: std_all of the total effects
    per_draw = []
    for theta in bootstrapped.boot.draws.to_numpy()[:, : bootstrapped.theta.size]:
        table = effects(dataclasses.replace(bootstrapped, theta=theta, boot=None))
        per_draw.append(table.query("outcome == 'loyalty' and effect == 'total'").set_index("predictor")
                        .loc[dimensions, "std_all"].to_numpy())
    per_draw = pd.DataFrame(per_draw, columns=dimensions)
    # the text says the model with direct paths fits exactly as the 7-factor CFA (a saturated structural part)
    measurement, partial = final["measurement"].fit_measures, final["partial"].fit_measures
    assert partial["df"] == measurement["df"] and partial["chisq"] == pytest.approx(measurement["chisq"], rel=1e-6)
    found = final["checks"].standardized_total_difference(bootstrapped, "loyalty", dimensions)
    totals = final["on_loyalty"].query("effect == 'total'").set_index("predictor").loc[dimensions, "std_all"]
    assert found["totals"].to_numpy() == pytest.approx(totals.to_numpy())
    first, second = totals.sort_values(ascending=False).index[:2]
    lower, upper = np.quantile(per_draw[first] - per_draw[second], [0.025, 0.975])
    assert (found["first"], found["second"]) == (first, second)
    assert (found["ci_lower"], found["ci_upper"]) == pytest.approx((lower, upper))
    direct = final["checks"].equivalence_table(bootstrapped, "loyalty", dimensions, final["smallest_effect"])
    raw = bootstrapped.boot.draws.to_numpy()[:, : bootstrapped.theta.size]
    direct_draws = pd.DataFrame([effects(dataclasses.replace(bootstrapped, theta=theta, boot=None))
                                 .query("outcome == 'loyalty' and effect == 'direct'").set_index("predictor")
                                 .loc[dimensions, "std_all"].to_numpy() for theta in raw], columns=dimensions)
    assert direct["ci_lower"].to_numpy() == pytest.approx(direct_draws.quantile(0.05).to_numpy())
    assert direct["ci_upper"].to_numpy() == pytest.approx(direct_draws.quantile(0.95).to_numpy())
    inside = (direct_draws.quantile(0.05) > -final["smallest_effect"]) & (direct_draws.quantile(0.95) < final["smallest_effect"])
    assert direct["negligible"].tolist() == inside.tolist()
    text = final["checks"].equivalence_text(direct, final["smallest_effect"])
    assert f"{final['smallest_effect']:.2f}" in text and "90%" in text
    same = (final["types"]["type"] == final["types_second_seed"]["type"]).all()
    stability = final["checks"].type_stability_text(final["types"], final["types_second_seed"], final["bootstrap_draws"])
    assert ("stays the same" in stability) == bool(same)


def test_t5_named_mistakes_unstandardized_totals_and_a_rounded_value(runs):
    variables = runs["T5_structural_model_and_mediation"]["checks"][2]
    raw = variables["on_loyalty"].query("effect == 'total'").set_index("predictor")["est"]
    with pytest.raises(WrongAnswer, match="unstandardized"):
        _check(runs, "T5_structural_model_and_mediation", 2, standardized_totals=raw)
    sobel = runs["T5_structural_model_and_mediation"]["checks"][3]["sobel_se"]
    with pytest.raises(WrongAnswer, match="rounded to 3 decimals: use the unrounded value"):
        _check(runs, "T5_structural_model_and_mediation", 3, sobel_se=round(float(sobel), 3))


def test_t6_reference_group_partial_scalar_fit_and_loading_tests(runs, survey):
    codebook, data = survey
    final = runs["T6_measurement_invariance"]["final"]
    first_seen = pd.unique(data[final["group_column"]])[0]
    text = final["checks"].reference_group_text(final["found"]["result"], final["group_column"])
    assert text.startswith(f"The reference group is {first_seen}:") and "alphabetical" not in text
    table = final["with_partial"].set_index("level")
    metric, partial = final["sequence"].fits["metric"].fit_measures, final["found"]["result"].fit_measures
    row = table.loc["partial scalar"]
    assert row["delta_chisq"] == pytest.approx(partial["chisq"] - metric["chisq"])
    assert row["delta_df"] == partial["df"] - metric["df"]
    assert row["delta_pvalue"] == pytest.approx(stats.chi2.sf(row["delta_chisq"], row["delta_df"]))
    assert row["delta_cfi"] == pytest.approx(partial["cfi"] - metric["cfi"])
    assert row["delta_rmsea"] == pytest.approx(partial["rmsea"] - metric["rmsea"])
    tests = final["loading_search"]["steps"][0]
    loading_text = final["checks"].loading_tests_text(final["loading_search"])
    assert f"Of the {len(tests)} loading constraints" in loading_text
    assert f"0.05 / {len(tests)} = {0.05 / len(tests):.4f}" in loading_text
    assert (tests["pvalue"].min() < 0.05 / len(tests)) == bool(final["loading_search"]["partial"])
