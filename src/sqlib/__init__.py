"""sqlib: service-quality research in Python.

SERVQUAL surveys, lavaan-grade CFA/SEM, reliability and validity, and
reproducible papermill reports. Submodules are imported lazily so that
``import sqlib`` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Codebook": "codebook",
    "load_codebook": "codebook",
    "read_survey": "io",
    "load_sample": "io",
    "screening_summary": "screening",
    "mardia": "screening",
    "fit": "sem",
    "SEMResult": "sem",
    "release_tests": "invariance",
    "bootstrap": None,
    "gaps": None,
    "ipa": None,
    "waves": None,
    "ordinal": None,
    "engines": None,
    "diagnostics": None,
    "effects": None,
    "models": None,
    "tables": None,
    "semplots": None,
    "outputs": None,
    "reliability": None,
    "plots": None,
    "report": None,
    "config": None,
    "instrument": None,
    "errors": None,
    "design": None,
    "screening": None,
    "alternatives": None,
    "candidates": None,
    "narratives": None,
    "presentation": None,
}

# Functions that share their module's name are bound eagerly: otherwise importing the
# submodule (``from sqlib.invariance import ...``) would replace the function on the package.
from .compare import compare  # noqa: E402
from .invariance import invariance  # noqa: E402
from .simulate import simulate  # noqa: E402
from .power import power  # noqa: E402

__all__ = sorted(set(_EXPORTS) | {"compare", "invariance", "simulate", "power"})


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sqlib' has no attribute {name!r}")
    module_name = _EXPORTS[name] or name
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if _EXPORTS[name] is None else getattr(module, name)
    globals()[name] = value
    return value
