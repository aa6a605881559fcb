"""The simulation, checkers and sentences of T4 (model fit and respecification)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.sem.compare import compare
from sqlib.sem.pipeline import fit
from sqlib.sem.result import SEMResult
from sqlib.sem.tables import HU_BENTLER
from sqlib.survey.simulate import PopulationModel

from sqlib.core.formatting import format_p

from .grading import Feedback, expect_close, expect_equal, require_answers

#: The model the analyst believes: every item on its own dimension only.
BELIEVED_MODEL = """\
reliability =~ rel1 + rel2 + rel3 + rel4
responsiveness =~ res1 + res2 + res3 + res4
"""
#: The respecified model: res1 also loads on reliability.
RESPECIFIED_MODEL = BELIEVED_MODEL + "reliability =~ res1\n"


def misspecified_population(cross_loading: float = 0.35) -> PopulationModel:
    """Two correlated dimensions in which ``res1`` also reflects reliability (the planted cross-loading).

    ``res1`` (in the codebook: the provider tells customers exactly when the service will be carried
    out) is a responsiveness item, but telling customers *when* is also a promise about timing, like
    ``rel1`` and ``rel4`` (see :func:`cross_loading_reason`); its standardized loadings are 0.45 on
    responsiveness and ``cross_loading`` on reliability. The dimensions correlate 0.40.
    """
    loadings = {("reliability", "rel1"): 0.75, ("reliability", "rel2"): 0.70, ("reliability", "rel3"): 0.70,
                ("reliability", "rel4"): 0.65, ("responsiveness", "res1"): 0.45,
                ("responsiveness", "res2"): 0.75, ("responsiveness", "res3"): 0.70,
                ("responsiveness", "res4"): 0.65, ("reliability", "res1"): cross_loading}
    factors = ["reliability", "responsiveness"]
    correlations = pd.DataFrame([[1.0, 0.4], [0.4, 1.0]], index=factors, columns=factors)
    return PopulationModel(loadings=loadings, factor_correlations=correlations, paths={}, factor_means={},
                           thresholds={}, expectations={})


def cross_loading_reason(codebook) -> str:
    """The substantive reason for the planted cross-loading, in the codebook's own wording of the items."""
    return (f"res1 (\"{codebook.label('res1')}\") is a responsiveness item, but telling customers when the service "
            f"will happen is a promise about timing, as in rel1 (\"{codebook.label('rel1')}\") and rel4 "
            f"(\"{codebook.label('rel4')}\"). Keeping that promise is reliability, so res1 plausibly reflects "
            "reliability as well.")


def cutoffs_by_size_text(by_size: pd.DataFrame) -> str:
    """What meets_cutoffs says across sample sizes for a model known to be wrong."""
    met = by_size.loc[by_size["meets_cutoffs"].astype(bool), "n"].astype(int).tolist()
    sizes = by_size["n"].astype(int).tolist()
    if len(met) == len(sizes):
        return (f"meets_cutoffs is True at every sample size ({', '.join(map(str, sizes))}), although the model "
                "leaves out a cross-loading the population has: meeting the cutoffs does not show a model is right, "
                "only that its misfit is below the cutoffs' thresholds.")
    return (f"meets_cutoffs is True at n = {', '.join(map(str, met)) or 'none of the sizes'} of "
            f"{', '.join(map(str, sizes))}: with a model known to be wrong, the verdict depends on the sample.")


