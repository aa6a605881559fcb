"""Write the three-country survey with different structural paths that tests/reference/make_refs_group_paths.R fits.

``group_paths.csv``: satisfaction (``sat1``-``sat3``) drives loyalty (``loy1``-``loy4``), answered
on 1-7 in three countries (column ``country``, 300 respondents each), drawn with
:func:`sqlib.survey.simulate.simulate` as notebook T7 draws them: the same measurement in every
country, and a standardized satisfaction -> loyalty path of 0.60 in NL and FR and 0.35 in NO, so
the test of equal paths across countries (``group.equal = c("loadings", "regressions")``) has a
difference to find. Run from the project root: ``python tests/reference/make_group_paths_data.py``
(``make refs`` runs it before the R script).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from sqlib.survey.simulate import PopulationModel, simulate

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"
SEED = 20261130
N_PER_COUNTRY = 300
COUNTRY_PATHS = {"NL": 0.60, "FR": 0.60, "NO": 0.35}
LOADINGS = {("satisfaction", "sat1"): 0.85, ("satisfaction", "sat2"): 0.80, ("satisfaction", "sat3"): 0.75,
            ("loyalty", "loy1"): 0.80, ("loyalty", "loy2"): 0.75, ("loyalty", "loy3"): 0.70, ("loyalty", "loy4"): 0.70}


def group_paths_survey() -> pd.DataFrame:
    """The country column and the seven items, the countries one after another."""
    population = PopulationModel(loadings=LOADINGS, paths={("loyalty", "satisfaction"): 0.60}, factor_means={},
                                 thresholds={}, expectations={},
                                 factor_correlations=pd.DataFrame([[1.0]], index=["satisfaction"],
                                                                  columns=["satisfaction"]))
    parts = []
    for k, (country, path) in enumerate(COUNTRY_PATHS.items()):
        country_population = dataclasses.replace(population, paths={("loyalty", "satisfaction"): path},
                                                 groups={country: 1.0})
        parts.append(simulate(country_population, n=N_PER_COUNTRY, seed=SEED + 100 + k).data)
    data = pd.concat(parts, ignore_index=True)
    return data[["country", *population.items]].astype({item: "int64" for item in population.items})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "group_paths.csv"
    data = group_paths_survey()
    data.to_csv(path, index=False, lineterminator="\n")
    print(f"wrote {path}: {len(data)} respondents in {data['country'].nunique()} countries")


if __name__ == "__main__":
    main()
