"""Model builders: lavaan syntax for the standard service-quality models.

Each builder reads a :class:`~sqlib.codebook.Codebook` (the SERVQUAL one by
default) and returns lavaan model syntax, so any survey described by a codebook
gets the same models. Pass the text to :func:`sqlib.fit`, or edit it.

>>> from sqlib import models
>>> print(models.structural_syntax().splitlines()[-1])
ind_empathy := a5*b
"""

from __future__ import annotations

from .codebook import Codebook, load_codebook


def measurement_lines(codebook: Codebook | None = None, constructs: list[str] | None = None) -> list[str]:
    cb = load_codebook(codebook)
    names = constructs or cb.construct_names
    return [f"{name} =~ " + " + ".join(cb.items_of(name)) for name in names]


def cfa_syntax(codebook: Codebook | None = None, constructs: list[str] | None = None) -> str:
    """Correlated-factors CFA: every construct measured by its items (lavaan ``cfa()``)."""
    return "\n".join(measurement_lines(codebook, constructs))


def _outcome_names(cb: Codebook) -> tuple[str, str]:
    if len(cb.outcomes) != 2:
        raise ValueError(
            "The structural models need exactly two outcome constructs (satisfaction, then loyalty) in the "
            f"codebook; it has {cb.outcomes or 'none'}. Mark them with 'kind: outcome'."
        )
    return cb.outcomes[0], cb.outcomes[1]


def structural_syntax(codebook: Codebook | None = None, *, direct: bool = False) -> str:
    """Dimensions -> satisfaction -> loyalty with labelled paths and defined effects.

    Paths from dimension ``i`` to satisfaction are labelled ``a1..a5`` (codebook
    order), satisfaction -> loyalty ``b``; ``ind_<dimension> := a_i*b`` are the
    indirect effects. With ``direct=True`` the dimensions also predict loyalty
    (``c1..c5``) and ``total_<dimension> := c_i + a_i*b`` are defined.
    """
    cb = load_codebook(codebook)
    sat, loy = _outcome_names(cb)
    dims = cb.dimensions
    lines = measurement_lines(cb)
    lines.append(f"{sat} ~ " + " + ".join(f"a{i}*{d}" for i, d in enumerate(dims, start=1)))
    loyalty = f"{loy} ~ b*{sat}"
    if direct:
        loyalty += " + " + " + ".join(f"c{i}*{d}" for i, d in enumerate(dims, start=1))
    lines.append(loyalty)
    lines += [f"ind_{d} := a{i}*b" for i, d in enumerate(dims, start=1)]
    if direct:
        lines += [f"total_{d} := c{i} + a{i}*b" for i, d in enumerate(dims, start=1)]
    return "\n".join(lines)


def second_order_syntax(codebook: Codebook | None = None, *, name: str = "service_quality",
                        outcomes: bool = True) -> str:
    """A second-order service-quality factor over the dimensions.

    With ``outcomes=True`` it predicts satisfaction (``a``), which predicts loyalty
    (``b``), and ``ind_service_quality := a*b`` is defined.
    """
    cb = load_codebook(codebook)
    lines = measurement_lines(cb, cb.dimensions)
    lines.append(f"{name} =~ " + " + ".join(cb.dimensions))
    if outcomes:
        sat, loy = _outcome_names(cb)
        lines += measurement_lines(cb, [sat, loy])
        lines += [f"{sat} ~ a*{name}", f"{loy} ~ b*{sat}", f"ind_{name} := a*b"]
    return "\n".join(lines)
