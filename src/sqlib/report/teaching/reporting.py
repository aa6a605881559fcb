"""The simulation, sentences and checkers of T8 (SERVPERF versus SERVQUAL, and writing it up)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.analysis.difference_scores import difference_score_reliability, r_squared
from sqlib.core.formatting import format_number, format_p
from sqlib.report.narratives.results_section import two_decimals
from sqlib.report.reporting_checklist import NOT_CHECKED, reporting_checklist
from sqlib.sem.compare import compare
from sqlib.sem.result import SEMResult
from sqlib.survey.simulate import PopulationModel, sample_population

from .grading import Feedback, WrongAnswer, as_float, expect_close, expect_equal, require_answers

#: Standardized loadings of the five dimensions on one service-quality factor. Their products are the
#: dimension correlations (.72 to .90), as high as many SERVQUAL replications report.
SECOND_ORDER_LOADINGS = {"tangibles": 0.80, "reliability": 0.95, "responsiveness": 0.93, "assurance": 0.95,
                         "empathy": 0.90}
#: The numbers a student fills into the blank paragraph of exercise 4, and how each is printed.
BLANKS = {"chisq": "{:.2f}", "cfi": "fit", "rmsea_lower": "fit", "rmsea_upper": "fit"}


def correlated_population(second_order: dict | None = None) -> PopulationModel:
    """The five perception dimensions of the bundled sample's population, correlated as one quality factor implies.

    The item loadings are those of :func:`sample_population`; the correlation of two dimensions is the product
    of their loadings on the quality factor (``second_order``, default :data:`SECOND_ORDER_LOADINGS`), so the
    population *is* a second-order model and its dimensions are hardly distinct.
    """
    second_order = dict(SECOND_ORDER_LOADINGS if second_order is None else second_order)
    names = list(second_order)
    values = np.array([second_order[d] for d in names])
    matrix = np.outer(values, values)
    np.fill_diagonal(matrix, 1.0)
    correlations = pd.DataFrame(matrix, index=names, columns=names)
    loadings = {key: value for key, value in sample_population().loadings.items() if key[0] in second_order}
    return PopulationModel(loadings=loadings, factor_correlations=correlations, paths={}, factor_means={},
                           expectations={})


def _span(values: pd.Series, bounded: bool = True) -> str:
    return f"{two_decimals(values.min(), bounded)} to {two_decimals(values.max(), bounded)}"


def comparison_text(comparison: pd.DataFrame, tests: pd.DataFrame, outcome: str = "satisfaction") -> str:
    """What :func:`~sqlib.analysis.difference_scores.predictor_comparison` and
    :func:`~sqlib.analysis.difference_scores.nested_f_tests` show: in-sample variance explained, differences in
    percentage points, and the F tests of the two nested comparisons."""
    r2 = comparison.set_index("model")["r2"]
    perf, gap, both = r2["SERVPERF (P)"], r2["SERVQUAL (P - E)"], r2["P and E separately"]
    more, less = ("SERVPERF", "SERVQUAL") if perf > gap else ("SERVQUAL", "SERVPERF")
    f = tests.set_index("restricted")

    def f_test(model: str) -> str:
        row = f.loc[model]
        return f"F({int(row['df1'])}, {int(row['df2'])}) = {row['f']:.2f}, {format_p(row['pvalue'])}"

    added = f.loc["SERVPERF (P)"]
    verdict = ("more than chance would add" if added["pvalue"] < 0.05 else
               "no more than chance would add in a sample of this size (which does not show they add nothing)")
    return (f"On the same {int(comparison['n'].iloc[0])} respondents, the five perception scores (SERVPERF) explain "
            f"{perf:.1%} of the variance in {outcome}, the five gap scores (SERVQUAL) {gap:.1%}: {more} explains "
            f"more variance in this sample than {less} (an in-sample R-squared, not a test of which predicts new "
            f"respondents better). Perceptions and expectations as ten separate predictors explain {both:.1%}, so the "
            f"expectations add {100 * (both - perf):.1f} percentage points to the perceptions ({f_test('SERVPERF (P)')}), "
            f"{verdict}; forcing each expectation's weight to be minus its perception's, which is what a gap score "
            f"does, costs {100 * (both - gap):.1f} percentage points ({f_test('SERVQUAL (P - E)')}).")


def difference_text(table: pd.DataFrame, outcome: str = "satisfaction") -> str:
    """Peter, Churchill & Brown's four problems, each with the numbers of :func:`difference_score_table`."""
    higher = int((table["mean_e"] > table["mean_p"]).sum())
    return (f"Reliability: the gap scores' reliability from Lord's formula ranges {_span(table['reliability_gap'])}, "
            f"below the alphas of their perception ({_span(table['alpha_p'])}) and expectation "
            f"({_span(table['alpha_e'])}) parts in every dimension; the alpha of the item gaps ({_span(table['alpha_gap'])}) "
            f"agrees. Discriminant validity: each gap correlates {_span(table['r_gap_p'])} with its perception part. "
            f"Spurious correlation: the gaps correlate {_span(table[f'r_gap_{outcome}'])} with {outcome}, the "
            f"perceptions alone {_span(table[f'r_p_{outcome}'])} and the expectations alone "
            f"{_span(table[f'r_e_{outcome}'])}; holding the perceptions constant, the gaps correlate "
            f"{_span(table[f'r_gap_{outcome}_given_p'])} with {outcome}, exactly minus the expectations' partial "
            f"correlations ({_span(table[f'r_e_{outcome}_given_p'])}): with P held constant, all that varies in "
            f"P - E is -E. Variance restriction (one part systematically higher than the other): the mean "
            f"expectation exceeds the mean perception in {higher} of {len(table)} dimensions "
            f"({_span(table['mean_e'], False)} against {_span(table['mean_p'], False)}), with "
            f"{table['ceiling_e'].min():.0%} to {table['ceiling_e'].max():.0%} of the expectation answers at the top of "
            f"the scale. The expectations still vary (SD {_span(table['sd_e'], False)} against "
            f"{_span(table['sd_p'], False)} for the perceptions), so a gap is not P minus a constant: it correlates "
            f"{_span(table['r_gap_p'])} with P, not 1.")


