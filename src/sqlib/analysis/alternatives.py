"""Alternative models for constructs that are not distinct, built from the user's own model.

When diagnostics show collinear predictors or constructs that are hardly distinct
(HTMT near 1), the paths among them cannot be interpreted. Two defensible
alternatives are fitted *for the study's own model* (not a fixed SERVQUAL one):

* **second-order**: the collinear predictors become first-order factors of one
  higher-order factor, which takes their place in the structural model (needs three
  or more multi-item predictors that no path connects);
* **merged**: the collinear constructs become one construct measured by all their
  items, which takes their place.

An alternative is *recommended* only when it is proper (no severe diagnostics), fits
acceptably (Hu and Bentler's joint cutoffs) and fits better than the model as
specified by the stated criterion (BIC; RMSEA without a likelihood). Otherwise no
alternative is recommended and :attr:`Alternatives.reason` says why.

R: there is no single equivalent; in lavaan one writes and compares these models by hand.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from sqlib.core.formatting import brief_html

from .design import StudyDesign, study_design
from sqlib.core.errors import ModelSpecificationError
from .diagnostics import diagnose
from sqlib.sem.pipeline import fit
from sqlib.sem.tables import fit_table, model_comparison

AS_SPECIFIED = "as specified"


@dataclass(frozen=True)
class Alternatives:
    """The models compared, their diagnostics and the recommendation.

    Attributes
    ----------
    table : DataFrame
        One row per model: fit measures, ``severe_problems``, ``meets_cutoffs``, ``recommended``.
    fits : dict
        Model name -> fitted result (``"as specified"`` first).
    diagnostics : dict
        Model name -> diagnostics table.
    recommended : str or None
    criterion : str
        ``"bic"`` or ``"rmsea"``: lower is better.
    reason : str
        Why the recommended model was chosen, or why none was.
    collinear : list of list of str
        The sets of constructs the diagnostics flagged.
    """

    table: pd.DataFrame
    fits: dict
    diagnostics: dict
    recommended: str | None
    criterion: str
    reason: str
    collinear: list = field(default_factory=list)

    def _lines(self) -> list[str]:
        chosen = self.recommended or "none"
        return [f"Alternative models: {len(self.table)} compared by {self.criterion.upper()}; recommended: {chosen}",
                self.reason]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines(), self.table.to_html(index=False, float_format=lambda x: f"{x:.3f}"))


def collinear_sets(diagnostics: pd.DataFrame, constructs: list[str]) -> list[list[str]]:
    """Connected sets of constructs that the diagnostics flag as not distinct.

    Pairs come from severe discriminant-validity rows (``"a & b"``) and from
    predictors flagged severe for the same outcome (``"a -> outcome"``).
    """
    links: list[set] = []
    flagged: dict[str, set] = {}
    for row in diagnostics.itertuples():
        if row.severity != "severe":
            continue
        if row.check == "discriminant validity":
            links.append(set(row.where.split(" & ")))
        elif row.check == "collinear predictors":
            predictor, outcome = row.where.split(" (group")[0].split(" -> ")
            flagged.setdefault(outcome, set()).add(predictor)
    links += [names for names in flagged.values() if len(names) >= 2]
    sets: list[set] = []
    for link in links:
        link = {name for name in link if name in constructs}
        if len(link) < 2:
            continue
        for joined in [s for s in sets if s & link]:
            sets.remove(joined)
            link |= joined
        sets.append(link)
    return [[name for name in constructs if name in s] for s in sets]


def _unconnected(design: StudyDesign, names: list[str]) -> bool:
    return not any(lhs in names and rhs in names for lhs, rhs in design.regressions)


def merged_design(design: StudyDesign, names: list[str], keep_structure: bool = True) -> StudyDesign:
    """The design with ``names`` merged into one construct ``a_b`` (its items pooled).

    With ``keep_structure`` the structural model is rewritten over the merged construct
    (a :class:`ModelSpecificationError` when that makes it circular); without, the
    merged design is a measurement model only.
    """
    cb = design.codebook
    new = "_".join(names)
    merged = dataclasses.replace(cb.construct(names[0]), name=new,
                                 items=[i for n in names for i in cb.items_of(n)])
    constructs = [merged if c.name == names[0] else c for c in cb.constructs if c.name not in names[1:]]
    codebook = dataclasses.replace(cb, constructs=constructs)
    rename = {n: new for n in names}
    if not keep_structure:
        return StudyDesign(codebook, "", "merged constructs: measurement model only")
    return study_design(codebook, _structural_lines(design, rename))


def _structural_lines(design: StudyDesign, rename: dict[str, str]) -> str:
    """The design's regressions with constructs renamed (labels and definitions dropped)."""
    paths: dict[str, list[str]] = {}
    for lhs, rhs in design.regressions:
        lhs, rhs = rename.get(lhs, lhs), rename.get(rhs, rhs)
        if lhs != rhs and rhs not in paths.setdefault(lhs, []):
            paths[lhs].append(rhs)
    return "\n".join(f"{lhs} ~ " + " + ".join(rhs) for lhs, rhs in paths.items() if rhs)


