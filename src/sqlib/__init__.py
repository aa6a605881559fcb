"""sqlib: service-quality research in Python.

SERVQUAL surveys, lavaan-grade CFA/SEM, reliability and validity, and
reproducible papermill reports. Submodules are imported lazily so that
``import sqlib`` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (None: the name is itself a module, listed in _MODULES)
_EXPORTS = {
    "Codebook": "survey.codebook",
    "load_codebook": "survey.codebook",
    "read_survey": "survey.io",
    "load_sample": "survey.io",
    "screening_summary": "survey.screening",
    "mardia": "survey.screening",
    "fit": "sem.pipeline",
    "SEMResult": "sem.result",
    "fit_pls": "sem.pls_result",
    "PLSResult": "sem.pls_result",
    "compare": "sem.compare",
    "invariance": "analysis.invariance",
    "release_tests": "analysis.invariance",
    "simulate": "survey.simulate",
    "power": "analysis.power",
    "explore": "report.explorer_view",
    "ModelExplorer": "report.explorer",
}

# short module names kept from the flat layout -> their place in the layers
_MODULES = {
    "config": "core.config",
    "cli": "report.cli",
    "io": "survey.io",
    "codebook": "survey.codebook",
    "params": "report.params",
    "runner": "report.runner",
    "errors": "core.errors",
    "engines": "core.engines",
    "instrument": "survey.instrument",
    "screening": "survey.screening",
    "models": "survey.model_builders",
    "bootstrap": "sem.bootstrap",
    "ordinal": "sem.ordinal",
    "effects": "sem.effects",
    "tables": "sem.tables",
    "diagnostics": "analysis.diagnostics",
    "reliability": "analysis.reliability",
    "gaps": "analysis.gaps",
    "ipa": "analysis.ipa",
    "waves": "analysis.waves",
    "design": "analysis.design",
    "alternatives": "analysis.alternatives",
    "candidates": "analysis.candidates",
    "efa": "analysis.efa",
    "narratives": "report.narratives",
    "presentation": "report.presentation",
    "outputs": "report.outputs",
    "plots": "report.figures",
    "semplots": "report.path_diagrams",
}

__all__ = sorted(set(_EXPORTS) | set(_MODULES))


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{_MODULES[name]}", __name__)
    else:
        raise AttributeError(f"module 'sqlib' has no attribute {name!r}")
    globals()[name] = value
    return value