def split_halves(data: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random half to explore (calibration) and the other half to test on (holdout)."""
    calibration = data.sample(frac=0.5, random_state=np.random.default_rng(seed))
    return calibration, data.drop(calibration.index)


def verdict_text(row: pd.Series, cutoffs: dict | None = None) -> str:
    """One fit_table row read against its cutoffs: which measures pass, which fail, and the RMSEA interval."""
    cutoffs = HU_BENTLER if cutoffs is None else cutoffs
    passed = [m.upper() for m in cutoffs if row[f"{m}_ok"]]
    failed = [f"{m.upper()} {row[m]:.3f} (cutoff {d} {v})" for m, (d, v) in cutoffs.items() if not row[f"{m}_ok"]]
    text = (f"{row['model']}: chi-square({int(row['df'])}) = {row['chisq']:.1f}, {format_p(row['pvalue'])}; RMSEA "
            f"{row['rmsea']:.3f}, 90% CI {row['rmsea_ci_lower']:.3f} to {row['rmsea_ci_upper']:.3f}. ")
    if not failed:
        return text + f"Every cutoff is met ({', '.join(passed)}); meets_cutoffs is True."
    return (text + f"Fails {', '.join(failed)}" + (f"; passes {', '.join(passed)}" if passed else "")
            + ". meets_cutoffs is False: look for the cause before interpreting the parameters.")


def sample_size_text(table: pd.DataFrame) -> str:
    """What the chi-square and RMSEA do as the sample grows for the same population."""
    first, last = table.iloc[0], table.iloc[-1]
    return (f"The same population and model: with n = {int(first['n'])} the chi-square is {first['chisq']:.1f} "
            f"({format_p(first['pvalue'])}), with n = {int(last['n'])} it is {last['chisq']:.1f} ("
            f"{format_p(last['pvalue'])}). The chi-square grows with n for the same misfit, while the RMSEA goes from "
            f"{first['rmsea']:.3f} to {last['rmsea']:.3f} and its interval narrows from "
            f"{first['rmsea_ci_upper'] - first['rmsea_ci_lower']:.3f} to "
            f"{last['rmsea_ci_upper'] - last['rmsea_ci_lower']:.3f} wide.")


def largest_residual_text(residuals: pd.DataFrame, limit: float = 0.10) -> str:
    """Count and name the correlation residuals beyond ``limit`` in absolute value."""
    rows, cols = np.triu_indices(len(residuals), 1)
    pairs = pd.Series(residuals.to_numpy()[rows, cols],
                      index=pd.MultiIndex.from_arrays([residuals.index[rows], residuals.columns[cols]]))
    large = pairs[pairs.abs() > limit].sort_values(key=np.abs, ascending=False)
    if large.empty:
        return f"No correlation residual exceeds {limit:.2f} in absolute value."
    items = sorted({name for pair in large.index for name in pair}, key=lambda i: -sum(i in p for p in large.index))
    (a, b), value = large.index[0], large.iloc[0]
    return (f"{len(large)} of {len(pairs)} correlation residuals exceed {limit:.2f} in absolute value; the largest is "
            f"{a}-{b} ({value:+.3f}), and {items[0]} is in {sum(items[0] in p for p in large.index)} of them.")


def modindex_text(table: pd.DataFrame) -> str:
    """The largest modification index with its expected parameter change, read as a suggestion."""
    top = table.iloc[0]
    return (f"The largest modification index is {top['lhs']} {top['op']} {top['rhs']}: freeing it would lower the "
            f"chi-square by about {top['mi']:.1f} (1 df), and its expected value, standardized (sepc_all), is "
            f"{top['sepc_all']:.2f}. A suggestion from these data, not evidence: it still needs a substantive "
            "reason and a test on other data.")


def holdout_text(comparison: pd.DataFrame) -> str:
    """The holdout test of a respecification, labelled as exploratory."""
    test = comparison.iloc[1]
    verdict = "improves" if test["delta_pvalue"] < 0.05 else "does not improve"
    return (f"On the holdout half, which played no part in finding it, the respecification {verdict} fit "
            f"(delta chi-square({int(test['delta_df'])}) = {test['delta_chisq']:.2f}, "
            f"{format_p(test['delta_pvalue'])}; "
            f"CFI {comparison.iloc[0]['cfi']:.3f} to {test['cfi']:.3f}). Report it as an exploratory, data-driven "
            "modification of the pre-specified model, with both models' fit.")


def check_exercise_1(result: SEMResult, *, chisq_pvalue, rmsea_by_hand) -> Feedback:
    """Exercise 1: the chi-square p-value and the RMSEA from chisq, df and n."""
    exercise = "T4 exercise 1"
    require_answers(exercise, chisq_pvalue=chisq_pvalue, rmsea_by_hand=rmsea_by_hand)
    measures = result.fit_measures
    chisq, df, n = measures["chisq"], measures["df"], result.ntotal
    p = stats.chi2.sf(chisq, df)
    expect_close(exercise, "chisq_pvalue", chisq_pvalue, p, 1e-12 + 1e-4 * p,
                 "scipy.stats.chi2.sf(chisq, df): the probability of a chi-square at least this large.",
                 known_mistakes={"the cdf instead of the upper tail": stats.chi2.cdf(chisq, df)})
    rmsea = float(np.sqrt(max(chisq - df, 0) / (df * n)))
    expect_close(exercise, "rmsea_by_hand", rmsea_by_hand, measures["rmsea"], 5e-4,
                 "RMSEA = sqrt(max(chisq - df, 0) / (df * n)).",
                 known_mistakes={"chisq / df, without the square root and n": chisq / df,
                                 "the formula without the square root": rmsea ** 2})
    return Feedback(exercise, f"{format_p(p)}, RMSEA = {measures['rmsea']:.4f}.")


def check_exercise_2(result: SEMResult, population: PopulationModel, *, suggested_parameter, suggested_sepc_all,
                     is_planted) -> Feedback:
    """Exercise 2: the largest modification index, its standardized EPC, and whether it is the planted misfit."""
    exercise = "T4 exercise 2"
    require_answers(exercise, suggested_parameter=suggested_parameter, suggested_sepc_all=suggested_sepc_all,
                    is_planted=is_planted)
    top = result.modindices().iloc[0]
    name = f"{top['lhs']} {top['op']} {top['rhs']}"
    answer = " ".join(str(suggested_parameter).split()) if isinstance(suggested_parameter, str) else suggested_parameter
    expect_equal(exercise, "suggested_parameter", answer, name,
                 "Write it as in lavaan syntax, '<lhs> <op> <rhs>', from the first row of result.modindices().")
    expect_close(exercise, "suggested_sepc_all", suggested_sepc_all, top["sepc_all"], 1e-6,
                 "Take sepc_all (the standardized expected parameter change), not mi or epc.",
                 known_mistakes={"the modification index (mi)": top["mi"], "the unstandardized epc": top["epc"]})
    cross = [(f, i) for (f, i) in population.loadings if population.constructs.get(f) and
             i not in population.constructs[f]]
    planted = top["op"] == "=~" and (top["lhs"], top["rhs"]) in cross
    expect_equal(exercise, "is_planted", is_planted, bool(planted),
                 "Compare with the loadings of the population: which item loads on two factors?")
    truth = population.loadings.get((top["lhs"], top["rhs"]), 0.0)
    return Feedback(exercise, f"{name}, sepc_all {top['sepc_all']:.2f} against a true standardized value of "
                              f"{truth:.2f}.")


def check_exercise_3(holdout: pd.DataFrame, *, holdout_delta_pvalue, holdout_cross_loading) -> Feedback:
    """Exercise 3: the respecification tested on the holdout half."""
    exercise = "T4 exercise 3"
    require_answers(exercise, holdout_delta_pvalue=holdout_delta_pvalue, holdout_cross_loading=holdout_cross_loading)
    believed, respecified = fit(BELIEVED_MODEL, holdout), fit(RESPECIFIED_MODEL, holdout)
    test = compare(believed, respecified).iloc[1]
    expect_close(exercise, "holdout_delta_pvalue", holdout_delta_pvalue, test["delta_pvalue"],
                 1e-12 + 1e-4 * test["delta_pvalue"],
                 "Fit both models on holdout and compare them with sqlib.compare; take delta_pvalue.")
    row = respecified.standardized_solution().query("op == '=~' and lhs == 'reliability' and rhs == 'res1'").iloc[0]
    raw = respecified.estimates.query("op == '=~' and lhs == 'reliability' and rhs == 'res1'")["est"].item()
    expect_close(exercise, "holdout_cross_loading", holdout_cross_loading, row["est_std"], 1e-6,
                 "est_std of reliability =~ res1 in the standardized solution of the model fitted on holdout.",
                 known_mistakes={"the unstandardized estimate": raw})
    return Feedback(exercise, f"holdout delta chi-square test {format_p(test['delta_pvalue'])}; the cross-loading is "
                              f"{row['est_std']:.2f} (95% CI {row['ci_lower']:.2f} to {row['ci_upper']:.2f}).")