def validity_problem_text(validity: pd.DataFrame, cutoff: float = 0.85) -> str:
    """How many dimension pairs fail Fornell-Larcker and HTMT, and the largest latent correlation."""
    top = validity.loc[validity["correlation"].abs().idxmax()]
    failing_fl, high_htmt = int((~validity["fl_ok"]).sum()), int((validity["htmt"] >= cutoff).sum())
    verdict = ("Some dimensions are not empirically distinct." if failing_fl or high_htmt else
               "Every pair of dimensions passes both checks.")
    return (f"{failing_fl} of {len(validity)} pairs of dimensions fail the Fornell-Larcker criterion and "
            f"{high_htmt} have an HTMT of {cutoff:.2f} or more; the largest latent correlation is "
            f"{two_decimals(top['correlation'], True)} ({top['construct_1']} and {top['construct_2']}). {verdict}")


def second_order_correlations(result: SEMResult, factor: str = "service_quality") -> pd.Series:
    """The correlations of the first-order factors a second-order model implies: products of their standardized
    loadings on ``factor`` (their disturbances are uncorrelated), one value per pair."""
    std = result.standardized_solution()
    loadings = std[(std["op"] == "=~") & (std["lhs"] == factor)].set_index("rhs")["est_std"]
    names = list(loadings.index)
    return pd.Series({(a, b): loadings[a] * loadings[b] for i, a in enumerate(names) for b in names[i + 1:]})


def distinctness_text(validity: pd.DataFrame, second_order: SEMResult, factor: str = "service_quality") -> str:
    """The dimensions' latent correlations in the five-factor model and as the second-order model implies them."""
    implied = second_order_correlations(second_order, factor)
    return (f"The dimensions correlate {_span(validity['correlation'])} in the five-factor model; the second-order "
            f"model implies correlations of {_span(implied)} (the products of their loadings on {factor}). It "
            "reproduces these correlations, it does not lower them.")


