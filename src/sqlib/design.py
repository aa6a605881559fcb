"""The study design: what a survey measures and which model the report fits.

A report run is described by two files: the codebook (the instrument: columns,
constructs, scales, missing-value codes) and the parameters file (the study:
seed, notebooks and the structural model as lavaan syntax over construct names).
:func:`study_design` joins them into one :class:`StudyDesign`, which every
notebook reads instead of hard-coding columns, construct names or outcomes.

(Work in progress: the interface below is fixed; skip rules are filled in.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .codebook import Codebook, load_codebook


@dataclass(frozen=True)
class StudyDesign:
    """A codebook plus the structural model of the study."""

    codebook: Codebook
    structural_model: str = ""
    structural_source: str = "none"


def study_design(codebook, structural_model: str = "") -> StudyDesign:
    """Resolve the study design from a codebook (object or path) and optional syntax."""
    return StudyDesign(load_codebook(codebook), structural_model.strip(),
                       "parameters file" if structural_model.strip() else "none")


def skip_reason(notebook: str, design: StudyDesign, data: pd.DataFrame) -> str | None:
    """Why ``notebook`` cannot run on this design and data (None when it can)."""
    return None


__all__ = ["StudyDesign", "study_design", "skip_reason"]
