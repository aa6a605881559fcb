"""Text for the wave-tracking section (notebook 06).

The rules (issue 13):

* The wave column is the codebook's (a notebook parameter only overrides it when
  set); with no wave column or fewer than two waves one paragraph says why.
* A change is reported as backed only when measurement invariance across the waves
  supports it (:func:`sqlib.waves.wave_invariance`, which also requires an
  acceptable, proper configural model); the invariance verdict is written by
  :mod:`sqlib.narratives.invariance` (both criteria when they disagree).
* Every number in the text is a number of the changes table (three decimals).
"""

from __future__ import annotations

import pandas as pd

from sqlib.analysis.design import SECTION_NEEDS
from sqlib.report.presentation import format_number, format_p
from . import invariance as invariance_text


def unavailable(design, data: pd.DataFrame, column: str) -> str:
    """Why waves cannot be compared on ``column`` ("" when they can).

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.design import study_design
    >>> from sqlib.report.narratives.waves import unavailable
    >>> unavailable(study_design(None), sqlib.load_sample(), "")
    'The codebook names no wave column. Needs a wave column (codebook key wave) with at least two waves.'

    """
    needs = SECTION_NEEDS["06_wave_tracking"]
    if not column:
        return f"The codebook names no wave column. Needs {needs}."
    if column not in data.columns:
        return (f"The wave column {column!r} is not in the data. Check the codebook's 'wave' key (or the notebook "
                "parameter wave_column).")
    waves = data[column].dropna().unique()
    if len(waves) < 2:
        return f"Only {len(waves)} wave(s) in column {column!r}. Needs {needs}."
    return ""


def skipped(reason: str) -> str:
    """The paragraph shown when wave tracking cannot run."""
    return f"**Waves were not compared.** {reason.strip()}"


def waves_text(scores: pd.DataFrame, column: str) -> str:
    """The waves compared and their sizes (largest n over the constructs, per wave)."""
    sizes = scores.groupby("wave", sort=False)["n"].max()
    return (f"Waves compared ({column}): " + ", ".join(f"{w} ({int(n)} respondents)" for w, n in sizes.items())
            + ".")


def invariance_verdict(check) -> str:
    """The invariance sequence across waves, judged as in notebook 04, and what it backs."""
    assessment = invariance_text.assess(check.sequence, group_column=check.wave)
    text = invariance_text.sequence_text(assessment)
    per = check.constructs
    backed = per[per["invariance_shown"]]["construct"].tolist()
    text += (f" {check.level.capitalize()} invariance holds in every wave for {len(backed)} of {len(per)} "
             f"constructs in the CFA" + (f" ({', '.join(backed)})" if backed and len(backed) < len(per) else "") + ".")
    return text


def changes_text(changes: pd.DataFrame, alpha: float = 0.05) -> str:
    """The significant changes (Holm-adjusted) per pair of waves, and whether invariance backs them."""
    parts = []
    for (w_from, w_to), pair in changes.groupby(["wave_from", "wave_to"], sort=False):
        moved = pair[pair["p_holm"] < alpha]
        if moved.empty:
            parts.append(f"Between wave {w_from} and wave {w_to} no construct changed significantly "
                         f"(Holm-adjusted p < {alpha:g}).")
            continue
        items = [f"{r.construct} {'rose' if r.change > 0 else 'fell'} by {format_number(abs(r.change))} "
                 f"(g = {format_number(r.hedges_g)}, Holm-adjusted {format_p(r.p_holm)}"
                 f"{', not backed by invariance' if r.flag else ''})" for r in moved.itertuples()]
        parts.append(f"Between wave {w_from} and wave {w_to}: " + "; ".join(items) + ".")
    flagged = changes[changes["flag"] & (changes["p_holm"] < alpha)]
    if len(flagged):
        parts.append("Flagged changes may reflect items working differently across waves rather than a real change: "
                     + "; ".join(dict.fromkeys(f"{r.construct} ({r.invariance_note})" for r in flagged.itertuples()))
                     + ".")
    elif len(changes) and changes["invariance_shown"].all():
        parts.append("Every comparison is backed by measurement invariance across the waves.")
    return " ".join(parts)


def latent_means_text(latent: pd.DataFrame, check, alpha: float = 0.05) -> str:
    """Latent mean differences from the first wave that are significant, or that none is."""
    if latent.empty:
        return (f"Latent means are not compared: partial {check.level} invariance across waves does not hold "
                "(or only metric invariance was required).")
    first = "the first wave"
    moved = latent[latent["pvalue"] < alpha].sort_values("d", key=abs, ascending=False)
    if moved.empty:
        return (f"No latent mean differs significantly from {first} (p < {alpha:g}; {len(latent)} comparisons, "
                "not adjusted).")
    return (f"Latent means that differ from {first} (p < {alpha:g}, not adjusted for the {len(latent)} comparisons): "
            + "; ".join(f"{r.factor} in wave {r.wave} (mean difference {format_number(r.mean_diff)}, "
                        f"d = {format_number(r.d)}, {format_p(r.pvalue)})" for r in moved.itertuples()) + ".")


def summary(waves: str, changes: pd.DataFrame, check, alpha: float = 0.05, latent: pd.DataFrame | None = None) -> str:
    """The executive summary of notebook 06 (Markdown): changes, invariance and latent means."""
    parts = [waves, changes_text(changes, alpha), invariance_verdict(check)]
    if latent is not None:
        parts.append(latent_means_text(latent, check, alpha))
    return " ".join(parts)
