"""Write the survey data on other answer scales that tests/reference/make_refs.R fits with lavaan.

* ``servqual_0_100.csv``: the SERVQUAL items (five dimensions, satisfaction, loyalty) answered
  on a 0-100 slider, 350 respondents, skewed to the top of the scale with a ceiling at 100
  (the case of issue 13: the second-order model failed there while lavaan fits it);
* ``servqual_mixed_scale.csv``: the same instrument on mixed scales, as real questionnaires
  are: the dimension and loyalty items on 1-7, ``sat1`` a 0-100 slider, ``sat2`` a 1-10
  rating and ``sat3`` a 1-5 rating, 400 respondents.

Both are drawn with :func:`sqlib.simulate.simulate` from its default population with
thresholds that cut the latent responses into 0..100 answers; the mixed-scale items are
then binned into equal-width bands of the 0-100 answer. Run from the project root:
``python tests/reference/make_scale_data.py`` (``make refs`` runs it before the R script).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sqlib.survey.simulate import PopulationModel, simulate

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"
ITEM_PREFIXES = ("tan", "rel", "res", "ass", "emp", "sat", "loy")


def slider_population(mean: float = 70.0, sd: float = 18.0) -> PopulationModel:
    """The default population answered on 0..100: answer k when the latent response
    (mean ``mean``, SD ``sd`` on the answer scale) rounds to k."""
    population = PopulationModel()
    cuts = tuple((np.arange(1, 101) - 0.5 - mean) / sd)
    population.scale_min, population.scale_max = 0, 100
    population.thresholds = {item: cuts for item in population.items}
    population.check()
    return population


def survey_items(data: pd.DataFrame) -> pd.DataFrame:
    """The perception and outcome items (``tan1`` ... ``loy4``), without ids or expectations."""
    return data[[c for c in data.columns if c.rstrip("0123456789") in ITEM_PREFIXES and c[-1].isdigit()]]


def to_band(answers: pd.Series, low: int, high: int) -> pd.Series:
    """Bin 0-100 answers into the equal-width bands of a ``low``..``high`` rating scale."""
    bands = high - low + 1
    return (low + np.minimum(np.floor(answers / 100 * bands), bands - 1)).astype(int)


def mixed_scale(items: pd.DataFrame) -> pd.DataFrame:
    out = items.copy()
    for col in out.columns:
        if col == "sat1":
            continue
        out[col] = to_band(out[col], 1, 7)
    out["sat2"] = to_band(items["sat2"], 1, 10)
    out["sat3"] = to_band(items["sat3"], 1, 5)
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    slider = survey_items(simulate(slider_population(), n=350, seed=13).data).astype(int)
    slider.to_csv(OUT / "servqual_0_100.csv", index=False)
    mixed = survey_items(simulate(slider_population(65.0, 20.0), n=400, seed=14).data).astype(int)
    mixed_scale(mixed).to_csv(OUT / "servqual_mixed_scale.csv", index=False)


if __name__ == "__main__":
    main()
