"""Text for the PLS-SEM section (notebook 08).

Every sentence reports numbers of the table it sits beside: significant paths by their
bootstrap interval, reliability and HTMT against the usual thresholds (rhoA/rhoC .70,
AVE .50, HTMT .85/.90 with the upper bound of its bootstrap interval), the IPMA
priorities, predictive power from PLSpredict, and why CB-SEM and PLS-SEM paths differ.
"""

from __future__ import annotations

import pandas as pd

from sqlib.report.presentation import format_number


def settings_sentence(result) -> str:
    """How the PLS model was estimated."""
    kind = "consistent PLS (PLSc)" if result.consistent else "PLS"
    boot = (f"; {result.boot.n_draws} bootstrap draws give {result.boot.ci_type} {result.boot.level:.0%} intervals"
            if result.boot is not None else "; no bootstrap (bootstrap_draws is 0), so no intervals")
    miss = {"mean": "mean replacement", "listwise": "listwise deletion"}[result.missing]
    return (f"The model was estimated by {kind} with the {result.scheme} weighting scheme on {result.nobs} "
            f"respondents ({result.n_missing_cells} missing answers, {miss}); it converged after "
            f"{result.iterations} iteration{'s' if result.iterations != 1 else ''}{boot}." if result.converged else
            f"The PLS algorithm did not converge in {result.max_iter} iterations; the estimates are not trustworthy.")


def paths_text(result) -> str:
    """Which paths the bootstrap interval separates from zero, strongest first."""
    est = result.estimates
    paths = est[est["op"] == "~"]
    if "ci_lower" not in paths:
        return "Without bootstrap intervals no path is called significant."
    sig = paths[(paths["ci_lower"] > 0) | (paths["ci_upper"] < 0)].sort_values("est", key=abs, ascending=False)
    if sig.empty:
        return "No path's bootstrap interval excludes zero."
    listed = ", ".join(f"{r.rhs} -> {r.lhs} ({format_number(r.est)})" for r in sig.itertuples())
    rest = len(paths) - len(sig)
    return (f"{len(sig)} of {len(paths)} paths have a bootstrap interval that excludes zero: {listed}."
            + (f" The other {rest} cannot be told apart from zero." if rest else ""))


def reliability_text(table: pd.DataFrame, formative=()) -> str:
    """Constructs below rhoA/rhoC .70 or AVE .50 (single items and ``formative``, mode B,
    constructs excluded: reflective criteria do not apply to composites of causal indicators)."""
    multi = table[~((table["alpha"] == 1) & (table["rhoC"] == 1)) & ~table.index.isin(list(formative))]
    weak = [f"{c} (rhoA {format_number(r.rhoA)}, rhoC {format_number(r.rhoC)}, AVE {format_number(r.AVE)})"
            for c, r in multi.iterrows() if r.rhoA < 0.7 or r.rhoC < 0.7 or r.AVE < 0.5]
    redundant = [f"{c} ({format_number(r.rhoC)})" for c, r in multi.iterrows() if r.rhoC > 0.95]
    too_high = (" rhoC above .95 suggests items that repeat each other (Hair et al., 2019): "
                + ", ".join(redundant) + "." if redundant else "")
    if not weak:
        return f"All {len(multi)} multi-item constructs reach rhoA and rhoC .70 and AVE .50." + too_high
    return (f"{len(weak)} of {len(multi)} multi-item constructs fall short of rhoA/rhoC .70 or AVE .50: "
            + "; ".join(weak) + "." + too_high)


