"""Numerical differentiation and the delta method.

Standardized estimates, effects and other functions of the parameters get their
standard errors by the delta method, ``se = sqrt(diag(J V J'))``, with the Jacobian ``J``
taken by central differences (lavaan's ``lav_func_jacobian_simple`` does the same).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, rel_step: float = 1e-6) -> np.ndarray:
    """Jacobian of a vector function by central differences, step ``rel_step * max(1, |x_k|)``.

    Examples
    --------
    >>> central_jacobian(lambda v: np.array([v[0] * v[1], v[0] ** 2]), np.array([2.0, 3.0])).round(6)
    array([[3., 2.],
           [4., 0.]])
    """
    x = np.asarray(x, dtype=float)
    base = np.asarray(f(x), dtype=float)
    jac = np.zeros((base.size, x.size))
    for k in range(x.size):
        h = rel_step * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        jac[:, k] = (np.asarray(f(up), dtype=float) - np.asarray(f(down), dtype=float)) / (2 * h)
    return jac


def delta_method_se(jac: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """Standard errors of ``f(theta)`` from its Jacobian and the covariance of ``theta``.

    Examples
    --------
    >>> delta_method_se(np.array([[2.0, 0.0]]), np.diag([0.25, 1.0]))
    array([1.])
    """
    return np.sqrt(np.clip(np.einsum("ik,kl,il->i", jac, vcov, jac), 0, None))
