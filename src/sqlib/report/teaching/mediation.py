"""Checkers and sentences of T5 (the structural model and mediation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.sem.effects import effects
from sqlib.sem.result import SEMResult
from sqlib.survey.simulate import sample_population

from sqlib.core.formatting import format_p

from .grading import Feedback, expect_close, expect_equal, expect_values, require_answers


def excludes_zero(lower: float, upper: float) -> bool:
    return bool(lower > 0 or upper < 0)


def mediation_types(effect_table: pd.DataFrame, outcome: str, predictors: list[str]) -> pd.DataFrame:
    """Zhao, Lynch & Chen's (2010) type of every predictor's mediation, from the intervals of ``effects()``.

    An effect counts when its 95% interval excludes zero. Types: *complementary* (indirect and
    direct, same sign), *competitive* (both, opposite signs), *indirect-only*, *direct-only*,
    *no effect*. Zhao et al. replace the full/partial split: "full mediation" is indirect-only,
    a conclusion that only holds with the power to detect a direct effect.
    """
    rows = []
    for predictor in predictors:
        part = effect_table[(effect_table["outcome"] == outcome) & (effect_table["predictor"] == predictor)]
        part = part.set_index("effect")
        indirect, direct = part.loc["indirect"], part.loc["direct"]
        has_indirect = excludes_zero(indirect["ci_lower"], indirect["ci_upper"])
        has_direct = excludes_zero(direct["ci_lower"], direct["ci_upper"])
        if has_indirect and has_direct:
            kind = "complementary" if np.sign(indirect["est"]) == np.sign(direct["est"]) else "competitive"
        elif has_indirect:
            kind = "indirect-only"
        elif has_direct:
            kind = "direct-only"
        else:
            kind = "no effect"
        rows.append({"predictor": predictor, "indirect": indirect["est"], "indirect_ci_lower": indirect["ci_lower"],
                     "indirect_ci_upper": indirect["ci_upper"], "direct": direct["est"],
                     "direct_ci_lower": direct["ci_lower"], "direct_ci_upper": direct["ci_upper"], "type": kind})
    return pd.DataFrame(rows)


def comparison_text(comparison: pd.DataFrame) -> str:
    """The chi-square difference test of full against partial mediation, without accepting the null."""
    test = comparison.iloc[1]
    df, chisq, p = int(test["delta_df"]), test["delta_chisq"], test["delta_pvalue"]
    if p >= 0.05:
        return (f"Freeing the {df} direct paths does not improve fit significantly (delta chi-square({df}) = "
                f"{chisq:.2f}, {format_p(p)}). That does not show the direct paths are zero: the test may lack power "
                "to detect small direct effects. The data are compatible with no direct paths "
                "(indirect-only mediation in "
                "Zhao et al.'s terms), and the simpler model is preferred by parsimony, not proven.")
    return (f"Freeing the {df} direct paths improves fit (delta chi-square({df}) = {chisq:.2f}, {format_p(p)}): at "
            "least one dimension affects loyalty beyond satisfaction.")


def summary_text(comparison: pd.DataFrame, types: pd.DataFrame, draws: int) -> str:
    """The notebook's conclusion: the comparison and the largest indirect effect with its bootstrap interval."""
    strongest = types.loc[types["indirect"].idxmax()]
    return (comparison_text(comparison) + " The largest indirect effect on loyalty is that of "
            f"{strongest['predictor']} "
            f"({strongest['indirect']:.2f}, 95% CI {strongest['indirect_ci_lower']:.2f} to "
            f"{strongest['indirect_ci_upper']:.2f} from {draws} bootstrap resamples; Zhao et al. type: "
            f"{strongest['type']}).")


def check_exercise_1(partial: SEMResult, *, a_path, b_path, indirect_effect) -> Feedback:
    """Exercise 1: the paths a2 and b, and their product."""
    exercise = "T5 exercise 1"
    require_answers(exercise, a_path=a_path, b_path=b_path, indirect_effect=indirect_effect)
    estimates = partial.estimates.set_index("label")
    a, b = estimates.loc["a2", "est"], estimates.loc["b", "est"]
    hint = "Read est (unstandardized) of the rows labelled a2 and b in partial.estimates."
    expect_close(exercise, "a_path", a_path, a, 1e-6, hint, known_mistakes={"the standardized a2 (std_all)":
                                                                            estimates.loc["a2", "std_all"]})
    expect_close(exercise, "b_path", b_path, b, 1e-6, hint, known_mistakes={"the standardized b (std_all)":
                                                                            estimates.loc["b", "std_all"]})
    expect_close(exercise, "indirect_effect", indirect_effect, a * b, 1e-6, "The indirect effect is a2 times b.",
                 known_mistakes={"a2 plus b": a + b})
    defined = estimates.loc["ind_reliability", "est"]
    return Feedback(exercise, f"a x b = {a * b:.4f}, equal to ind_reliability ({defined:.4f}).")


