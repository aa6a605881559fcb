"""Text for the power and sample-size section (notebook 07).

The rules (issue 13):

* Power is for the study's own structural model (:meth:`StudyDesign.sem_syntax`),
  with the survey (or, for the SERVQUAL codebook only, the bundled simulation
  model) as the population; the text says which.
* The text states what was simulated: replications per sample size and the sizes.
* It never claims more than the Monte Carlo error allows: a power counts as
  reaching the target only when its whole 95% Monte Carlo (Wilson) interval is at or
  above it (``mc_verdict`` of :func:`sqlib.power.required_n`); a point estimate above
  the target whose interval reaches below it is reported as "within Monte Carlo
  error", with the interval.
* Every number in the text is a number of the tables beside it (three decimals).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sqlib.report.presentation import format_number

#: Below this share of converged replications at a size, its power estimates are called unstable.
MIN_CONVERGENCE = 0.90
#: Above this share of improper converged solutions at a size, its power estimates are called unstable.
MAX_IMPROPER = 0.10


def population_text(design, truth, population: str, data_path: str = "") -> str:
    """Which population the samples are drawn from, and which model is fitted to them."""
    model = f"the study's structural model ({design.structural_source})"
    if population == "sample":
        return (f"Population: the simulation model of the bundled SERVQUAL sample (standardized paths, 7-point "
                f"answers); {model} is fitted to every simulated sample. Bias is that of the standardized estimates; "
                "coverage is not defined for Likert answers.")
    name = Path(data_path).name if data_path else "the survey"
    text = (f"Population: {model} fitted to the {truth.ntotal} respondents of {name} (complete answers); its "
            "estimates are the truth, and samples are drawn from the normal distribution with its implied means and "
            "covariances. The same model is fitted to every sample.")
    severe = truth.diagnostics[truth.diagnostics["severity"] == "severe"]
    if len(severe):
        named = "; ".join(f"{r.check} ({r.where})" for r in severe.head(4).itertuples())
        text += (f" The fitted model itself has severe diagnostics ({named}{', ...' if len(severe) > 4 else ''}): "
                 "the population inherits them, so the power of the paths they concern reflects an unstable "
                 "model as much as the sample size (see notebook 03).")
    return text


def simulated_text(reps: int, n_grid, parameters: int, engine=None) -> str:
    """What was simulated: replications per sample size, the sizes and the number of parameters followed.

    Examples
    --------
    >>> from sqlib.report.narratives.power import simulated_text
    >>> simulated_text(100, [300, 150], 11)[:62]
    'Simulated: 100 replications at each of n = 150 and 300 (200 sa'

    simsem reports the same design in ``summary(sim)`` ("Number of Replications", "Sample Sizes").
    """
    sizes = sorted(int(n) for n in n_grid)
    half = 1.96 * np.sqrt(0.8 * 0.2 / reps)
    where = f" on the {engine}" if engine is not None else ""
    return (f"Simulated: {reps} replications at each of n = {_and([str(n) for n in sizes])} "
            f"({reps * len(sizes)} samples{where}), following {parameters} structural parameter(s). With {reps} "
            f"replications a power near 0.800 is known to about ±{format_number(half)} (95% Monte Carlo error); "
            f"1000 replications per size bring this to ±{format_number(1.96 * np.sqrt(0.8 * 0.2 / 1000))}.")


def convergence_text(convergence: pd.DataFrame) -> str:
    """Convergence and improper solutions per sample size, from :attr:`PowerResult.convergence`."""
    parts = [f"n = {int(r.n)}: {int(r.converged)} of {int(r.reps)} converged"
             + (f" (share improper: {format_number(r.heywood_share)})" if r.heywood_share > 0 else "")
             for r in convergence.itertuples()]
    text = "Convergence: " + "; ".join(parts) + ". Power is computed over the converged replications."
    unstable = unstable_sizes(convergence)
    if len(unstable):
        sizes = _and([str(int(n)) for n in unstable["n"]])
        text += (f" At n = {sizes}, fewer than {MIN_CONVERGENCE:.0%} of the replications converged or more than "
                 f"{MAX_IMPROPER:.0%} of the converged solutions were improper: the power estimates there rest on "
                 "unstable fits and are no basis for planning.")
    return text


def unstable_sizes(convergence: pd.DataFrame) -> pd.DataFrame:
    """Rows of the convergence table whose power estimates rest on unstable fits.

    Fewer than :data:`MIN_CONVERGENCE` of the replications converged, or more than
    :data:`MAX_IMPROPER` of the converged solutions were improper (Heywood cases).
    """
    return convergence[(convergence["convergence_rate"] < MIN_CONVERGENCE)
                       | (convergence["heywood_share"].fillna(1.0) > MAX_IMPROPER)]


def required_text(needed: pd.DataFrame, target: float, reps: int) -> str:
    """How many respondents the parameters need, no more certain than the Monte Carlo error allows.

    ``needed`` is :func:`sqlib.power.required_n` (with ``power_ci_lower``, ``power_ci_upper``
    and ``mc_verdict``).

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.analysis.power import required_n
    >>> from sqlib.report.narratives.power import required_text
    >>> curve = pd.DataFrame({"n": [150, 300], "parameter": "b", "power": [0.6, 0.82], "alpha": 0.05,
    ...                       "converged": 100})
    >>> "not established" in required_text(required_n(curve, target=0.8), 0.8, 100)
    True

    simsem's ``findPower(getPowerFit(sim), "N", 0.80)`` gives the point estimate only.
    """
    goal = format_number(target)
    reached = needed[needed["met"] & (needed["mc_verdict"] == "reached")]
    uncertain = needed[needed["mc_verdict"] == "within Monte Carlo error"]
    missed = needed[~needed["met"] & (needed["mc_verdict"] == "not reached")]
    largest = int(needed["largest_n"].max())
    parts = []
    if needed["met"].all():
        n = int(needed["required_n"].max())
        sure = len(uncertain) == 0
        established = int(needed["established_n"].max()) if sure else None
        parts.append(f"By the point estimates, n = {n} is the smallest simulated size from which every one of the "
                     f"{len(needed)} parameters has a power of at least {goal}"
                     + (f", but with {reps} replications this is not established (see below)." if not sure else
                        "; the 95% Monte Carlo interval of each lies above the target there, so this is established "
                        f"with {reps} replications." if established == n else
                        f"; with {reps} replications the 95% Monte Carlo interval of each lies above the target by "
                        f"n = {established}."))
    elif len(reached):
        parts.append(f"{len(reached)} of {len(needed)} parameters reach a power of {goal} within the simulated sizes, "
                     f"with their whole 95% Monte Carlo interval above it (by n = {int(reached['established_n'].max())}).")
    if len(uncertain):
        parts.append(f"Within Monte Carlo error of {goal} (more replications are needed to tell): " + "; ".join(
            f"{r.parameter} (power {format_number(r.power)} at n = {_at(r)}, 95% interval "
            f"{format_number(r.power_ci_lower)} to {format_number(r.power_ci_upper)})" for r in uncertain.itertuples())
            + ".")
    if len(missed):
        parts.append(f"Below {goal} up to n = {largest}: " + "; ".join(
            f"{r.parameter} (power {format_number(r.power)}, 95% interval {format_number(r.power_ci_lower)} to "
            f"{format_number(r.power_ci_upper)}" + (f"; about n = {int(r.suggested_n)} by extrapolation, to be "
                                                    "simulated before relying on it" if pd.notna(r.suggested_n)
                                                    else "; not detectable at these sizes") + ")"
            for r in missed.itertuples()) + ".")
    return " ".join(parts)


def _at(row) -> int:
    return int(row.required_n) if bool(row.met) else int(row.largest_n)


def summary(population: str, simulated: str, convergence: pd.DataFrame, needed: pd.DataFrame, target: float,
            reps: int) -> str:
    """The executive summary of notebook 07 (Markdown)."""
    return " ".join([f"Monte Carlo power analysis of the study's structural model. {population}", simulated,
                     convergence_text(convergence), recommendation_text(convergence, needed, target, reps)])


def recommendation_text(convergence: pd.DataFrame, needed: pd.DataFrame, target: float, reps: int) -> str:
    """:func:`required_text`, unless every simulated size rests on unstable fits (then no recommendation)."""
    if len(unstable_sizes(convergence)) == len(convergence):
        return (f"No sample size is recommended: at every simulated size the fits are unstable, so no power "
                f"estimate in the table can show that a parameter reaches {format_number(target)}. Resolve the "
                "model's diagnostics first, then simulate again.")
    text = required_text(needed, target, reps)
    unstable = {int(n) for n in unstable_sizes(convergence)["n"]}
    early = needed[(needed["mc_verdict"] == "reached") & needed["established_n"].isin(unstable)]
    if len(early):
        stable = sorted(int(n) for n in convergence["n"] if int(n) not in unstable)
        text += (f" {len(early)} of these are established first at an unstable size "
                 f"(n = {_and([str(int(n)) for n in sorted(set(early['established_n']))])}); such a claim can only "
                 f"rest on a stable size, the smallest being n = {stable[0]}.")
    return text


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