def second_order_text(comparison: pd.DataFrame) -> str:
    """The correlated five-factor model against the second-order model, read without accepting the null."""
    first, second = comparison.iloc[0], comparison.iloc[1]
    saved = int(first["npar"] - second["npar"])
    test = comparison.iloc[1]
    reading = ("the constraint is rejected: one general factor does not account for all the dimension "
               "correlations" if test["delta_pvalue"] < 0.05 else
               "the data are compatible with one general factor behind the dimensions (this does not prove it)")
    better_bic = "second-order" if second["bic"] < first["bic"] else "five-factor"
    return (f"The second-order model explains the correlations among the dimensions by their loadings on one "
            f"quality factor, so it has {saved} fewer parameters ({int(second['npar'])} against {int(first['npar'])}) "
            f"and is nested in the five-factor model: delta chi-square({int(test['delta_df'])}) = "
            f"{test['delta_chisq']:.2f}, {format_p(test['delta_pvalue'])}; {reading}. BIC prefers the {better_bic} "
            f"model (CFI {format_number(first['cfi'], 'fit')} and {format_number(second['cfi'], 'fit')}).")


def checklist_text(checklist: pd.DataFrame) -> str:
    """How many checklist items the paragraph reports, and which are missing or disagree with the tables."""
    present = checklist["present"]
    wrong = checklist[present & checklist["agrees_with_table"].map(lambda v: v is False)]
    missing = checklist[~present]
    text = f"The paragraph reports {int(present.sum())} of the {len(checklist)} items this tool checks"
    text += "; every number it gives agrees with the tables." if wrong.empty else (
        "; numbers that disagree with the tables: " + ", ".join(wrong["item"]) + ".")
    if len(missing):
        text += " Missing: " + ", ".join(missing["item"]) + "."
    return text + (" Not checked, and asked for by Jackson et al. (2009): " + ", ".join(NOT_CHECKED)
                   + "; report them in the tables or the supplement.")


def blank_paragraph(paragraph: str, result: SEMResult) -> str:
    """The paragraph with the chi-square, the CFI and the bounds of the RMSEA interval replaced by ``[name]`` blanks."""
    fm = result.fit_measures
    replacements = [(f"= {fm['chisq']:.2f},", "= [chisq],"), (f"CFI = {format_number(fm['cfi'], 'fit')}", "CFI = [cfi]"),
                    (f"90% CI [{format_number(fm['rmsea_ci_lower'], 'fit')}, "
                     f"{format_number(fm['rmsea_ci_upper'], 'fit')}]", "90% CI [[rmsea_lower], [rmsea_upper]]")]
    for old, new in replacements:
        if old not in paragraph:
            raise ValueError(f"blank_paragraph: {old!r} is not in the paragraph; write it with results_paragraph.")
        paragraph = paragraph.replace(old, new, 1)
    return paragraph


def fill_paragraph(template: str, *, style: str | None = None, **values) -> str:
    """The blank paragraph with each ``[name]`` replaced by its value, printed as the paragraph prints it.

    The styles are those of :data:`BLANKS`; ``style`` prints every value given in one style instead.

    >>> fill_paragraph("CFI = [cfi], RMSEA 90% CI [[rmsea_lower], [rmsea_upper]]", cfi=0.9966, rmsea_lower=0.0,
    ...                rmsea_upper=0.01694)
    'CFI = .997, RMSEA 90% CI [.000, .017]'
    """
    for name, number in values.items():
        chosen = style or BLANKS.get(name, "fit")
        text = format_number(number, "fit") if chosen == "fit" else chosen.format(number)
        template = template.replace(f"[{name}]", text)
    return template


