"""Write the three-country ordinal survey that tests/reference/make_refs_ordinal_groups.R fits.

``ordinal_groups.csv``: eight Likert items (``q1``..``q8``) on two correlated factors
(``quality`` =~ q1..q4, ``value`` =~ q5..q8), answered in three countries (column
``country``: DE 450, FR 400, PL 350 respondents). Items q1-q4 have five categories,
q5-q8 four. Two parameters are built to differ between countries, so the invariance
steps and the score tests have something to find: the thresholds of q3 are shifted
by +0.6 in PL, and the loading of q6 is 0.45 in FR (0.75 elsewhere). The latent means
and variances differ by country as well.

Run from the project root: ``python tests/reference/make_ordinal_group_data.py``
(``make refs`` runs it before the R script).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"
SEED = 20261129
COUNTRIES = {"DE": (450, (0.0, 0.0), (1.0, 1.0)),
             "FR": (400, (0.3, -0.2), (1.2, 0.8)),
             "PL": (350, (-0.2, 0.4), (0.9, 1.1))}
LOADINGS = np.array([0.8, 0.7, 0.75, 0.65, 0.7, 0.75, 0.6, 0.7])
FACTOR = np.array([0, 0, 0, 0, 1, 1, 1, 1])
CUTS5 = np.array([-1.6, -0.6, 0.3, 1.2])
CUTS4 = np.array([-1.2, -0.1, 1.0])


def ordinal_groups(seed: int = SEED) -> pd.DataFrame:
    """The eight items of every country, as integer answers 1..K, with the ``country`` column."""
    rng = np.random.default_rng(seed)
    frames = []
    for country, (n, means, variances) in COUNTRIES.items():
        cov = np.array([[variances[0], 0.5 * np.sqrt(variances[0] * variances[1])],
                        [0.5 * np.sqrt(variances[0] * variances[1]), variances[1]]])
        eta = rng.multivariate_normal(means, cov, size=n)
        loadings = LOADINGS.copy()
        if country == "FR":
            loadings[5] = 0.45
        ystar = eta[:, FACTOR] * loadings + rng.normal(size=(n, 8)) * np.sqrt(1 - loadings ** 2)
        answers = {}
        for j in range(8):
            cuts = CUTS5 if j < 4 else CUTS4
            if country == "PL" and j == 2:
                cuts = cuts + 0.6
            answers[f"q{j + 1}"] = 1 + np.searchsorted(cuts, ystar[:, j])
        frame = pd.DataFrame(answers)
        frame.insert(0, "country", country)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "ordinal_groups.csv"
    ordinal_groups().to_csv(path, index=False)
    print("wrote", path)


if __name__ == "__main__":
    main()