def loadings_text(result) -> str:
    """Outer loadings of reflective (mode A) multi-item blocks against Hair et al.'s (2019) .708
    (the item shares half its variance with the construct) and .40 (a deletion candidate)."""
    est = result.estimates
    blocks = {c for c, items in result.spec.blocks.items() if len(items) > 1 and result.spec.modes[c] == "A"}
    rows = est[(est["op"] == "=~") & est["lhs"].isin(blocks)]
    low = rows[rows["est"] < 0.708]
    if low.empty:
        return f"Every loading of the {len(blocks)} reflective multi-item blocks reaches .708 (Hair et al., 2019)."
    very_low = low[low["est"] < 0.40]
    text = (f"{len(low)} of {len(rows)} loadings are below .708 (Hair et al., 2019): "
            + ", ".join(f"{r.lhs} {r.rhs} {format_number(r.est)}" for r in low.itertuples()) + ".")
    if len(very_low):
        text += (" Below .40, " + ", ".join(very_low["rhs"]) + " would usually be dropped; items between .40 and "
                 ".708 only when that lifts the construct's rhoC or AVE above its threshold.")
    return text


def collinearity_text(path_vif: pd.DataFrame) -> str:
    """Predictor collinearity in the structural model: VIF 3 and 5 (Hair et al., 2019)."""
    vif = path_vif.dropna(subset=["vif"])
    if vif.empty:
        return "No construct has two or more predictors, so structural collinearity does not arise."
    high = vif[vif["vif"] >= 3]
    if high.empty:
        return (f"Every predictor VIF is below 3 (largest {format_number(vif['vif'].max())}): collinearity does not "
                "distort the paths (Hair et al., 2019).")
    return (f"{len(high)} predictor VIF{'s are' if len(high) != 1 else ' is'} 3 or more (Hair et al., 2019, ideally "
            "below 3, critical from 5): " + ", ".join(f"{r.predictor} -> {r.target} {format_number(r.vif)}"
                                                     for r in high.itertuples())
            + "; the paths of collinear predictors are unstable, so read them with care.")


def specific_effects_text(table: pd.DataFrame) -> str:
    """Which specific indirect effects (mediator chains) the bootstrap interval separates from zero."""
    if table.empty:
        return "The model has no mediator chains, so there are no indirect effects."
    if "ci_lower" not in table:
        return f"The model has {len(table)} mediator chains; without bootstrap draws they have no intervals."
    clear = table[(table["ci_lower"] > 0) | (table["ci_upper"] < 0)].sort_values("est", key=abs, ascending=False)
    chain = lambda r: " -> ".join([r.source, *([r.through] if r.through else []), r.target])  # noqa: E731
    if clear.empty:
        return f"None of the {len(table)} specific indirect effects has a bootstrap interval that excludes zero."
    return (f"{len(clear)} of {len(table)} specific indirect effects have a bootstrap interval that excludes zero: "
            + ", ".join(f"{chain(r)} ({format_number(r.est)})" for r in clear.head(5).itertuples())
            + (", ..." if len(clear) > 5 else "") + ".")


def htmt_text(boot_table: pd.DataFrame | None, htmt: pd.DataFrame, formative=()) -> str:
    """Discriminant validity: pairs whose HTMT (or its bootstrap upper bound) reaches .85 or .90;
    pairs with a ``formative`` (mode B) construct are left out (HTMT assumes reflective blocks)."""
    if boot_table is not None:
        rows = boot_table[(boot_table["kind"] == "htmt") & ~boot_table["lhs"].isin(list(formative))
                          & ~boot_table["rhs"].isin(list(formative))]
        problems = rows[rows["ci_upper"] >= 0.90]
        borderline = rows[(rows["ci_upper"] >= 0.85) & (rows["ci_upper"] < 0.90)]
        bound = "the upper bound of the bootstrap interval"
    else:
        long = htmt.stack().rename("est").reset_index()
        long.columns = ["lhs", "rhs", "est"]
        long = long[~long["lhs"].isin(list(formative)) & ~long["rhs"].isin(list(formative))]
        rows = long.assign(ci_upper=long["est"])
        problems, borderline = rows[rows["est"] >= 0.90], rows[(rows["est"] >= 0.85) & (rows["est"] < 0.90)]
        bound = "the HTMT itself (no bootstrap)"
    if problems.empty and borderline.empty:
        return f"Discriminant validity holds for every pair: {bound} stays below .85."
    def pair(r) -> str:
        if boot_table is None:
            return f"{r.lhs}-{r.rhs} (HTMT {format_number(r.est)})"
        return f"{r.lhs}-{r.rhs} (HTMT {format_number(r.est)}, upper bound {format_number(r.ci_upper)})"

    parts = []
    if len(problems):
        parts.append("reaches .90 for " + ", ".join(pair(r) for r in problems.itertuples()))
    if len(borderline):
        parts.append("lies between .85 and .90 for " + ", ".join(pair(r) for r in borderline.itertuples()))
    at_one = problems[problems["ci_upper"] >= 1.0]
    one = (f" For {len(at_one)} pair{'s' if len(at_one) != 1 else ''} the interval reaches 1 "
           f"({', '.join(f'{r.lhs}-{r.rhs}' for r in at_one.itertuples())}): the data cannot tell these constructs "
           "apart at all (Henseler et al.'s 2015 HTMT inference)." if len(at_one) else "")
    return (f"Judged by {bound} (.85 the strict and .90 the lenient cutoff), discriminant validity is in doubt: it "
            + "; it ".join(parts) + "." + one + " Such constructs are hard to tell apart, so paths between them "
            "deserve caution.")


