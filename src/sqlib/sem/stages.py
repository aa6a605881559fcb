"""The state of one estimation as it moves through a recipe's steps.

lavaan's ``lavaan()`` fills slots one after the other (data, sample statistics, model,
optimisation, vcov, test, fit); sqlib's steps do the same on an :class:`Estimation`, and
:func:`sqlib.sem.pipeline.fit` turns the finished estimation into one immutable
:class:`~sqlib.sem.result.SEMResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .options import FitOptions


@dataclass
class Estimation:
    """Filled step by step: data blocks, sample statistics, model, objective, optimum, vcov, fit measures."""

    options: FitOptions
    data: pd.DataFrame
    levels: list = field(default_factory=list)
    blocks: list = field(default_factory=list)
    n_dropped: int = 0
    stats: list = field(default_factory=list)        # GroupStats per group (ML) or of the latent responses
    patterns: list | None = None                      # FIML missing-data patterns per group
    saturated: list | None = None                     # FIML: (mean, cov, loglik) of the saturated model
    ordinal: object = None                            # WLSMV: OrdinalStats per group
    model: object = None                              # RAMModel (its .spec is the parameter table)
    n_moments: int = 0
    objective: object = None
    theta0: np.ndarray | None = None
    optimum: object = None                            # OptimizeResult
    vcov: np.ndarray | None = None
    robust: dict | None = None                        # what the robust vcov step learned (scaling, Gamma, ...)
    fit_measures: pd.Series | None = None

    @property
    def spec(self):
        return self.model.spec

    @property
    def df(self) -> int:
        return self.n_moments - self.spec.n_free
