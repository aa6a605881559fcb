"""Write the survey with scattered missing answers that tests/reference/make_refs_fiml.R fits with lavaan.

``servqual_mcar.csv``: the 29 SERVQUAL items (five dimensions, satisfaction, loyalty) of
500 respondents drawn with :func:`sqlib.survey.simulate.simulate` (seed 15) from its default
population, then 5% of all answers deleted completely at random
(:func:`sqlib.survey.simulate.delete_at_random`, seed 16): most respondents with a gap have a
missingness pattern of their own, as in real surveys. ``servqual_mcar_groups.csv``: another
600 such respondents (seeds 25, 26) with a ``group`` column (``A``/``B`` at random, seed 27) for
the two-group case. Run from the project root:
``python tests/reference/make_missing_data.py`` (``make refs`` runs it before the R script).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import sqlib
from sqlib.survey.simulate import PopulationModel, delete_at_random, simulate

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"
N = 500
SHARE_MISSING = 0.05
SEED = 15


def mcar_survey(n: int = N, share: float = SHARE_MISSING, seed: int = SEED):
    """The model items of the structural model, with ``share`` of the answers missing completely at random."""
    population = PopulationModel()
    syntax = sqlib.models.structural_syntax()
    items = [v for v in population.items if v in syntax.replace("+", " ").split()]
    data = simulate(population, n=n, seed=seed).data[items]
    return delete_at_random(data, items, share, seed=seed + 1)


def two_group_survey(n: int = 600, seed: int = 25):
    """A second sample of the same survey, its respondents split at random into groups ``A`` and ``B``."""
    data = mcar_survey(n=n, seed=seed).astype("Int64")
    rng = np.random.default_rng(seed + 2)
    data.insert(0, "group", np.where(rng.random(n) < 0.5, "A", "B"))
    return data


def write(data, name: str) -> None:
    data.to_csv(OUT / name, index=False, lineterminator="\n")
    items = data.drop(columns=[c for c in ("group",) if c in data])
    print(f"wrote {OUT / name}: {data.shape[0]} respondents, {items.isna().mean().mean():.1%} of answers missing, "
          f"{len(items.isna().drop_duplicates())} patterns")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write(mcar_survey().astype("Int64"), "servqual_mcar.csv")
    write(two_group_survey(), "servqual_mcar_groups.csv")


if __name__ == "__main__":
    main()
