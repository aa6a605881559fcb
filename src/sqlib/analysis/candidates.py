"""Candidate structural models that a report compares with the study's own model.

* **Direct paths** (partial against full mediation): the SERVQUAL chain plus direct
  paths from the drivers to the final outcome (:meth:`StudyDesign.with_direct_paths`);
  :func:`prefer_direct_paths` is the decision rule.
* **SERVPERF against SERVQUAL**: the same structural model with the dimensions
  measured by perceptions or by perception-minus-expectation gaps
  (:func:`servperf_comparison`).

R: in lavaan, fit both models and compare with ``lavTestLRT(fit0, fit1)`` and ``BIC()``.
"""

from __future__ import annotations

import pandas as pd

from .design import StudyDesign, study_design
from .gaps import gap_codebook, gap_scores
from sqlib.sem.pipeline import fit
from sqlib.sem.tables import model_comparison


def prefer_direct_paths(test: pd.Series, comparison: pd.DataFrame, alpha: float = 0.05) -> bool:
    """Keep the direct paths only when the difference test is significant and BIC is lower.

    ``test`` is the second row of :func:`sqlib.compare` (the model with direct paths);
    ``comparison`` is :func:`sqlib.tables.model_comparison` with rows ``"as specified"``
    and ``"with direct paths"``.
    """
    bic = comparison.set_index("model")["bic"]
    return bool(test["delta_pvalue"] < alpha and bic["with direct paths"] < bic["as specified"])


def servperf_skip_reason(design: StudyDesign) -> str | None:
    """Why the SERVPERF/SERVQUAL comparison cannot run (None when it can)."""
    cb = design.codebook
    if not cb.expectations:
        return ("SERVPERF against SERVQUAL is not compared: the codebook pairs no perception item with an "
                "expectation item (add an `expectations:` section to enable it).")
    incomplete = [d for d in cb.dimensions if any(i not in cb.expectations for i in cb.items_of(d))]
    if incomplete:
        return ("SERVPERF against SERVQUAL is not compared: dimension(s) " + ", ".join(incomplete)
                + " have items without an expectation twin.")
    if not design.has_structural_model:
        return "SERVPERF against SERVQUAL is not compared: the study has no structural model."
    return None


def servperf_comparison(design: StudyDesign, data: pd.DataFrame, *, estimator: str = "ML") -> dict | None:
    """Fit the structural model on perceptions and on gaps, on the same respondents.

    Returns
    -------
    dict or None
        ``table`` (:func:`model_comparison` of "SERVPERF (perceptions)" and
        "SERVQUAL (gaps P - E)"), ``outcome`` (the first endogenous construct) and
        ``n`` (respondents); None when
        :func:`servperf_skip_reason` gives a reason.
    """
    if servperf_skip_reason(design) is not None:
        return None
    cb = design.codebook
    with_gaps = design.model_data(gap_scores(data, cb))
    same_people = with_gaps.dropna(subset=cb.items + cb.expectation_items)
    gap_design = study_design(gap_codebook(cb), design.structural_model)
    fits = {"SERVPERF (perceptions)": fit(design.sem_syntax(), same_people, estimator=estimator),
            "SERVQUAL (gaps P - E)": fit(gap_design.sem_syntax(), same_people, estimator=estimator)}
    outcome = design.endogenous[0]
    return {"table": model_comparison(fits, r2=(outcome,)), "outcome": outcome, "n": len(same_people)}


__all__ = ["prefer_direct_paths", "servperf_comparison", "servperf_skip_reason"]