def check_exercise_2(partial: SEMResult, dimensions: list[str], *, largest_total, indirect_share) -> Feedback:
    """Exercise 2: the dimension with the largest total effect on loyalty and the indirect share of it."""
    exercise = "T5 exercise 2"
    require_answers(exercise, largest_total=largest_total, indirect_share=indirect_share)
    table = effects(partial)
    wide = table[(table["outcome"] == "loyalty") & table["predictor"].isin(dimensions)].pivot(
        index="predictor", columns="effect", values="est")
    largest = wide["total"].idxmax()
    expect_equal(exercise, "largest_total", largest_total, largest, "Compare the total effects on loyalty.")
    share = wide.loc[largest, "indirect"] / wide.loc[largest, "total"]
    expect_close(exercise, "indirect_share", indirect_share, share, 1e-4, "indirect / total of that dimension.",
                 known_mistakes={"the direct share": 1 - share})
    return Feedback(exercise, f"{largest} has the largest total effect ({wide.loc[largest, 'total']:.3f}); "
                              f"{share:.0%} of it runs through satisfaction.")


def check_exercise_3(partial: SEMResult, *, sobel_se) -> Feedback:
    """Exercise 3: Sobel's standard error of a2 x b."""
    exercise = "T5 exercise 3"
    require_answers(exercise, sobel_se=sobel_se)
    table = partial.estimates.set_index("label")
    a, se_a = table.loc["a2", ["est", "se"]]
    b, se_b = table.loc["b", ["est", "se"]]
    expected = float(np.sqrt(b ** 2 * se_a ** 2 + a ** 2 * se_b ** 2))
    expect_close(exercise, "sobel_se", sobel_se, expected, 1e-6, "sqrt(b^2 SE_a^2 + a^2 SE_b^2).",
                 known_mistakes={"the variance (no square root)": expected ** 2,
                                 "a^2 SE_a^2 + b^2 SE_b^2 (the weights swapped)":
                                 float(np.sqrt(a ** 2 * se_a ** 2 + b ** 2 * se_b ** 2))})
    delta = table.loc["ind_reliability", "se"]
    return Feedback(exercise, f"Sobel SE {expected:.4f}; the delta-method SE, which adds the covariance of a2 and b, "
                              f"is {delta:.4f}.")


def true_indirect_effects(dimensions: list[str]) -> pd.Series:
    """Standardized indirect effects on loyalty in the population of the bundled sample."""
    paths = sample_population().paths
    return pd.Series({d: paths[("satisfaction", d)] * paths[("loyalty", "satisfaction")] for d in dimensions})


def check_exercise_4(partial: SEMResult, dimensions: list[str], *, true_indirect, estimated_indirect,
                     truth_inside) -> Feedback:
    """Exercise 4: true and estimated standardized indirect effects, and whether every truth is in its interval."""
    exercise = "T5 exercise 4"
    require_answers(exercise, true_indirect=true_indirect, estimated_indirect=estimated_indirect,
                    truth_inside=truth_inside)
    truth = true_indirect_effects(dimensions)
    expect_values(exercise, "true_indirect", true_indirect, truth, 1e-9,
                  "Multiply each dimension's true path to satisfaction by the true path from satisfaction to loyalty.")
    standardized = partial.standardized_solution().query("op == ':='").set_index("lhs")
    names = [f"ind_{d}" for d in dimensions]
    expected = pd.Series(standardized.loc[names, "est_std"].to_numpy(), index=dimensions)
    raw = pd.Series(partial.estimates.set_index("label").loc[names, "est"].to_numpy(), index=dimensions)
    expect_values(exercise, "estimated_indirect", estimated_indirect, expected, 1e-6,
                  "The truth is standardized, so compare it with est_std of partial.standardized_solution().",
                  known_mistakes={"the unstandardized indirect effects (est of partial.estimates); the truth is "
                                  "standardized": raw})
    lower = pd.Series(standardized.loc[names, "ci_lower"].to_numpy(), index=dimensions)
    upper = pd.Series(standardized.loc[names, "ci_upper"].to_numpy(), index=dimensions)
    inside = bool(((lower <= truth) & (truth <= upper)).all())
    expect_equal(exercise, "truth_inside", truth_inside, inside,
                 "Check every dimension's true value against ci_lower and ci_upper of the standardized solution.")
    return Feedback(exercise, f"{int(((lower <= truth) & (truth <= upper)).sum())} of {len(dimensions)} true "
                              "standardized indirect effects lie in their 95% intervals.")

