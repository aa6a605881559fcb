"""Checkers and sentences of T5 (the structural model and mediation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.sem.effects import effect_draws, effects
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


def total_effect_draws(bootstrapped: SEMResult, outcome: str, predictors: list[str]) -> pd.DataFrame:
    """Standardized total effects on ``outcome``, one row per bootstrap draw (see ``sqlib.sem.effects.effect_draws``)."""
    return effect_draws(bootstrapped, outcome, predictors, effect="total", standardized=True)


def equivalence_table(bootstrapped: SEMResult, outcome: str, predictors: list[str], smallest_effect: float,
                      level: float = 0.90) -> pd.DataFrame:
    """Is each standardized direct effect negligible? The equivalence test (two one-sided tests at 5%).

    A direct effect counts as negligible when its ``level`` (90%) bootstrap interval lies inside
    -``smallest_effect`` to +``smallest_effect``, the smallest standardized effect that would matter.
    """
    table = effects(bootstrapped)
    estimates = table[(table["outcome"] == outcome) & (table["effect"] == "direct")].set_index("predictor").loc[
        predictors, "std_all"]
    draws = effect_draws(bootstrapped, outcome, predictors, effect="direct", standardized=True)
    lower, upper = draws.quantile((1 - level) / 2), draws.quantile((1 + level) / 2)
    return pd.DataFrame({"predictor": predictors, "direct_std": estimates.to_numpy(),
                         "ci_lower": lower[predictors].to_numpy(), "ci_upper": upper[predictors].to_numpy(),
                         "negligible": ((lower > -smallest_effect) & (upper < smallest_effect))[predictors].to_numpy()})


def equivalence_text(table: pd.DataFrame, smallest_effect: float, level: float = 0.90) -> str:
    """Which direct effects the equivalence test shows to be negligible, and which it does not."""
    passed = table.loc[table["negligible"], "predictor"].tolist()
    failed = table.loc[~table["negligible"], "predictor"].tolist()
    text = (f"With a smallest standardized direct effect of interest of {smallest_effect:.2f}, a direct effect is "
            f"negligible when its {level:.0%} bootstrap interval lies inside -{smallest_effect:.2f} to "
            f"+{smallest_effect:.2f}. ")
    if passed:
        text += f"That holds for {', '.join(passed)}. "
    if failed:
        widest = table.set_index("predictor").loc[failed]
        worst = (widest[["ci_lower", "ci_upper"]].abs().max(axis=1)).idxmax()
        text += (f"It does not hold for {', '.join(failed)} (for example {worst}: "
                 f"{widest.loc[worst, 'ci_lower']:.3f} to {widest.loc[worst, 'ci_upper']:.3f}): for "
                 f"{'these' if len(failed) > 1 else 'it'} the data neither show a direct effect nor rule one out.")
    return text.strip()


def type_stability_text(types: pd.DataFrame, types_again: pd.DataFrame, draws: int, level: float = 0.95) -> str:
    """Do Zhao et al.'s types survive a second bootstrap with another seed? (Monte Carlo error of percentiles.)"""
    first, again = types.set_index("predictor"), types_again.set_index("predictor").loc[types["predictor"]]
    changed = first.index[first["type"] != again["type"]].tolist()
    columns = ["indirect_ci_lower", "indirect_ci_upper", "direct_ci_lower", "direct_ci_upper"]
    shift = (first[columns] - again[columns]).abs().to_numpy().max()
    tail = draws * (1 - level) / 2
    text = (f"A percentile of {draws} bootstrap draws is itself an estimate: the {(1 - level) / 2:.1%} bound rests on "
            f"the {tail:.0f} most extreme draws, so it has Monte Carlo error. Redrawn with a second seed, the interval "
            f"bounds move by up to {shift:.3f}, and ")
    if not changed:
        return text + f"the type of all {len(first)} dimensions stays the same."
    return text + (f"the type changes for {', '.join(changed)}: a bound that close to zero needs more draws "
                   "(1000 or more) before the type is reported.")


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


def standardized_total_difference(bootstrapped: SEMResult, outcome: str, predictors: list[str],
                                  level: float = 0.95) -> dict:
    """The two largest standardized total effects on ``outcome`` and the bootstrap interval of their difference.

    ``bootstrapped`` carries bootstrap draws (``use_bootstrap``). Returns ``totals`` (Series of std_all
    totals), ``first`` and ``second`` (the two largest), and ``ci_lower``/``ci_upper``: percentiles of
    the difference first minus second over the draws, each draw standardized with its own SDs.
    """
    table = effects(bootstrapped)
    totals = table[(table["outcome"] == outcome) & (table["effect"] == "total")].set_index("predictor").loc[
        predictors, "std_all"]
    first, second = totals.sort_values(ascending=False).index[:2]
    draws = effect_draws(bootstrapped, outcome, predictors, effect="total", standardized=True)
    lower, upper = np.quantile(draws[first] - draws[second], [(1 - level) / 2, (1 + level) / 2])
    return {"totals": totals, "first": first, "second": second, "ci_lower": float(lower), "ci_upper": float(upper)}


def check_exercise_2(bootstrapped: SEMResult, dimensions: list[str], *, standardized_totals, difference_ci_lower,
                     difference_ci_upper, told_apart) -> Feedback:
    """Exercise 2: standardized total effects on loyalty, and whether the two largest can be told apart."""
    exercise = "T5 exercise 2"
    require_answers(exercise, standardized_totals=standardized_totals, difference_ci_lower=difference_ci_lower,
                    difference_ci_upper=difference_ci_upper, told_apart=told_apart)
    found = standardized_total_difference(bootstrapped, "loyalty", dimensions)
    table = effects(bootstrapped)
    raw = table[(table["outcome"] == "loyalty") & (table["effect"] == "total")].set_index("predictor").loc[
        dimensions, "est"]
    expect_values(exercise, "standardized_totals", standardized_totals, found["totals"], 1e-6,
                  "Take std_all of the total effects on loyalty (on_loyalty), one value per dimension.",
                  known_mistakes={"the unstandardized totals (est); std_all makes them comparable": raw})
    first, second = found["first"], found["second"]
    hint = (f"Over the draws of checks.total_effect_draws(bootstrapped, ...), take the 2.5th and 97.5th "
            f"percentiles of {first} minus {second}.")
    expect_close(exercise, "difference_ci_lower", difference_ci_lower, found["ci_lower"], 1e-6, hint,
                 known_mistakes={f"the lower bound of {second} minus {first}": -found["ci_upper"]})
    expect_close(exercise, "difference_ci_upper", difference_ci_upper, found["ci_upper"], 1e-6, hint,
                 known_mistakes={f"the upper bound of {second} minus {first}": -found["ci_lower"]})
    apart = excludes_zero(found["ci_lower"], found["ci_upper"])
    expect_equal(exercise, "told_apart", told_apart, apart,
                 "The two can be told apart when the interval of their difference excludes zero.")
    verdict = "excludes zero: the data rank them" if apart else "includes zero: the data cannot tell them apart"
    return Feedback(exercise, f"{first} has the largest standardized total effect ({found['totals'][first]:.3f}), "
                              f"{second} the next ({found['totals'][second]:.3f}); the 95% bootstrap interval of "
                              f"their difference, {found['ci_lower']:.3f} to {found['ci_upper']:.3f}, {verdict}.")


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