def ipma_text(table: pd.DataFrame | None, reason: str = "") -> str:
    """The IPMA priorities: what to fix first (high importance, low performance)."""
    if table is None:
        return reason
    target = table.attrs.get("outcome", "the target")
    first = table[table["priority"] == "concentrate here"]
    top = table.sort_values("importance", ascending=False).iloc[0]
    text = (f"For {target}, the most important driver is {top['dimension']} (a 1-point gain in its 0-100 "
            f"performance raises {target} by {format_number(top['importance'])} points; performance "
            f"{top['performance']:.1f} of 100).")
    if first.empty:
        return text + " No driver combines above-average importance with below-average performance."
    return text + " Improve first: " + ", ".join(
        f"{r.dimension} (importance {format_number(r.importance)}, performance {r.performance:.1f})"
        for r in first.itertuples()) + ", important but below-average performers."


#: Why CB-SEM and PLS-SEM paths differ, and when a reviewer expects which.
WHY_THEY_DIFFER = (
    "CB-SEM treats each construct as a common factor and removes the measurement error of its items; PLS "
    "builds each construct as a weighted sum of its items, error included, so its paths between "
    "multi-item constructs are usually smaller (attenuated) and its loadings larger than the factor "
    "model's. A reviewer expects CB-SEM when the study tests a theory of reflective "
    "constructs and reports model fit; PLS-SEM when the aim is prediction or a driver analysis on "
    "composite scores (customer-satisfaction indices such as the ECSI, the European Customer Satisfaction "
    "Index, or an importance-performance map, IPMA), or with formative blocks. Small samples are often "
    "given as a reason too, but that is disputed: PLS has no special power with few respondents "
    "(Goodhue, Lewis & Thompson, 2012; Rönkkö & Evermann, 2013), and Hair et al. (2019) also warn "
    "against choosing it for sample size alone. Consistent PLS (PLSc) corrects the attenuation when the "
    "blocks are meant as common factors.")


def comparison_text(table: pd.DataFrame, cbsem_reason: str = "", n_cbsem: int | None = None,
                    n_pls: int | None = None) -> str:
    """What the side-by-side table shows (first sentence), then why the two differ.

    ``cbsem_reason``: why the CB-SEM paths are not interpretable (the structural diagnostics'
    sentence); then they are not compared. ``n_cbsem``, ``n_pls``: respondents each used.
    """
    return comparison_finding(table, cbsem_reason, n_cbsem, n_pls) + " " + WHY_THEY_DIFFER


