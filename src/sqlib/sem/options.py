"""Every option of :func:`sqlib.fit`, resolved and validated before any data are touched.

Like scikit-learn's parameter validation and lavaan's ``lav_options_set``: defaults that
depend on other options are filled in (``estimator`` is "WLSMV" with ``ordered`` and "ML"
otherwise; FIML needs a mean structure), aliases are normalised (lavaan's ``missing = "ml"``
is ``"fiml"``), and misspelt or impossible values are refused with the allowed ones.
Which combinations can be estimated is decided by :mod:`sqlib.sem.recipes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sqlib.core.errors import ModelSpecificationError

from .partable import ModelSpec, build_spec, check_single_variable

ESTIMATORS = ("ML", "MLR", "WLSMV")
MISSING = {"listwise": "listwise", "fiml": "fiml", "ml": "fiml", "pairwise": "pairwise"}
STANDARD_ERRORS = ("standard", "bootstrap")


@dataclass(frozen=True)
class FitOptions:
    """The resolved options of one fit; ``kind`` is "continuous", "ordinal" (every item ordered) or "mixed"."""

    model: str
    columns: tuple[str, ...]
    estimator: str
    kind: str
    ordered: tuple[str, ...]
    group: str | None
    meanstructure: bool | None
    std_lv: bool
    fixed_x: bool
    orthogonal: bool
    group_equal: tuple[str, ...]
    group_partial: tuple[str, ...]
    missing: str
    se: str
    bootstrap: int
    seed: int
    n_jobs: int
    progress: bool
    probe: ModelSpec
    # ordered items in several groups: "lavaan" (cfa's defaults) or "wu.estabrook.2016" (semTools'
    # measEq.syntax with ID.cat = "Wu.Estabrook.2016", as sqlib.invariance uses it)
    identification: str = "lavaan"

    def spec_arguments(self) -> dict:
        """Keyword arguments of :func:`~sqlib.sem.partable.build_spec` shared by every recipe."""
        return {"std_lv": self.std_lv, "orthogonal": self.orthogonal, "group_equal": list(self.group_equal),
                "group_partial": list(self.group_partial)}


def resolve_options(model: str, data, *, estimator=None, ordered=None, group=None, meanstructure=None,
                    std_lv=False, fixed_x=True, orthogonal=False, group_equal=(), group_partial=(),
                    missing="listwise", se="standard", bootstrap=1000, seed=0, n_jobs=1,
                    progress=True, identification="lavaan") -> FitOptions:
    """Check every option of :func:`sqlib.fit` and fill in the defaults; raises ModelSpecificationError."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per observed variable.")
    columns = tuple(data.columns)
    estimator = _estimator(estimator, ordered)
    missing = _missing(missing)
    if se not in STANDARD_ERRORS:
        raise ModelSpecificationError(f"se={se!r} is not available; use 'standard' or 'bootstrap'.")
    if group is not None and group not in columns:
        raise ModelSpecificationError(f"The group column {group!r} is not in the data.")
    if meanstructure is False and missing == "fiml":
        raise ModelSpecificationError("FIML needs a mean structure; leave meanstructure unset or True.")
    probe = build_spec(model, list(columns), std_lv=std_lv, fixed_x=fixed_x, orthogonal=orthogonal)
    check_single_variable(probe)
    names = _ordered_names(ordered, probe.ov_names)
    kind = "continuous" if not names else "ordinal" if len(names) == len(probe.ov_names) else "mixed"
    return FitOptions(model, columns, estimator, kind, names, group,
                      meanstructure, std_lv, fixed_x, orthogonal, tuple(group_equal), tuple(group_partial),
                      missing, se, int(bootstrap), int(seed), int(n_jobs), bool(progress), probe, identification)


def _estimator(estimator, ordered) -> str:
    name = str(estimator or ("WLSMV" if ordered else "ML")).upper()
    if name == "ULSMV":
        raise ModelSpecificationError("estimator='ULSMV' is not available; use 'WLSMV' for ordinal items.")
    if name not in ESTIMATORS:
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not available; use 'ML', 'MLR' (robust ML) or 'WLSMV' (ordinal items).")
    return name


def _missing(missing) -> str:
    name = MISSING.get(str(missing).lower())
    if name is None:
        raise ModelSpecificationError(
            f"missing={missing!r} is not available; use 'listwise', 'fiml' (full-information ML, alias 'ml') "
            "or 'pairwise' (WLSMV).")
    return name


def _ordered_names(ordered, ov: list[str]) -> tuple[str, ...]:
    if not ordered:
        return ()
    names = list(ov) if ordered is True else list(ordered)
    unknown = [v for v in names if v not in ov]
    if unknown:
        raise ModelSpecificationError(f"ordered names variables that are not in the model: {', '.join(unknown)}.")
    return tuple(v for v in ov if v in names)
