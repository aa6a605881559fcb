"""PLSpredict (Shmueli et al. 2016, 2019): k-fold out-of-sample predictions of a PLS model's
endogenous indicators, against a linear-regression benchmark, as R seminr's ``predict_pls``.

The rows are shuffled once and cut into ``folds`` consecutive folds of (nearly) equal size.
For each fold the model is re-estimated on the other folds (the training rows); a test row's
indicators are standardized with the training means and standard deviations, turned into
construct scores with the training weights, and the endogenous scores are predicted from the
model's paths:

* ``technique="DA"`` (direct antecedents): every endogenous score from the *observed* scores of
  its predictors (seminr's ``predict_DA``);
* ``technique="EA"`` (earliest antecedents): only the exogenous scores are observed; the
  endogenous ones are predicted in causal order from predicted scores (``predict_EA``).

Predicted indicators are the predicted scores times the training loadings, back on the answer
scale. In-sample predictions (each row predicted by the models it trained) are averaged over
the ``folds - 1`` models. The benchmark regresses each endogenous construct's indicators on
the indicators of its direct antecedents (``"DA"``) or of all exogenous constructs (``"EA"``)
by ordinary least squares with an intercept, fitted on the same training rows. Out-of-sample RMSE and MAE of PLS below those of the benchmark mean the
model predicts better than a naive regression (Shmueli et al. 2019). ``Q2_predict`` compares
PLS's out-of-sample errors with those of the training mean: ``1 - SSE(PLS) / SSE(mean)``,
above 0 when the model predicts better than the mean (as SmartPLS reports it). Missing answers are
filled as in the fit (mean replacement over all rows) before the folds are cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sqlib.core.formatting import brief_html

from .pls_result import PLSResult, fit_pls

TECHNIQUES = ("DA", "EA")


@dataclass(frozen=True)
class PLSPrediction:
    """Predictions of the endogenous indicators, in the data's row order.

    Attributes
    ----------
    actual, pls_out_of_sample, pls_in_sample, lm_out_of_sample, lm_in_sample : DataFrame
        One column per endogenous indicator (answer scale).
    order : ndarray
        The shuffled row order the folds were cut from (0-based).
    """

    actual: pd.DataFrame
    pls_out_of_sample: pd.DataFrame
    pls_in_sample: pd.DataFrame
    lm_out_of_sample: pd.DataFrame
    lm_in_sample: pd.DataFrame
    mean_out_of_sample: pd.DataFrame
    order: np.ndarray
    folds: int
    technique: str

    def _lines(self) -> list[str]:
        table = self.comparison()
        return [f"PLSpredict ({self.technique}, {self.folds} folds): {len(table)} endogenous indicators",
                f"PLS out-of-sample RMSE below the LM benchmark's for {int(table['pls_better'].sum())} of "
                f"{len(table)}", ".comparison(), .metrics() and the prediction tables show the results"]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines())

    def metrics(self) -> pd.DataFrame:
        """RMSE and MAE per indicator: ``item, model ("PLS"/"LM"), sample ("in"/"out"), rmse, mae``."""
        rows = []
        for model, sample, predicted in (("PLS", "in", self.pls_in_sample), ("PLS", "out", self.pls_out_of_sample),
                                         ("LM", "in", self.lm_in_sample), ("LM", "out", self.lm_out_of_sample)):
            error = self.actual - predicted
            for item in self.actual.columns:
                rows.append((item, model, sample, float(np.sqrt(np.mean(error[item] ** 2))),
                             float(np.mean(np.abs(error[item])))))
        return pd.DataFrame(rows, columns=["item", "model", "sample", "rmse", "mae"])

    def comparison(self) -> pd.DataFrame:
        """Out-of-sample errors of PLS and the LM benchmark side by side, per indicator, with
        ``q2_predict`` and ``pls_better`` (PLS's RMSE below the benchmark's)."""
        out = self.metrics().query("sample == 'out'").pivot(index="item", columns="model", values=["rmse", "mae"])
        table = pd.DataFrame({"pls_rmse": out[("rmse", "PLS")], "lm_rmse": out[("rmse", "LM")],
                              "pls_mae": out[("mae", "PLS")], "lm_mae": out[("mae", "LM")]})
        table = table.loc[list(self.actual.columns)]
        sse = ((self.actual - self.pls_out_of_sample) ** 2).sum()
        table.insert(0, "q2_predict", 1 - sse / ((self.actual - self.mean_out_of_sample) ** 2).sum())
        table["pls_better"] = table["pls_rmse"] < table["lm_rmse"]
        return table.reset_index(names="item")


def fold_labels(n_rows: int, folds: int) -> np.ndarray:
    """Fold of each position 0..n-1: ``folds`` consecutive, nearly equal blocks (R's
    ``cut(seq_len(n), breaks = folds, labels = FALSE)``)."""
    position = np.arange(1, n_rows + 1, dtype=float)
    edges = np.linspace(1.0, float(n_rows), folds + 1)
    width = n_rows - 1.0
    edges[0], edges[-1] = 1.0 - width / 1000, n_rows + width / 1000
    return np.searchsorted(edges, position, side="left") - 1


def predict_pls(result: PLSResult, *, technique: str = "DA", folds: int = 10, seed: int = 0,
                order: np.ndarray | None = None) -> PLSPrediction:
    """k-fold PLSpredict of a fitted PLS model (see the module docstring).

    Parameters
    ----------
    result : PLSResult
    technique : {"DA", "EA"}
    folds : int
    seed : int
        Seed of the row shuffle (``numpy.random.default_rng(seed).permutation``).
    order : array, optional
        The shuffled row order itself (0-based), e.g. R's, instead of ``seed``.

    Examples
    --------
    R: ``seminr::predict_pls(model, technique = predict_DA, noFolds = 10)``, then ``summary()``.
    """
    if technique not in TECHNIQUES:
        raise ValueError(f"technique={technique!r} is not available; use 'DA' (direct antecedents) or 'EA' "
                         "(earliest antecedents).")
    data = result.data
    n = len(data)
    if not 2 <= folds <= n:
        raise ValueError(f"folds={folds} must be between 2 and the number of respondents ({n}).")
    order = np.random.default_rng(seed).permutation(n) if order is None else np.asarray(order, dtype=int)
    if sorted(order.tolist()) != list(range(n)):
        raise ValueError(f"order must be a permutation of the {n} row positions 0..{n - 1}.")
    items = endogenous_items(result)
    fold_of_row = np.empty(n, dtype=int)
    fold_of_row[order] = fold_labels(n, folds)
    out = {key: np.zeros((n, len(items))) for key in ("pls_out", "pls_in", "lm_out", "lm_in", "mean_out")}
    for k in range(folds):
        test, train = fold_of_row == k, fold_of_row != k
        trained = fit_pls(result.model_syntax, data[train], missing=result.missing, **result.algorithm)
        out["pls_out"][test] = predict_items(trained, data[test], technique)[items].to_numpy()
        out["pls_in"][train] += predict_items(trained, data[train], technique)[items].to_numpy()
        lm_test, lm_train = benchmark_predictions(result, data, technique, train, test)
        out["lm_out"][test] = lm_test
        out["mean_out"][test] = data.loc[train, items].mean().to_numpy()
        out["lm_in"][train] += lm_train
    frame = lambda values: pd.DataFrame(values, index=data.index, columns=items)  # noqa: E731
    return PLSPrediction(actual=data[items].copy(), pls_out_of_sample=frame(out["pls_out"]),
                         pls_in_sample=frame(out["pls_in"] / (folds - 1)), lm_out_of_sample=frame(out["lm_out"]),
                         lm_in_sample=frame(out["lm_in"] / (folds - 1)), mean_out_of_sample=frame(out["mean_out"]),
                         order=order, folds=folds,
                         technique=technique)


def endogenous_items(result: PLSResult) -> list[str]:
    """Indicators of the endogenous constructs, in the model's construct and item order."""
    return [item for c in result.spec.endogenous for item in result.spec.blocks[c]]


