"""Write the survey data that tests/reference/make_refs_wlsmv_mixed.R fits with lavaan's WLSMV.

* ``likert_pairwise.csv``: 8 five-point Likert items measuring two correlated factors
  (``serv1``-``serv4``, ``val1``-``val4``), 500 respondents, about 10% of the answers
  missing completely at random (WLSMV with ``missing = "pairwise"``);
* ``likert_mixed.csv``: 6 Likert items (``q1``-``q6``, 4 and 5 points) measuring one
  satisfaction factor, plus two continuous answers as surveys have them: ``slider`` (a 0-100
  slider) and ``overall`` (a single overall rating on 0-10, treated as continuous), 450
  respondents, complete;
* ``likert_mixed_pairwise.csv``: the mixed survey with about 8% of every item's answers missing.

Each data set departs from its fitted model a little (a cross-loading, a method factor),
so that the fit measures are informative.

Latent responses are drawn from a seeded multivariate normal and cut at fixed thresholds.
Run from the project root: ``python tests/reference/make_wlsmv_mixed_data.py`` (``make refs``
runs it before the R script).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"
SEED = 20261129


def factor_responses(rng, n: int, loadings: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Latent responses y* = Lambda eta + e with unit variances (delta scaling)."""
    eta = rng.multivariate_normal(np.zeros(phi.shape[0]), phi, size=n)
    common = eta @ loadings.T
    unique = np.sqrt(1.0 - np.sum((loadings @ phi) * loadings, axis=1))
    return common + rng.standard_normal(common.shape) * unique


def cut(ystar: np.ndarray, thresholds) -> np.ndarray:
    return np.searchsorted(np.asarray(thresholds), ystar) + 1


def knock_out(rng, frame: pd.DataFrame, share: float) -> pd.DataFrame:
    """Missing completely at random, every respondent keeps at least one answer."""
    mask = rng.random(frame.shape) < share
    mask[mask.all(axis=1), 0] = False
    return frame.mask(mask).astype("Int64")


def likert_pairwise(rng) -> pd.DataFrame:
    lam = np.zeros((8, 2))
    lam[:4, 0] = [0.75, 0.7, 0.65, 0.6]
    lam[4:, 1] = [0.7, 0.75, 0.55, 0.65]
    lam[3, 1] = 0.3   # a cross-loading the fitted model leaves out (so the fit is not perfect)
    ystar = factor_responses(rng, 500, lam, np.array([[1.0, 0.45], [0.45, 1.0]]))
    cuts = [(-1.6, -0.7, 0.2, 1.1), (-1.3, -0.4, 0.5, 1.4), (-1.8, -0.9, 0.0, 0.9)]
    names = [f"serv{i}" for i in range(1, 5)] + [f"val{i}" for i in range(1, 5)]
    answers = np.column_stack([cut(ystar[:, k], cuts[k % 3]) for k in range(8)])
    return knock_out(rng, pd.DataFrame(answers, columns=names), 0.10)


def likert_mixed(rng) -> pd.DataFrame:
    lam = np.array([[0.7], [0.65], [0.75], [0.6], [0.7], [0.55], [0.8], [0.75]])
    ystar = factor_responses(rng, 450, lam, np.eye(1))
    # q5 and q6 share a method factor the fitted model leaves out (so the fit is not perfect)
    shared = rng.standard_normal(450) * 0.45
    ystar[:, 4:6] = (ystar[:, 4:6] + shared[:, None]) / np.sqrt(1 + 0.45**2)
    cuts = [(-1.5, -0.5, 0.4, 1.3), (-1.0, 0.1, 1.0), (-1.7, -0.8, 0.3, 1.2)]
    data = {f"q{k + 1}": cut(ystar[:, k], cuts[k % 3]) for k in range(6)}
    # a 0-100 slider answered to the nearest integer, and an overall rating 0-10
    data["slider"] = np.clip(np.round(62 + 17 * ystar[:, 6]), 0, 100).astype(int)
    data["overall"] = np.clip(np.round(6.5 + 1.8 * ystar[:, 7]), 0, 10).astype(int)
    return pd.DataFrame(data)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    likert_pairwise(rng).to_csv(OUT / "likert_pairwise.csv", index=False)
    mixed = likert_mixed(rng)
    mixed.to_csv(OUT / "likert_mixed.csv", index=False)
    knock_out(rng, mixed, 0.08).to_csv(OUT / "likert_mixed_pairwise.csv", index=False)


if __name__ == "__main__":
    main()