def comparison_finding(table: pd.DataFrame, cbsem_reason: str = "", n_cbsem: int | None = None,
                       n_pls: int | None = None) -> str:
    """The data-specific sentences: the largest gap and sign reversals, or why CB-SEM is not compared."""
    samples = (f" CB-SEM used {n_cbsem} respondents and PLS {n_pls} (PLS replaces missing answers by item "
               "means, CB-SEM here drops incomplete respondents)." if n_cbsem and n_pls and n_cbsem != n_pls else "")
    if cbsem_reason:
        return ("The CB-SEM column is not compared with the PLS paths, because in CB-SEM " +
                cbsem_reason[0].lower() + cbsem_reason[1:] + samples)
    both = table.dropna(subset=["cbsem", "pls"])
    if not len(both):
        return "No path is estimated by both methods." + samples
    if len(both) == 1:
        r = both.iloc[0]
        direction = "lower" if r["pls"] < r["cbsem"] else "higher"
        found = (f"The one path compared, {r['rhs']} -> {r['lhs']}, is {format_number(r['cbsem'])} in CB-SEM "
                 f"and {format_number(r['pls'])} in PLS, {format_number(abs(r['pls'] - r['cbsem']))} {direction}.")
    else:
        r = both.loc[both["difference"].abs().idxmax()]
        found = (f"The largest gap is {r['rhs']} -> {r['lhs']} ({format_number(r['cbsem'])} in CB-SEM, "
                 f"{format_number(r['pls'])} in PLS); over the {len(both)} paths compared the mean absolute "
                 f"difference is {format_number(both['difference'].abs().mean())}.")
    flipped = both[(both["cbsem"] * both["pls"]) < 0]
    if len(flipped):
        found += (f" {len(flipped)} of the {len(both)} paths have opposite signs in the two methods (" +
                  ", ".join(f"{r.rhs} -> {r.lhs}" for r in flipped.itertuples()) + ").")
    return found + samples


def prediction_text(table: pd.DataFrame | None, folds: int = 0, target: str = "",
                    items: list[str] | None = None) -> str:
    """Predictive power for the key target construct's items (``items``; all rows when None),
    by Shmueli et al.'s (2019) guideline: Q2_predict above 0 first; then PLS's out-of-sample
    RMSE below the LM benchmark's for all (high), most (medium), some (low) or none (no
    predictive power) of them."""
    if table is None:
        return "PLSpredict was not run (predict_folds is 0)."
    rows = table if items is None else table[table["item"].isin(items)]
    m = len(rows)
    whose = f"{target}'s {m} item{'s' if m != 1 else ''}" if target else f"the {m} endogenous items"
    not_better_than_mean = rows.loc[rows["q2_predict"] <= 0, "item"].tolist()
    if not_better_than_mean:
        return (f"In {folds}-fold PLSpredict the model predicts {len(not_better_than_mean)} of {whose} "
                f"({', '.join(not_better_than_mean)}) no better than their training means (Q2_predict at or "
                "below 0): by Shmueli et al.'s (2019) guideline it lacks predictive power there.")
    k = int(rows["pls_better"].sum())
    level = ("high" if k == m else "medium" if k > m / 2 else "low" if k > 0 else "no")
    return (f"In {folds}-fold PLSpredict all of {whose} have Q2_predict above 0 (from "
            f"{format_number(rows['q2_predict'].min())} to {format_number(rows['q2_predict'].max())}), and PLS's "
            f"out-of-sample RMSE is below the linear-regression benchmark's for {k} of the {m}: {level} "
            "predictive power by Shmueli et al.'s (2019) guideline (all items: high; most: medium; some: low; "
            "none: no predictive power; MAE, in the table too, is the better yardstick when prediction errors "
            "are strongly skewed).")


def summary(result, paths: str, reliability: str, htmt: str, ipma: str, comparison: str,
            prediction: str = "") -> str:
    """The section's executive summary."""
    r2 = result.r2["r2"]
    r2_text = "R-squared: " + ", ".join(f"{c} {format_number(v)}" for c, v in r2.items()) + "."
    return " ".join(p for p in [settings_sentence(result), paths, r2_text, reliability, htmt, ipma, prediction,
                                comparison.split(WHY_THEY_DIFFER)[0].strip()] if p)


__all__ = ["settings_sentence", "paths_text", "reliability_text", "htmt_text", "ipma_text", "prediction_text",
           "comparison_text", "comparison_finding", "WHY_THEY_DIFFER", "summary", "loadings_text",
           "collinearity_text", "specific_effects_text"]
