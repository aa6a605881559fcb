"""Covariance of the estimates from an information matrix, with the reason when it is singular."""

from __future__ import annotations

import numpy as np

from sqlib.core.errors import EstimationError, IdentificationError

from .partable import ModelSpec


def invert_information(info: np.ndarray, ntotal: int, spec: ModelSpec, opt=None) -> np.ndarray:
    """Inverse information / N; singular information means "not identified" only at a converged solution."""
    # judged on the information of theta / scales, so that parameters on different scales (a variance of 400
    # next to a loading of 0.8) do not make a well-identified model look singular
    scales = opt.scales if opt is not None else None
    scaled = info if scales is None else info * np.outer(scales, scales)
    eigval, eigvec = np.linalg.eigh(scaled)
    limit = 1e-10 if scales is None else 1e-12
    singular = bool(eigval.size and eigval[0] <= limit * max(eigval[-1], 1.0))
    if not singular:
        return np.linalg.inv(info) / ntotal
    names = spec.free_names()
    weights = np.abs(eigvec[:, 0])
    involved = ", ".join(names[i] for i in np.argsort(-weights)[:4] if weights[i] > 0.1)
    if opt is not None and not opt.converged:
        raise EstimationError(
            f"The optimizer did not converge ({opt.message}, after {opt.iterations} iterations), and at the point "
            "where it stopped the information matrix is singular, so no standard errors can be computed. This "
            f"does not show that the model is unidentified. Parameters along the flat direction: {involved}. "
            "Predictors that are almost collinear (see sqlib.reliability.discriminant_validity), items on very different "
            "scales or factors with very weak or few indicators cause this; simplify the model (e.g. a "
            "second-order factor over collinear dimensions) or check the data."
        )
    raise IdentificationError(
        "The model is not identified: the information matrix is singular, so some parameters cannot be "
        f"told apart by the data. Parameters involved: {involved}. "
        "Fix one of them, add equality constraints, or give the factor(s) more indicators."
    )
