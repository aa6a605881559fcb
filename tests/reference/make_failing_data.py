"""Write the built-to-fail data sets that tests/reference/make_refs.R fits with lavaan.

Each file's sample covariance (N denominator) equals a chosen population matrix
exactly, so lavaan and sqlib see the same improper solution:

* ``heywood.csv``: one factor, three items with r12 = r13 = .8 and r23 = .5 -- the
  first loading must exceed 1 (negative residual variance);
* ``npd_latent.csv``: three factors of three items, with factors 1 and 2 correlating
  1.05 -- the latent covariance matrix is not positive definite.

Run from the project root: ``python tests/reference/make_failing_data.py`` (``make refs`` does).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def exact_data(cov: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cov.shape[0]))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(x.T @ x / n)).T
    x = x @ np.linalg.cholesky(cov).T
    return pd.DataFrame(x, columns=[f"y{i + 1}" for i in range(cov.shape[0])])


def three_factor_cov(phi: np.ndarray, loading: float = 0.75) -> np.ndarray:
    lam = np.kron(np.eye(3), np.full((3, 1), loading))
    return lam @ phi @ lam.T + np.diag(np.full(9, 1 - loading**2))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    heywood = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    exact_data(heywood, 400, 1).to_csv(OUT / "heywood.csv", index=False, float_format="%.12g")
    phi = np.array([[1, 1.05, .3], [1.05, 1, .3], [.3, .3, 1]])
    exact_data(three_factor_cov(phi), 500, 2).to_csv(OUT / "npd_latent.csv", index=False, float_format="%.12g")


if __name__ == "__main__":
    main()