def predict_items(trained: PLSResult, new: pd.DataFrame, technique: str) -> pd.DataFrame:
    """Predicted answers to every indicator of ``new`` from a model fitted on other rows."""
    columns = list(trained.layout.items)
    mean, sd = trained.data.mean(), trained.data.std(ddof=1)
    z = ((new[columns] - mean) / sd).to_numpy()
    scores = z @ trained.fit.weights[0]
    predicted = predict_scores(trained, scores, technique)
    answers = predicted @ trained.fit.loadings[0].T * sd.to_numpy() + mean.to_numpy()
    return pd.DataFrame(answers, index=new.index, columns=columns)


def predict_scores(trained: PLSResult, scores: np.ndarray, technique: str) -> np.ndarray:
    """Endogenous construct scores from their antecedents' (observed or predicted) scores."""
    paths = trained.fit.paths[0]
    endogenous = [trained.constructs.index(c) for c in trained.spec.endogenous]
    if technique == "DA":
        predicted = scores.copy()
        predicted[:, endogenous] = scores @ paths[:, endogenous]
        return predicted
    predicted = scores.copy()
    predicted[:, endogenous] = 0.0
    for k in causal_order(trained):
        predicted[:, k] = predicted @ paths[:, k]
    return predicted


def causal_order(trained: PLSResult) -> list[int]:
    """Endogenous constructs (positions) ordered so that every predictor comes first."""
    names = trained.constructs
    remaining = list(trained.spec.endogenous)
    done = {c for c in names if c not in remaining}
    ordered = []
    while remaining:
        ready = [c for c in remaining if all(s in done for s in trained.spec.predecessors(c))]
        ordered += ready
        done.update(ready)
        remaining = [c for c in remaining if c not in ready]
    return [names.index(c) for c in ordered]


def benchmark_predictions(result: PLSResult, data: pd.DataFrame, technique: str, train: np.ndarray,
                          test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LM benchmark: each endogenous construct's indicators regressed (OLS with intercept) on the
    indicators of its direct antecedents (DA) or of the exogenous constructs (EA), on the
    training rows; predictions for test and training rows."""
    spec = result.spec
    exogenous = [c for c in spec.constructs if c not in spec.endogenous]
    test_out, train_out = [], []
    for construct in spec.endogenous:
        sources = spec.predecessors(construct) if technique == "DA" else exogenous
        predictors = [item for c in sources for item in spec.blocks[c]]
        x_train = np.column_stack([np.ones(train.sum()), data.loc[train, predictors].to_numpy()])
        x_test = np.column_stack([np.ones(test.sum()), data.loc[test, predictors].to_numpy()])
        beta = np.linalg.lstsq(x_train, data.loc[train, list(spec.blocks[construct])].to_numpy(), rcond=None)[0]
        test_out.append(x_test @ beta)
        train_out.append(x_train @ beta)
    return np.column_stack(test_out), np.column_stack(train_out)