# ----------------------------------------------------------------------------- exercises
def check_exercise_1(differences: pd.DataFrame, dimension: str, *, gap_reliability, below_both) -> Feedback:
    """Exercise 1: the reliability of one dimension's gap score from Lord's formula."""
    exercise = "T8 exercise 1"
    require_answers(exercise, gap_reliability=gap_reliability, below_both=below_both)
    row = differences.set_index("dimension").loc[dimension]
    expected = difference_score_reliability(row["alpha_p"], row["alpha_e"], row["r_pe"], row["sd_p"], row["sd_e"])
    equal_sd = difference_score_reliability(row["alpha_p"], row["alpha_e"], row["r_pe"])
    sd_p, sd_e, shared = row["sd_p"], row["sd_e"], 2 * row["r_pe"] * row["sd_p"] * row["sd_e"]
    expect_close(exercise, "gap_reliability", gap_reliability, expected, 1e-6,
                 "(sd_p² alpha_p + sd_e² alpha_e - 2 r_pe sd_p sd_e) / (sd_p² + sd_e² - 2 r_pe sd_p sd_e).",
                 known_mistakes={"alpha_gap, the alpha of the item gaps: compute Lord's formula instead":
                                     row["alpha_gap"],
                                 "the formula with the SDs where the variances go (square sd_p and sd_e)":
                                     (sd_p * row["alpha_p"] + sd_e * row["alpha_e"] - shared) / (sd_p + sd_e - shared),
                                 "+ 2 r_pe sd_p sd_e: the covariance term is subtracted in both numerator and "
                                 "denominator": (sd_p ** 2 * row["alpha_p"] + sd_e ** 2 * row["alpha_e"] + shared)
                                     / (sd_p ** 2 + sd_e ** 2 + shared),
                                 "the equal-variance formula: use the two standard deviations": equal_sd,
                                 "the mean of the two alphas, which ignores their correlation":
                                     (row["alpha_p"] + row["alpha_e"]) / 2,
                                 "the formula with r_pe = 0": difference_score_reliability(
                                     row["alpha_p"], row["alpha_e"], 0.0, row["sd_p"], row["sd_e"])})
    expect_equal(exercise, "below_both", below_both, bool(expected < min(row["alpha_p"], row["alpha_e"])),
                 "Compare the gap's reliability with alpha_p and with alpha_e.")
    return Feedback(exercise, f"the {dimension} gap has reliability {expected:.3f}, against alphas of "
                              f"{row['alpha_p']:.3f} (P) and {row['alpha_e']:.3f} (E); the alpha of its item gaps is "
                              f"{row['alpha_gap']:.3f}.")


def check_exercise_2(scores: pd.DataFrame, outcome: str, *, r2_servperf, r2_servqual, better_predictor) -> Feedback:
    """Exercise 2: R-squared of the outcome on the five P scores and on the five gap scores."""
    exercise = "T8 exercise 2"
    require_answers(exercise, r2_servperf=r2_servperf, r2_servqual=r2_servqual, better_predictor=better_predictor)
    y = scores[outcome]
    expected = {}
    for name, prefix in (("r2_servperf", "p_"), ("r2_servqual", "gap_")):
        x = scores[[c for c in scores.columns if c.startswith(prefix)]]
        r2 = r_squared(y, x)
        n, k = x.shape
        summed = float(np.corrcoef(x.sum(axis=1), y)[0, 1] ** 2)
        expect_close(exercise, name, {"r2_servperf": r2_servperf, "r2_servqual": r2_servqual}[name], r2, 1e-6,
                     f"Regress {outcome} on the five {prefix}<dimension> columns with an intercept "
                     "(numpy.linalg.lstsq or statsmodels OLS) and take R-squared.",
                     known_mistakes={"the adjusted R-squared": 1 - (1 - r2) * (n - 1) / (n - k - 1),
                                     "the squared correlation with the sum of the five scores": summed,
                                     "the regression without an intercept": _r2_without_intercept(y, x)})
        expected[name] = r2
    better = "SERVPERF" if expected["r2_servperf"] > expected["r2_servqual"] else "SERVQUAL"
    named = better_predictor.strip().upper() if isinstance(better_predictor, str) else better_predictor
    expect_equal(exercise, "better_predictor", named, better,
                 "Answer 'SERVPERF' or 'SERVQUAL' (either case): the one with the larger R-squared.")
    return Feedback(exercise, f"R-squared {expected['r2_servperf']:.3f} (SERVPERF) against "
                              f"{expected['r2_servqual']:.3f} (SERVQUAL): {better} explains more of {outcome} in this "
                              "sample.")


def _r2_without_intercept(y: pd.Series, x: pd.DataFrame) -> float:
    coef, *_ = np.linalg.lstsq(x.to_numpy(float), y.to_numpy(float), rcond=None)
    residual = y.to_numpy(float) - x.to_numpy(float) @ coef
    centred = y.to_numpy(float) - y.mean()
    return float(1 - residual @ residual / (centred @ centred))