def second_order_syntax(design: StudyDesign, names: list[str]) -> str | None:
    """SEM syntax with a higher-order factor over ``names`` replacing them as predictors.

    The factor stands over every multi-item exogenous predictor when some of ``names``
    are among them (SERVQUAL: one service-quality factor over the five dimensions).
    None when that leaves fewer than three predictors, or paths connect them.
    """
    exogenous = [n for n in design.predictors if n in design.multi_item]
    members = exogenous if set(names) & set(exogenous) else []
    if len(members) < 3 or not _unconnected(design, members):
        return None
    factor = "service_quality" if all(n in design.codebook.dimensions for n in members) else "_".join(members) + "_2nd"
    structural = _structural_lines(design, {n: factor for n in members})
    measurement = design.cfa_syntax([n for n in design.constructs if n in members])
    return "\n".join([measurement, f"{factor} =~ " + " + ".join(members), design.sem_syntax(structural)])


def _candidates(result, design: StudyDesign, sets: list[list[str]]) -> dict[str, str]:
    structural = design.has_structural_model and any(r.op == "~" for r in result.spec.rows)
    out: dict[str, str] = {}
    if structural:
        for names in sets:
            syntax = second_order_syntax(design, names)
            if syntax:
                out[f"second-order ({', '.join(names)})"] = syntax
    mergeable = [names for names in sets if not structural or _unconnected(design, names)]
    merged, done = design, []
    for names in mergeable:
        try:
            merged = merged_design(merged, names, keep_structure=structural)
        except ModelSpecificationError:  # merging them would make the structural model circular
            continue
        done.append(names)
    if done:
        label = "merged (" + "; ".join(" + ".join(n) for n in done) + ")"
        out[label] = merged.sem_syntax() if structural else merged.cfa_syntax()
    return out


def alternative_models(result, data: pd.DataFrame, design: StudyDesign | None = None) -> Alternatives:
    """Fit and compare the defensible alternatives to ``result`` for collinear constructs.

    Parameters
    ----------
    result : SEMResult
        The model as specified (a CFA of the design, or its SEM).
    data : DataFrame
        The data ``result`` was fitted on.
    design : StudyDesign, optional
        Default: the SERVQUAL design.

    Examples
    --------
    >>> alt = alternative_models(result, data, design)  # doctest: +SKIP
    >>> alt.recommended, alt.reason  # doctest: +SKIP
    """
    design = design or study_design(None)
    cb = design.codebook
    current = diagnose(result, data=data, codebook=cb)
    sets = collinear_sets(current, design.constructs)
    same = {"estimator": result.estimator, "ordered": True if result.estimator == "WLSMV" else None,
            "missing": result.missing}
    fits = {AS_SPECIFIED: result}
    fits.update({name: fit(syntax, data, **same) for name, syntax in _candidates(result, design, sets).items()})
    diagnostics = {name: current if name == AS_SPECIFIED else diagnose(res, data=data, codebook=cb)
                   for name, res in fits.items()}
    table = model_comparison(fits)
    table["severe_problems"] = [int((diagnostics[n]["severity"] == "severe").sum()) for n in fits]
    table["meets_cutoffs"] = list(fit_table(fits)["meets_cutoffs"])
    criterion = "bic" if table["bic"].notna().all() else "rmsea"
    recommended, reason = recommend_alternative(table, criterion, sets)
    table["recommended"] = table["model"] == recommended
    return Alternatives(table, fits, diagnostics, recommended, criterion, reason, sets)


def recommend_alternative(table: pd.DataFrame, criterion: str, sets: list) -> tuple[str | None, str]:
    """The rule: proper, within the cutoffs and lower in ``criterion`` than the model as specified."""
    rows = table.set_index("model")
    base = rows.loc[AS_SPECIFIED]
    if len(rows) == 1:
        why = ("no constructs were flagged as collinear" if not sets else
               "no alternative could be built for the flagged constructs (a second-order factor needs three "
               "or more multi-item predictors without paths among them; merging needs constructs without "
               "paths among them)")
        return None, f"No alternative model was fitted: {why}."
    others = rows.drop(index=AS_SPECIFIED)
    better = others[(others["severe_problems"] == 0) & others["meets_cutoffs"].astype(bool)
                    & (others[criterion] < base[criterion])]
    if better.empty:
        return None, (f"No alternative is better: none is at once free of severe diagnostics, within the fit "
                      f"cutoffs and lower in {criterion.upper()} than the model as specified "
                      f"({base[criterion]:.1f}).")
    name = better[criterion].idxmin()
    return name, (f"{name} is free of severe diagnostics, meets the fit cutoffs and has the lowest "
                  f"{criterion.upper()} ({better.loc[name, criterion]:.1f} against {base[criterion]:.1f} as specified).")


__all__ = ["Alternatives", "alternative_models", "collinear_sets", "merged_design", "second_order_syntax",
           "recommend_alternative"]