def check_exercise_3(five_factor: SEMResult, second_order: SEMResult, *, parameters_saved, delta_chisq,
                     delta_pvalue) -> Feedback:
    """Exercise 3: the chi-square difference test of the second-order model by hand."""
    exercise = "T8 exercise 3"
    require_answers(exercise, parameters_saved=parameters_saved, delta_chisq=delta_chisq, delta_pvalue=delta_pvalue)
    first, second = five_factor.fit_measures, second_order.fit_measures
    saved = int(first["npar"] - second["npar"])
    expect_close(exercise, "parameters_saved", parameters_saved, saved, 1e-9,
                 "npar of the five-factor model minus npar of the second-order model: 5 factor variances and 10 "
                 "covariances (15) become 4 free second-order loadings, 1 variance of the quality factor and 5 "
                 "disturbance variances (10).",
                 known_mistakes={"the number of covariances among five factors, not the parameters saved": 10.0,
                                 "the second-order npar minus the five-factor npar: the sign is reversed": -saved})
    difference = second["chisq"] - first["chisq"]
    expect_close(exercise, "delta_chisq", delta_chisq, difference, 1e-6,
                 "The constrained (second-order) model's chi-square minus the five-factor model's.",
                 known_mistakes={"the five-factor chi-square minus the second-order one (the sign)": -difference})
    p = stats.chi2.sf(difference, saved)
    expect_close(exercise, "delta_pvalue", delta_pvalue, p, 1e-9 + 1e-4 * p,
                 "scipy.stats.chi2.sf(delta_chisq, df difference); the df difference equals the parameters saved.",
                 known_mistakes={"the p-value with the model's df instead of the df difference":
                                 stats.chi2.sf(difference, second["df"]),
                                 "the lower tail (cdf)": stats.chi2.cdf(difference, saved)})
    test = compare(five_factor, second_order).iloc[1]
    return Feedback(exercise, f"delta chi-square({saved}) = {difference:.2f}, {format_p(p)}, as sqlib.compare "
                              f"gives ({test['delta_chisq']:.2f}).")


def check_exercise_4(sem: SEMResult, template: str, validity: pd.DataFrame, *, chisq, cfi, rmsea_lower,
                     rmsea_upper) -> Feedback:
    """Exercise 4: the blanks of the results paragraph, judged by the reporting checklist."""
    exercise = "T8 exercise 4"
    require_answers(exercise, chisq=chisq, cfi=cfi, rmsea_lower=rmsea_lower, rmsea_upper=rmsea_upper)
    answers = {name: as_float(exercise, name, value) for name, value in
               {"chisq": chisq, "cfi": cfi, "rmsea_lower": rmsea_lower, "rmsea_upper": rmsea_upper}.items()}
    fm = sem.fit_measures
    mistakes = {"cfi": {"the TLI": fm["tli"], "the RMSEA": fm["rmsea"]},
                "chisq": {"the chi-square divided by its df": fm["chisq"] / fm["df"], "the df": fm["df"]},
                "rmsea_lower": {"the RMSEA itself": fm["rmsea"]}, "rmsea_upper": {"the RMSEA itself": fm["rmsea"]}}
    for name, wrong in mistakes.items():
        for mistake, value in wrong.items():
            printed_differs = fill_paragraph("[x]", x=value, style=BLANKS[name]) != fill_paragraph(
                "[x]", x=fm[_MEASURE[name]], style=BLANKS[name])
            if abs(answers[name] - value) <= 1e-6 * max(1.0, abs(value)) and printed_differs:
                raise WrongAnswer(f"{exercise}: {name} = {answers[name]:.4g} looks like {mistake}. Take it from the "
                                  "fit statistics table (fit_statistics).")
    checklist = reporting_checklist(fill_paragraph(template, **answers), sem, validity=validity)
    judged = checklist.set_index("item").loc[["chi_square", "cfi", "rmsea_ci"]]
    failed = judged[~judged["present"] | (judged["agrees_with_table"] != True)]  # noqa: E712 -- None is not True
    if len(failed):
        detail = "; ".join(f"{item}: wrote {row['reported'] or 'nothing'}, the table says {row['table_value']}"
                           for item, row in failed.iterrows())
        raise WrongAnswer(f"{exercise}: the checklist finds the filled paragraph disagrees with the tables ({detail}). "
                          "Take the numbers from fit_statistics; the RMSEA interval is a 90% interval.")
    return Feedback(exercise, f"every checklist item of the filled paragraph agrees with the tables "
                              f"({int(checklist['present'].sum())} of {len(checklist)} items present).")


_MEASURE = {"chisq": "chisq", "cfi": "cfi", "rmsea_lower": "rmsea_ci_lower", "rmsea_upper": "rmsea_ci_upper"}
